// A server as ported mains are written: process() calls io_context::run() on an
// acceptor that never stops accepting. SIGINT/SIGTERM to the host must make that
// run() return (as if stop() was called), so the hook returns and the host exits.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <cstdio>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

void accept_forever(tcp::acceptor& acceptor) {
  acceptor.async_accept([&](boost::system::error_code ec, tcp::socket) {
    if (!ec) accept_forever(acceptor);
  });
}

tau_task_id process(const uint8_t*, size_t) {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  accept_forever(acceptor);
  std::printf("serving\n");
  std::fflush(stdout);
  io.run();
  std::printf("run returned, stopped=%d\n", io.stopped() ? 1 : 0);
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() { std::printf("destroyed\n"); }
