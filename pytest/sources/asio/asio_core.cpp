// Unmodified Boost.Asio on the tau loop: executors, timers, TCP, UDP, local sockets
// and stream descriptors, each checked in turn by one coroutine. Prints one line per
// feature, and at the end whether every handler ran on the loop thread and how many
// threads the process has.
#include <boost/asio.hpp>
#include <boost/asio/deadline_timer.hpp>
#include <tau/plugin.h>

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#ifndef TAU_ASIO_SHIM
#error "compiled against the system Asio headers, not tau's shim"
#endif

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

asio::io_context* io;
std::thread::id loop_thread;
int off_loop = 0;

void on_loop() {
  if (std::this_thread::get_id() != loop_thread) ++off_loop;
}

int thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

asio::awaitable<void> executors() {
  auto ex = co_await asio::this_coro::executor;
  std::string order;
  asio::post(ex, [&] { on_loop(); order += "post "; });
  asio::defer(ex, [&] { on_loop(); order += "defer "; });
  // dispatch from inside a handler of the same context runs at once
  asio::dispatch(ex, [&] { on_loop(); order += "dispatch "; });
  auto strand = asio::make_strand(ex);
  asio::post(asio::bind_executor(strand, [&] { on_loop(); order += "strand "; }));
  asio::any_io_executor any = ex;
  asio::post(any, [&] { order += "any"; });
  asio::steady_timer t(ex, 5ms);
  co_await t.async_wait(asio::use_awaitable);
  std::printf("executors: %s\n", order.c_str());
}

asio::awaitable<void> timers() {
  auto ex = co_await asio::this_coro::executor;
  auto start = std::chrono::steady_clock::now();
  asio::steady_timer steady(ex, 20ms);
  co_await steady.async_wait(asio::use_awaitable);
  bool waited = std::chrono::steady_clock::now() - start >= 20ms;

  asio::system_timer sys(ex, 1ms);
  co_await sys.async_wait(asio::use_awaitable);
  asio::deadline_timer deadline(ex, boost::posix_time::milliseconds(1));
  co_await deadline.async_wait(asio::use_awaitable);

  // Cancel a long wait from a short one; then move an expiry earlier.
  asio::steady_timer long_wait(ex, 1h);
  asio::steady_timer canceller(ex, 1ms);
  canceller.async_wait([&](boost::system::error_code) { long_wait.cancel(); });
  boost::system::error_code ec;
  co_await long_wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  bool cancelled = ec == asio::error::operation_aborted;

  asio::steady_timer moved(ex, 1h);
  moved.expires_after(2ms);
  co_await moved.async_wait(asio::use_awaitable);
  std::printf("timers: steady waited %s, system and deadline fired, cancel %s, expiry changed\n",
              waited ? "long enough" : "too little", cancelled ? "aborted the wait" : "failed");
}

asio::awaitable<void> tcp_echo() {
  using asio::ip::tcp;
  auto ex = co_await asio::this_coro::executor;
  tcp::acceptor acceptor(ex, {asio::ip::make_address("127.0.0.1"), 0});
  asio::co_spawn(ex, [&acceptor]() -> asio::awaitable<void> {
    tcp::socket peer = co_await acceptor.async_accept(asio::use_awaitable);
    asio::streambuf buf;
    std::size_t n = co_await asio::async_read_until(peer, buf, '\n', asio::use_awaitable);
    std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
    co_await asio::async_write(peer, asio::buffer(line), asio::use_awaitable);
  }, asio::detached);
  tcp::socket socket(ex);
  co_await socket.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
  std::string big(1 << 20, 'x');
  big += '\n';
  co_await asio::async_write(socket, asio::buffer(big), asio::use_awaitable);
  std::string back(big.size(), '\0');
  co_await asio::async_read(socket, asio::buffer(back), asio::use_awaitable);
  on_loop();
  std::printf("tcp: %zu bytes echoed %s\n", back.size(), back == big ? "intact" : "CORRUPT");
}

asio::awaitable<void> udp() {
  using asio::ip::udp;
  auto ex = co_await asio::this_coro::executor;
  udp::socket a(ex, {asio::ip::make_address("127.0.0.1"), 0});
  udp::socket b(ex, {asio::ip::make_address("127.0.0.1"), 0});
  co_await a.async_send_to(asio::buffer("ping", 4), b.local_endpoint(), asio::use_awaitable);
  char buf[16];
  udp::endpoint from;
  std::size_t n = co_await b.async_receive_from(asio::buffer(buf), from, asio::use_awaitable);
  std::printf("udp: got '%.*s' from the other socket: %s\n", int(n), buf, from == a.local_endpoint() ? "yes" : "no");
}

asio::awaitable<void> local_and_descriptor() {
  auto ex = co_await asio::this_coro::executor;
  asio::local::stream_protocol::socket x(ex), y(ex);
  asio::local::connect_pair(x, y);
  co_await asio::async_write(x, asio::buffer("unix", 4), asio::use_awaitable);
  char buf[8];
  std::size_t n = co_await asio::async_read(y, asio::buffer(buf, 4), asio::use_awaitable);

  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  asio::posix::stream_descriptor reader(ex, fds[0]), writer(ex, fds[1]);
  co_await asio::async_write(writer, asio::buffer("pipe", 4), asio::use_awaitable);
  char pbuf[8];
  std::size_t m = co_await asio::async_read(reader, asio::buffer(pbuf, 4), asio::use_awaitable);
  std::printf("local: '%.*s', stream_descriptor: '%.*s'\n", int(n), buf, int(m), pbuf);
}

asio::awaitable<void> all() {
  co_await executors();
  co_await timers();
  co_await tcp_echo();
  co_await udp();
  co_await local_and_descriptor();
}

tau_task_id process(const uint8_t*, size_t) {
  loop_thread = std::this_thread::get_id();
  io = new asio::io_context();
  asio::co_spawn(*io, all(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  return 0;  // the io_context's outstanding work keeps the host running
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {
  std::printf("handlers off the loop thread: %d, threads: %d\n", off_loop, thread_count());
  delete io;
}
