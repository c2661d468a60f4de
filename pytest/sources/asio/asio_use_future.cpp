// use_future on the shared loop: waiting for the future from a process hook (outside
// the running loop) drives the loop until the value is there; waiting inside a
// handler is refused with an error instead of deadlocking.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <chrono>
#include <cstdio>

namespace asio = boost::asio;

namespace {

asio::io_context* io;

tau_task_id process(const uint8_t*, size_t) {
  io = new asio::io_context();
  asio::steady_timer timer(*io, std::chrono::milliseconds(5));
  auto done = timer.async_wait(asio::use_future);
  done.get();
  std::printf("outside the loop: future ready\n");

  auto value = asio::post(*io, asio::use_future([] { return 7; }));
  std::printf("posted function returned %d\n", value.get());

  asio::post(*io, [] {
    asio::steady_timer inner(*io, std::chrono::milliseconds(1));
    auto pending = inner.async_wait(asio::use_future);
    try {
      pending.get();
      std::printf("inside the loop: got it (unexpected)\n");
    } catch (const boost::system::system_error& e) {
      std::printf("inside the loop: refused (%s)\n", e.code().category().name());
    }
  });
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() { delete io; }
