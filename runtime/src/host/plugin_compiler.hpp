// plugin_compiler.hpp: turn what the user named with --plugin (a CMake project
// directory, a single .cpp, or a built .so) into a loadable, stamped library,
// building it with the host's own compiler and flags and caching the result.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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

// Why a plugin did not build.
enum class build_failure {
  failed,          // the source is not a plugin project, or configure or compile failed
  interrupted,     // SIGINT or SIGTERM arrived (interrupt_signal() says which)
  cache_unusable,  // the build cache cannot be created or written, or is not ours
};

struct build_error {
  build_failure kind = build_failure::failed;
  std::string message;  // one line, without the plugin's name
};

// The library to load for source: the cached build when it is current, else a
// fresh build (progress and compiler output go to stderr). On failure returns
// nullopt with error set; the last good build is kept. A SIGINT or SIGTERM stops
// the build only inside an interrupt_scope (process.hpp).
std::optional<std::filesystem::path> compile_plugin(const plugin_source& source, build_error& error);

// The files the plugin's last good build was made from (what a change to rebuilds
// it); empty when it has none or the cache cannot be read.
std::vector<std::filesystem::path> plugin_inputs(const plugin_source& source);

}  // namespace tau::detail
