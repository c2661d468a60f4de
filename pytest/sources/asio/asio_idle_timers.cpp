// A context nobody runs (host-driven, alive until plugin_destroy) whose timers all
// fired or were cancelled must not keep tau running: the shim's timerfd watch is
// paused once no deadline is left.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <chrono>
#include <cstdio>
#include <memory>

namespace asio = boost::asio;

namespace {

struct timers {
  asio::io_context io;
  asio::steady_timer fires{io, std::chrono::milliseconds(5)};
  asio::steady_timer cancelled{io, std::chrono::hours(1)};
};

std::unique_ptr<timers> g_timers;

tau_task_id process(const uint8_t*, size_t) {
  g_timers = std::make_unique<timers>();
  g_timers->cancelled.async_wait([](boost::system::error_code ec) {
    std::printf("hour timer: %s\n", ec == asio::error::operation_aborted ? "cancelled" : "fired");
  });
  g_timers->fires.async_wait([](boost::system::error_code ec) {
    std::printf("5 ms timer: %s\n", ec ? "failed" : "fired");
    g_timers->cancelled.cancel();
  });
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy(void) { g_timers.reset(); }
