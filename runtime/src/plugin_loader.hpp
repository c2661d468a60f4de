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
};

// Loads and initializes the plugin at path. On failure returns nullopt and sets
// error to a one-line reason.
std::optional<loaded_plugin> load_plugin(const std::string& path, std::string& error);

// Calls plugin_destroy (if any) and unloads the library.
void unload_plugin(loaded_plugin& plugin);

}  // namespace tau::detail
