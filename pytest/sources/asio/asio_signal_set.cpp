// signal_set through the shim: signals come from the host's uv_signal watch. A
// signal raised from a timer is delivered; one that arrives with no async_wait
// pending is kept for the next one; cancel(), per-operation cancellation and
// destroying the set complete a wait with operation_aborted; two sets (in two
// io_contexts) both get the signal; bad signal numbers fail as in Asio. SIGINT
// watched by the plugin goes to the plugin and does not shut the host down.
// With --input external it instead waits, with nothing else pending (the wait alone
// keeps the host running) for SIGUSR1 and then SIGINT sent from outside.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <csignal>
#include <cstdio>
#include <optional>
#include <string_view>
#include <thread>

#ifndef TAU_ASIO_SHIM
#error "compiled against the system Asio headers, not tau's shim"
#endif

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

asio::io_context* io;
asio::io_context* io2;
std::thread::id loop_thread;
int off_loop = 0;

void on_loop() {
  if (std::this_thread::get_id() != loop_thread) ++off_loop;
}

const char* name(int signum) {
  switch (signum) {
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    case SIGINT: return "SIGINT";
    default: return "other";
  }
}

const char* outcome(boost::system::error_code ec) {
  if (!ec) return "delivered";
  if (ec == asio::error::operation_aborted) return "operation_aborted";
  if (ec == asio::error::invalid_argument) return "invalid_argument";
  return "other error";
}

asio::awaitable<void> sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<void> signals() {
  auto ex = co_await asio::this_coro::executor;

  // Raised from a timer while a wait is pending.
  {
    asio::signal_set set(ex, SIGUSR1);
    asio::steady_timer t(ex, 10ms);
    t.async_wait([](boost::system::error_code) { std::raise(SIGUSR1); });
    int signum = co_await set.async_wait(asio::use_awaitable);
    on_loop();
    std::printf("raised from a timer: %s delivered\n", name(signum));
  }

  // Arrives with no wait pending: kept for the next async_wait.
  {
    asio::signal_set set(ex);
    set.add(SIGUSR2);
    std::raise(SIGUSR2);
    co_await sleep(20ms);
    int signum = co_await set.async_wait(asio::use_awaitable);
    std::printf("queued while nobody waited: %s delivered to the next wait\n", name(signum));
  }

  // cancel(), a cancellation slot, and destroying the set abort the wait.
  {
    std::optional<asio::signal_set> set(std::in_place, ex, SIGUSR1);
    boost::system::error_code by_cancel, by_slot, by_destroy;
    set->async_wait([&](boost::system::error_code ec, int) { by_cancel = ec; });
    set->cancel();
    asio::cancellation_signal cancel;
    set->async_wait(asio::bind_cancellation_slot(cancel.slot(), [&](boost::system::error_code ec, int) {
      by_slot = ec;
    }));
    cancel.emit(asio::cancellation_type::terminal);
    set->async_wait([&](boost::system::error_code ec, int) { by_destroy = ec; });
    set.reset();
    co_await sleep(1ms);
    std::printf("cancel: %s, slot: %s, destroy: %s\n", outcome(by_cancel), outcome(by_slot), outcome(by_destroy));
  }

  // Two sets in two contexts both get one signal; removing one stops it there.
  {
    asio::signal_set a(ex, SIGUSR2), b(*io2, SIGUSR2), c(ex, SIGUSR2);
    int got_a = 0, got_b = 0;
    a.async_wait([&](boost::system::error_code ec, int) { got_a += !ec; });
    b.async_wait([&](boost::system::error_code ec, int) { on_loop(); got_b += !ec; });
    c.remove(SIGUSR2);
    bool c_got = false;
    c.async_wait([&](boost::system::error_code ec, int) { c_got = !ec; });
    std::raise(SIGUSR2);
    co_await sleep(20ms);
    std::printf("two contexts: a=%d b=%d, removed set got it: %s\n", got_a, got_b, c_got ? "yes" : "no");
    c.cancel();
  }

  // Signal numbers Asio refuses.
  {
    asio::signal_set set(ex);
    boost::system::error_code neg, big, kill;
    set.add(-1, neg);
    set.add(4096, big);
    set.add(SIGKILL, kill);
    std::printf("add(-1): %s, add(4096): %s, add(SIGKILL): %s\n", outcome(neg), outcome(big),
                kill ? "error" : "accepted");
  }

  // SIGINT goes to the plugin, not to the host's shutdown.
  {
    asio::signal_set set(ex, SIGINT);
    asio::steady_timer t(ex, 10ms);
    t.async_wait([](boost::system::error_code) { std::raise(SIGINT); });
    int signum = co_await set.async_wait(asio::use_awaitable);
    std::printf("watched %s: delivered to the plugin\n", name(signum));
  }
  co_await sleep(20ms);
  std::printf("host still running\n");
}

asio::awaitable<void> external() {
  asio::signal_set set(co_await asio::this_coro::executor, SIGUSR1, SIGINT);
  for (int i = 0; i < 2; ++i) {
    std::printf("waiting for a signal from outside\n");
    std::fflush(stdout);
    int signum = co_await set.async_wait(asio::use_awaitable);
    std::printf("got %s from outside\n", name(signum));
  }
}

tau_task_id process(const uint8_t* data, size_t len) {
  loop_thread = std::this_thread::get_id();
  io = new asio::io_context();
  io2 = new asio::io_context();
  bool outside = std::string_view(reinterpret_cast<const char*>(data), len) == "external";
  asio::co_spawn(*io, outside ? external() : signals(), [](std::exception_ptr e) {
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
  delete io2;
  std::printf("handlers off the loop thread: %d\n", off_loop);
}
