// process() waits on a use_future result that never comes (a one-hour timer), on
// the loop thread outside the running loop, where the wait drives the loop. A
// shutdown signal must end that wait with an error, not leave it in
// std::future::get() for ever.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <chrono>
#include <cstdio>

namespace asio = boost::asio;

namespace {

tau_task_id process(const uint8_t*, size_t) {
  asio::io_context io;
  asio::steady_timer timer(io, std::chrono::hours(1));
  auto done = timer.async_wait(asio::use_future);
  std::printf("waiting\n");
  std::fflush(stdout);
  try {
    done.get();
    std::printf("the timer fired\n");
  } catch (const boost::system::system_error& e) {
    std::printf("wait ended: %s: %s\n", e.code().category().name(), e.code().message().c_str());
  }
  return 0;
}

}  // namespace

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
