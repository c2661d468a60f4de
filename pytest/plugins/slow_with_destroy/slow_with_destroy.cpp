// Sleeps for a long time and says when it starts, is cancelled and is destroyed,
// so a test can interrupt it and watch the shutdown.
#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <chrono>
#include <cstdio>

namespace {

struct announce_end {
  ~announce_end() { std::printf("task frame destroyed\n"); }
};

tau_task_id process(const uint8_t*, size_t) {
  return tau::spawn([]() -> tau::task<> {
           announce_end end;
           std::printf("sleeping\n");
           std::fflush(stdout);
           co_await tau::sleep(std::chrono::seconds(30));
           std::printf("woke up\n");
         })
      .task_id();
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {
  std::printf("plugin destroyed\n");
  std::fflush(stdout);
}
