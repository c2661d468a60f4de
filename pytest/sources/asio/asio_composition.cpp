// Asio's composition tools on the tau loop: deferred operations,
// experimental::parallel_group with awaitable operators, experimental::channel.
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <tau/plugin.h>

#include <chrono>
#include <cstdio>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

namespace {

asio::io_context* io;

asio::awaitable<void> deferred_ops() {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer t(ex, 2ms);
  auto op = t.async_wait(asio::deferred);  // nothing starts until awaited
  co_await std::move(op)(asio::use_awaitable);
  auto chained = asio::post(ex, asio::deferred([] { return asio::deferred.values(42); }));
  int v = co_await std::move(chained)(asio::use_awaitable);
  std::printf("deferred: waited, chained value %d\n", v);
}

asio::awaitable<void> parallel_group() {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer fast(ex, 2ms), slow(ex, 1h);
  auto [order, e1, e2] = co_await asio::experimental::make_parallel_group(
      fast.async_wait(asio::deferred), slow.async_wait(asio::deferred))
      .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  std::printf("parallel_group: first=%zu, other %s\n", order[0],
              e2 == asio::error::operation_aborted ? "cancelled" : "not cancelled");
  asio::steady_timer a(ex, 1ms), b(ex, 3ms);
  co_await (a.async_wait(asio::use_awaitable) && b.async_wait(asio::use_awaitable));
  std::printf("awaitable_operators: both done\n");
}

asio::awaitable<void> channel() {
  auto ex = co_await asio::this_coro::executor;
  asio::experimental::channel<void(boost::system::error_code, int)> ch(ex, 2);
  asio::co_spawn(ex, [&ch]() -> asio::awaitable<void> {
    for (int i = 1; i <= 5; ++i) co_await ch.async_send(boost::system::error_code{}, i, asio::use_awaitable);
    ch.close();
  }, asio::detached);
  int sum = 0;
  for (;;) {
    boost::system::error_code ec;
    int v = co_await ch.async_receive(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    sum += v;
  }
  std::printf("channel: received sum %d then closed\n", sum);
}

asio::awaitable<void> all() {
  co_await deferred_ops();
  co_await parallel_group();
  co_await channel();
}

tau_task_id process(const uint8_t*, size_t) {
  io = new asio::io_context();
  asio::co_spawn(*io, all(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() { delete io; }
