// A plugin thread that only does plain work (and blocks): allowed, and reported.
#include <tau/plugin.h>

#include <cstdio>
#include <thread>

static tau_task_id process(const uint8_t*, size_t) {
  std::thread([] { std::puts("worker ran"); }).join();
  return 0;
}

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
