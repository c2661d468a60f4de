// async_resolve through the shim: the lookup runs on the host's blocking pool and
// the handler on the loop thread. Resolves "localhost" (IPv4) and connects to a
// loopback acceptor with the results; does a reverse lookup of 127.0.0.1; checks
// that a cancelled resolve completes with operation_aborted (or, if its lookup had
// already started, with the results), and that an io_context destroyed with a
// resolve in flight neither runs nor leaks its handler.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#ifndef TAU_ASIO_SHIM
#error "compiled against the system Asio headers, not tau's shim"
#endif

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::io_context* io;
std::thread::id loop_thread;
int off_loop = 0;

void on_loop() {
  if (std::this_thread::get_id() != loop_thread) ++off_loop;
}

// Counts its copies' destruction: proves that a handler was destroyed.
struct probe {
  std::shared_ptr<int> alive = std::make_shared<int>(0);
};

asio::awaitable<void> resolve_and_connect() {
  auto ex = co_await asio::this_coro::executor;
  tcp::acceptor acceptor(ex, {asio::ip::make_address("127.0.0.1"), 0});
  std::string port = std::to_string(acceptor.local_endpoint().port());

  tcp::resolver resolver(ex);
  auto results = co_await resolver.async_resolve(tcp::v4(), "localhost", port, asio::use_awaitable);
  on_loop();
  bool loopback = !results.empty();
  for (const auto& entry : results) loopback = loopback && entry.endpoint().address().is_loopback();
  std::printf("resolve: localhost -> %s, all loopback: %s\n",
              results.empty() ? "nothing" : results.begin()->endpoint().address().to_string().c_str(),
              loopback ? "yes" : "no");

  tcp::socket client(ex);
  auto accepted = acceptor.async_accept(asio::use_awaitable);
  co_await asio::async_connect(client, results, asio::use_awaitable);
  tcp::socket server = co_await std::move(accepted);
  on_loop();
  std::printf("connect: accepted the resolved client: %s\n",
              server.remote_endpoint() == client.local_endpoint() ? "yes" : "no");

  auto reverse = co_await resolver.async_resolve(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 80),
                                                 asio::use_awaitable);
  on_loop();
  std::printf("reverse: %zu entry, endpoint %s\n", reverse.size(),
              reverse.begin()->endpoint().address().to_string().c_str());

  // Cancelled at once: aborted, unless the pool had already started the lookup.
  boost::system::error_code ec;
  resolver.async_resolve(tcp::v4(), "localhost", port, [&](boost::system::error_code e, tcp::resolver::results_type r) {
    on_loop();
    ec = e;
    if (!e && r.empty()) ec = asio::error::host_not_found;
  });
  resolver.cancel();
  asio::steady_timer t(ex, std::chrono::milliseconds(50));
  co_await t.async_wait(asio::use_awaitable);
  std::printf("cancel: %s\n", !ec || ec == asio::error::operation_aborted ? "aborted or resolved" : ec.message().c_str());

  // An error from getaddrinfo reaches the handler (an unknown service name: no
  // name server is asked).
  auto [bad_ec, bad] = co_await resolver.async_resolve("127.0.0.1", "no-such-service-tau",
                                                         asio::as_tuple(asio::use_awaitable));
  on_loop();
  std::printf("unknown service: %s\n", bad_ec == asio::error::service_not_found ? "service_not_found" : bad_ec.message().c_str());
}

// A context destroyed while its lookups are on the pool: shutdown waits for the
// pool jobs, and destroys the handlers without running them.
void destroy_in_flight() {
  probe p;
  int ran = 0;
  {
    asio::io_context doomed;
    tcp::resolver resolver(doomed);
    for (int i = 0; i < 8; ++i)
      resolver.async_resolve("localhost", "80",
                             [&ran, p](boost::system::error_code, tcp::resolver::results_type) { ++ran; });
  }
  std::printf("destroyed in flight: handlers ran %d, handlers left alive %ld\n", ran, p.alive.use_count() - 1);
}

tau_task_id process(const uint8_t*, size_t) {
  loop_thread = std::this_thread::get_id();
  destroy_in_flight();
  io = new asio::io_context();
  asio::co_spawn(*io, resolve_and_connect(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {
  delete io;
  std::printf("handlers off the loop thread: %d\n", off_loop);
}
