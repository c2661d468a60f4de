// A Boost.Beast HTTP server and client in one plugin, on the tau loop: the client
// resolves "localhost", sends three GET requests over one keep-alive connection,
// and prints each response.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <tau/plugin.h>

#include <cstdio>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

asio::io_context* io;
std::thread::id loop_thread;
int off_loop = 0;

asio::awaitable<void> serve(tcp::acceptor acceptor) {
  beast::tcp_stream stream(co_await acceptor.async_accept(asio::use_awaitable));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::end_of_stream) break;
    if (ec) throw boost::system::system_error(ec);
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::server, "tau-beast-test");
    response.body() = "you asked for " + std::string(request.target());
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    co_await http::async_write(stream, response, asio::use_awaitable);
  }
  stream.socket().shutdown(tcp::socket::shutdown_send);
}

asio::awaitable<void> fetch(unsigned short port) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto endpoints = co_await resolver.async_resolve("localhost", std::to_string(port), asio::use_awaitable);
  beast::tcp_stream stream(ex);
  stream.expires_after(std::chrono::seconds(10));
  co_await stream.async_connect(endpoints, asio::use_awaitable);
  beast::flat_buffer buffer;
  for (const char* target : {"/one", "/two", "/three"}) {
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "localhost");
    co_await http::async_write(stream, request, asio::use_awaitable);
    http::response<http::string_body> response;
    co_await http::async_read(stream, buffer, response, asio::use_awaitable);
    if (std::this_thread::get_id() != loop_thread) ++off_loop;
    std::printf("%u %s: %s\n", response.result_int(), std::string(response[http::field::server]).c_str(),
                response.body().c_str());
  }
  stream.socket().shutdown(tcp::socket::shutdown_send);
}

tau_task_id process(const uint8_t*, size_t) {
  loop_thread = std::this_thread::get_id();
  io = new asio::io_context();
  tcp::acceptor acceptor(*io, {asio::ip::make_address("127.0.0.1"), 0});
  unsigned short port = acceptor.local_endpoint().port();
  auto rethrow = [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  };
  asio::co_spawn(*io, serve(std::move(acceptor)), rethrow);
  asio::co_spawn(*io, fetch(port), rethrow);
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {
  std::printf("handlers off the loop thread: %d\n", off_loop);
  delete io;
}
