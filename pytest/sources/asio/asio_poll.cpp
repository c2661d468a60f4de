// poll() outside the running loop polls for I/O without blocking, as Asio's does:
// called from process() (the loop thread, outside the loop), it lets the loop take
// one turn, so an accept whose connection is already queued completes in it. Inside
// a handler it runs only what is already queued. Either way it counts, and
// poll_one() runs, only the handlers it ran.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <cstdio>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

tau_task_id process(const uint8_t*, size_t) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  bool accepted = false;
  acceptor.async_accept([&](boost::system::error_code ec, tcp::socket) { accepted = !ec; });
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  std::size_t ran = 0;
  for (int i = 0; i < 3 && !accepted; ++i) ran += io.poll();
  std::printf("poll from process: accepted=%d after %zu handler(s)\n", accepted ? 1 : 0, ran);

  // Handlers posted before the turn are poll's to run and count, not the loop's:
  // poll_one() runs one of them, poll() the rest.
  io.restart();
  int posted_ran = 0;
  for (int i = 0; i < 3; ++i) asio::post(io, [&] { ++posted_ran; });
  std::size_t one = io.poll_one();
  int ran_by_one = posted_ran;
  std::size_t rest = io.poll();
  std::printf("posted before polling: poll_one ran %zu (%d ran), poll ran %zu (%d ran)\n", one, ran_by_one, rest,
              posted_ran);

  io.restart();
  std::size_t inside = 1;
  asio::steady_timer due(io, asio::steady_timer::time_point::min());
  asio::post(io, [&] {
    // The timer is due, but inside the loop no turn can be had: nothing is queued.
    inside = io.poll();
    due.cancel();
  });
  due.async_wait([](boost::system::error_code) {});
  io.run();
  std::printf("poll inside a handler: ran %zu\n", inside);
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
