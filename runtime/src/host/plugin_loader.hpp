// plugin_loader.hpp: dlopen a plugin, check it, and call its entry points.
#pragma once

#include <optional>
#include <string>

#include "runtime.hpp"
#include "tau/plugin.h"

namespace tau::detail {

struct loaded_plugin {
  std::string path;
  void* library = nullptr;
  PluginHooks hooks{};
  tau_plugin_destroy_fn destroy = nullptr;
  owner_id owner = host_owner;
  // A program: its main runs through the program adapter, and its process hook
  // gets its argv rather than the --input bytes.
  bool program = false;
};

struct load_options {
  // Load a plugin that carries no ABI stamp (not built by tau's plugin compiler).
  bool allow_unstamped = false;
};

// A library to load, and the name messages give it (what the user passed:
// for a plugin built from source, the source rather than the cached library).
struct plugin_library {
  std::string name;
  std::string path;
  bool built_from_source = false;  // by the plugin compiler: advice cannot be "rebuild it"
};

// What can be checked without loading the library, so without running any of its
// code: that it is an ELF shared library, that its ABI stamp matches the host's
// (or it has none and options allow that), and that its dynamic symbol table
// defines plugin_init. `tau build` checks this, and load_plugin before dlopen. On
// failure returns false and sets error to a one-line reason.
bool check_plugin_library(const plugin_library& library, const load_options& options, std::string& error);

// Checks the library (check_plugin_library), then loads and initializes it. On
// failure returns nullopt and sets error to a one-line reason.
std::optional<loaded_plugin> load_plugin(const plugin_library& library, const load_options& options,
                                         std::string& error);

// Calls plugin_destroy (if any).
void destroy_plugin(loaded_plugin& plugin);
// Unmaps the library; no callback into it may be pending any more.
void close_plugin_library(loaded_plugin& plugin);
// How many STB_GNU_UNIQUE symbols the library defines: the dynamic linker never
// unmaps a library with one (tau's plugin compiler builds with -fno-gnu-unique).
size_t unique_symbols(const std::string& path);
// Unmaps the libraries of plugins whose plugin_init was called but that were
// refused. After runtime_close.
void close_refused_plugin_libraries();

}  // namespace tau::detail
