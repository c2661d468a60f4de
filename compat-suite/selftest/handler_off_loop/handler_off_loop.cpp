// Breaks the shared-loop rule as a shim bug would: the shim counts an Asio handler
// run off the loop thread. The harness must catch it from the shim's report.
#include <tau/plugin.h>

#include <boost/asio.hpp>
#include <cstdio>
#include <thread>

static tau_task_id process(const uint8_t*, size_t) {
  std::thread([] {
    boost::asio::detail::tau_shim_stats::get().count_handlers(1, tau_on_loop_thread() != 0);
    std::puts("counted a handler on a plugin thread");
  }).join();
  return 0;
}

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
