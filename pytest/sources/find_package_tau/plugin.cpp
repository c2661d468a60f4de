#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <chrono>
#include <cstdio>

static tau_task_id process(const uint8_t*, size_t) {
  return tau::spawn([]() -> tau::task<> {
           co_await tau::sleep(std::chrono::milliseconds(1));
           std::printf("built by find_package(Tau)\n");
         })
      .task_id();
}

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
