#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <cstdio>

static tau::task<> work() {
  auto job = tau::spawn_blocking([] { return 6 * 7; });
  int answer = co_await job;
  std::printf("pool answered %d\n", answer);
}

static tau_task_id process(const uint8_t*, size_t) { return tau::spawn(work).task_id(); }

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {}
