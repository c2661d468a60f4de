// Records, in every piece of plugin code the host runs, whether it ran on the loop
// thread, and prints the tally: the e2e check of the "only the loop thread runs
// plugin code" rule. Its blocking job must run off the loop thread.
#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

namespace {

int on_loop = 0;
int off_loop = 0;
std::thread::id loop_thread;

void record() { (tau_on_loop_thread() && std::this_thread::get_id() == loop_thread ? on_loop : off_loop)++; }

tau_task_id process(const uint8_t*, size_t) {
  record();
  return tau::spawn([]() -> tau::task<> {
           record();
           co_await tau::sleep(std::chrono::milliseconds(1));
           record();
           bool job_on_loop = co_await tau::spawn_blocking([] { return tau_on_loop_thread() != 0; });
           record();
           tau_post([](void*) { record(); }, nullptr);
           co_await tau::sleep(std::chrono::milliseconds(1));
           record();
           std::printf("on_loop=%d off_loop=%d blocking_job_on_loop=%d\n", on_loop, off_loop, job_on_loop);
         })
      .task_id();
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  loop_thread = std::this_thread::get_id();
  record();
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {
  record();
  std::printf("after destroy: on_loop=%d off_loop=%d\n", on_loop, off_loop);
}
