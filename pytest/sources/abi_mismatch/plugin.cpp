#include <tau/plugin.h>

#include <cstdio>

static tau_task_id process(const uint8_t*, size_t) {
  std::printf("abi_mismatch ran\n");
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
