// A plugin whose output comes from a header of its own.
#include <tau/plugin.h>

#include <cstdio>

#include "greeting.hpp"

static tau_task_id process(const uint8_t*, size_t) {
  std::printf("%s\n", greeting());
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
