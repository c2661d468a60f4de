// Asio echo server plugin: accepts one connection on the port given as input,
// echoes lines until the client closes, then ends.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <cstdio>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::io_context* io;

asio::awaitable<void> serve(unsigned short port) {
  auto ex = co_await asio::this_coro::executor;
  tcp::acceptor acceptor(ex, {asio::ip::make_address("127.0.0.1"), port});
  std::printf("server: listening\n");
  std::fflush(stdout);
  tcp::socket peer = co_await acceptor.async_accept(asio::use_awaitable);
  asio::streambuf buf;
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await asio::async_read_until(peer, buf, '\n', asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
    buf.consume(n);
    std::printf("server: echo %s", line.c_str());
    co_await asio::async_write(peer, asio::buffer(line), asio::use_awaitable);
  }
  std::printf("server: client left\n");
}

tau_task_id process(const uint8_t* data, size_t len) {
  unsigned short port = static_cast<unsigned short>(std::stoi(std::string(reinterpret_cast<const char*>(data), len)));
  io = new asio::io_context();
  asio::co_spawn(*io, serve(port), asio::detached);
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() { delete io; }
