// build_info.hpp: what `tau --info` says about this build.
#pragma once

#include <cstdio>

namespace tau::detail {

void print_info(std::FILE* out);

}  // namespace tau::detail
