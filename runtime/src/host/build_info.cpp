// build_info.cpp: what `tau --info` says about this build.
#include "build_info.hpp"

#include <boost/version.hpp>
#include <uv.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "abi_stamp.hpp"
#include "build_cache.hpp"
#include "tau/tau.h"

namespace tau::detail {
namespace fs = std::filesystem;

namespace {

// The host's ABI stamp on one line: "key=value, key=value, ...".
std::string abi_stamp_line() {
  std::string line = host_abi_stamp();
  while (!line.empty() && line.back() == '\n') line.pop_back();
  for (size_t i = 0; (i = line.find('\n', i)) != std::string::npos;) line.replace(i, 1, ", ");
  return line;
}

std::string boost_version() {
  return std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) + "." +
         std::to_string(BOOST_VERSION % 100);
}

// bin/.. of this executable: the build tree or an installed dist/.
fs::path install_prefix() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path();
}

// tau's and the shim's include directories: include/ and include/tau-shim/ of an
// installed dist/, else (the build tree) the source tree's.
std::pair<std::string, std::string> include_dirs() {
  fs::path prefix = install_prefix();
  std::error_code ec;
  if (fs::exists(prefix / "include" / "tau" / "tau.h", ec))
    return {(prefix / "include").string(), (prefix / "include" / "tau-shim").string()};
  return {TAU_SOURCE_INCLUDE_DIR, TAU_SOURCE_SHIM_INCLUDE_DIR};
}

// One flag template of TauPackage.cmake as arguments, {include} and {shim} replaced.
std::vector<std::string> plugin_flags(const char* flag_template) {
  auto [include, shim] = include_dirs();
  std::vector<std::string> flags;
  std::istringstream words(flag_template);
  for (std::string word; words >> word;) {
    for (auto [name, dir] : {std::pair{"{include}", &include}, std::pair{"{shim}", &shim}})
      if (size_t at = word.find(name); at != std::string::npos)
        word.replace(at, std::string(name).size(), *dir);
    flags.push_back(word);
  }
  return flags;
}

}  // namespace

void print_info(std::FILE* out) {
  std::fprintf(out, "tau %s\n", tau_version());
  std::fprintf(out, "  plugin ABI version: %u\n", tau_abi_version());
  std::fprintf(out, "  compiler:           %s (%s)\n", TAU_COMPILER, TAU_COMPILER_PATH);
  std::fprintf(out, "  C++ standard:       C++%s\n", TAU_CXX_STANDARD);
  std::fprintf(out, "  build type:         %s\n", TAU_BUILD_TYPE);
  std::fprintf(out, "  flags:              %s\n", TAU_CXX_FLAGS);
  std::fprintf(out, "  plugin flags:       %s\n", TAU_PLUGIN_FLAGS);
  std::fprintf(out, "  sanitizers:         %s\n", TAU_SANITIZERS);
  std::fprintf(out, "  libuv:              %s (built against %s)\n", uv_version_string(), TAU_LIBUV_BUILD_VERSION);
  std::fprintf(out, "  Boost:              %d.%d.%d (the Asio shim is pinned to this version)\n",
               BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100);
  std::fprintf(out, "  build cache:        %s\n", build_cache_root().c_str());
  std::fprintf(out, "  ABI stamp:          %s\n", abi_stamp_line().c_str());
}

void print_info_json(std::FILE* out) {
  nlohmann::ordered_json stamp = nlohmann::ordered_json::object();
  std::istringstream lines(host_abi_stamp());
  for (std::string line; std::getline(lines, line);)
    if (size_t eq = line.find('='); eq != std::string::npos) stamp[line.substr(0, eq)] = line.substr(eq + 1);
  std::vector<std::string> sanitizers;
  std::istringstream names(TAU_SANITIZERS);
  for (std::string name; std::getline(names, name, ',');)
    if (name != "none") sanitizers.push_back(name);
  fs::path pkg_config_dir = install_prefix() / "lib" / "pkgconfig";
  std::error_code ec;
  auto [include, shim] = include_dirs();
  std::string cxx_flags = TAU_CXX_FLAGS;  // " -O2 ..." when CMAKE_CXX_FLAGS is empty
  cxx_flags.erase(0, cxx_flags.find_first_not_of(' '));
  nlohmann::ordered_json info = {
      {"version", tau_version()},
      {"abi_version", tau_abi_version()},
      {"compiler", TAU_COMPILER},
      {"compiler_path", TAU_COMPILER_PATH},
      {"cxx_standard", std::stoi(TAU_CXX_STANDARD)},
      {"build_type", TAU_BUILD_TYPE},
      {"cxx_flags", cxx_flags},
      {"plugin_flags", TAU_PLUGIN_FLAGS},
      {"plugin_cflags", plugin_flags(TAU_PLUGIN_CFLAGS)},
      {"plugin_ldflags", plugin_flags(TAU_PLUGIN_LDFLAGS)},
      {"include_dirs", nlohmann::ordered_json::array({shim, include})},
      {"pkg_config_path", fs::exists(pkg_config_dir / "tau.pc", ec)
                              ? nlohmann::ordered_json(pkg_config_dir.string())
                              : nlohmann::ordered_json()},
      {"sanitizers", sanitizers},
      {"libuv", uv_version_string()},
      {"libuv_build", TAU_LIBUV_BUILD_VERSION},
      {"boost", boost_version()},
      {"build_cache", build_cache_root().string()},
      {"abi_stamp", stamp},
  };
  std::fprintf(out, "%s\n", info.dump(2).c_str());
}

}  // namespace tau::detail
