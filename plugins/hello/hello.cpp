// hello: the smallest plugin. Spawns a task that sleeps 100 ms and prints.
#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

namespace {

tau::task<> hello() {
  co_await tau::sleep(100ms);
  std::printf("Hello from plugin!\n");
  std::fflush(stdout);
}

tau_task_id process(const uint8_t*, size_t) {
  auto handle = tau::spawn(hello);
  return handle.task_id();
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {}
