// process() calls io_context::run() itself, as a ported main() would: run() drives
// the shared loop until this context is out of work, so other plugins' tasks run
// meanwhile. A handler that calls run() again gets an error, not a deadlock.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <chrono>
#include <cstdio>

namespace asio = boost::asio;

namespace {

tau_task_id process(const uint8_t*, size_t) {
  asio::io_context io;
  asio::steady_timer timer(io, std::chrono::milliseconds(300));
  timer.async_wait([&](boost::system::error_code) {
    std::printf("timer fired\n");
    try {
      io.run();
      std::printf("nested run returned\n");
    } catch (const boost::system::system_error& e) {
      std::printf("nested run refused: %s\n", e.code().category().name());
    }
  });
  std::size_t handlers = io.run();
  std::printf("run returned after %zu handler(s), stopped=%d\n", handlers, io.stopped() ? 1 : 0);
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
