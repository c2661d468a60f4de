// build_info.cpp: what `tau --info` says about this build.
#include "build_info.hpp"

#include <boost/version.hpp>
#include <uv.h>

#include <string>


#include "abi_stamp.hpp"
#include "build_cache.hpp"
#include "tau/tau.h"

namespace tau::detail {

namespace {

// The host's ABI stamp on one line: "key=value, key=value, ...".
std::string abi_stamp_line() {
  std::string line = host_abi_stamp();
  while (!line.empty() && line.back() == '\n') line.pop_back();
  for (size_t i = 0; (i = line.find('\n', i)) != std::string::npos;) line.replace(i, 1, ", ");
  return line;
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

}  // namespace tau::detail
