// Asio echo client plugin: connects to the port given as input (resolving
// "localhost"), sends three lines one timer tick apart and reads each echo back.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::io_context* io;

asio::awaitable<void> talk(std::string port) {
  auto ex = co_await asio::this_coro::executor;
  tcp::socket socket(ex);
  co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))},
                                asio::use_awaitable);
  asio::steady_timer tick(ex);
  asio::streambuf buf;
  for (int i = 1; i <= 3; ++i) {
    tick.expires_after(std::chrono::milliseconds(10));
    co_await tick.async_wait(asio::use_awaitable);
    std::string line = "line " + std::to_string(i) + "\n";
    std::printf("client: send %s", line.c_str());
    co_await asio::async_write(socket, asio::buffer(line), asio::use_awaitable);
    std::size_t n = co_await asio::async_read_until(socket, buf, '\n', asio::use_awaitable);
    std::printf("client: got %s", std::string(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n).c_str());
    buf.consume(n);
  }
  socket.shutdown(tcp::socket::shutdown_send);
}

tau_task_id process(const uint8_t* data, size_t len) {
  io = new asio::io_context();
  asio::co_spawn(*io, talk(std::string(reinterpret_cast<const char*>(data), len)), asio::detached);
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() { delete io; }
