// plugin_compiler.hpp: turn what the user named with --plugin (a CMake project
// directory, a single .cpp, or a built .so) into a loadable, stamped library,
// building it with the host's own compiler and flags and caching the result.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tau::detail {

enum class plugin_kind { prebuilt, cmake_project, single_file };

struct plugin_source {
  plugin_kind kind = plugin_kind::prebuilt;
  std::filesystem::path path;  // absolute for sources; as given for prebuilt files
  std::string name;            // what progress and errors call it
};

plugin_source classify_plugin(const std::string& argument);

// What a plugin build depends on besides its sources: a change rebuilds it.
std::string host_fingerprint();

// The library to load for source: the cached build when it is current, else a
// fresh build (progress and compiler output go to stderr). On failure returns
// nullopt with error set to a one-line reason; the last good build is kept.
std::optional<std::filesystem::path> compile_plugin(const plugin_source& source, std::string& error);

}  // namespace tau::detail
