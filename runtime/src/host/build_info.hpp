// build_info.hpp: what `tau --info` says about this build.
#pragma once

#include <cstdio>

namespace tau::detail {

void print_info(std::FILE* out);

// The same as one JSON object, for tools (`tau --info --json`), with the flags a
// plugin built without CMake must use (plugin_cflags, plugin_ldflags).
void print_info_json(std::FILE* out);

}  // namespace tau::detail
