// The plugin a test edits and reloads: an Asio server (slow enough to compile that
// a build on the loop thread would show) that says its VERSION every 100 ms. It
// keeps everything in statics and leaves it all running at plugin_destroy: a
// pending accept, a timer, a signal_set and a resolve in flight. Unloading must
// cope (the static destructors run at dlclose), and leave nothing that calls into
// the unmapped code.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <cstdio>

#define VERSION 1

namespace asio = boost::asio;

namespace {

asio::io_context io;
asio::ip::tcp::acceptor acceptor(io);
asio::steady_timer timer(io);
asio::steady_timer far_timer(io);
asio::signal_set signals(io, SIGUSR2);
asio::ip::tcp::resolver resolver(io);

void say() {
  std::printf("server version %d\n", VERSION);
  std::fflush(stdout);
  timer.expires_after(std::chrono::milliseconds(100));
  timer.async_wait([](boost::system::error_code ec) {
    if (!ec) say();
  });
}

tau_task_id process(const uint8_t*, size_t) {
  acceptor.open(asio::ip::tcp::v4());
  acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
  acceptor.listen();
  acceptor.async_accept([](boost::system::error_code, asio::ip::tcp::socket) {});
  far_timer.expires_after(std::chrono::hours(1));
  far_timer.async_wait([](boost::system::error_code) {});
  signals.async_wait([](boost::system::error_code, int) {});
  resolver.async_resolve("localhost", "80", [](boost::system::error_code, asio::ip::tcp::resolver::results_type) {});
  say();
  return 0;
}

}  // namespace

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" void plugin_destroy() { std::printf("server version %d destroyed\n", VERSION); }
