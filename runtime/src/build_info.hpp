// build_info.hpp: what `tau --info` says about this build.
#pragma once

#include <cstdio>
#include <string>

namespace tau::detail {

// Where compiled plugins are cached: $TAU_CACHE_DIR, else ~/.tau/buildcache.
std::string build_cache_dir();
void print_info(std::FILE* out);

}  // namespace tau::detail
