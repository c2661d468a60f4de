// probe_co_spawn: awaitables return values through co_await, an exception thrown
// in one reaches the co_spawn completion handler, this_coro::executor works.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <exception>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static asio::awaitable<int> twice(int x) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
  co_await t.async_wait(asio::use_awaitable);
  co_return 2 * x;
}

static asio::awaitable<int> sum() {
  int total = 0;
  for (int i = 1; i <= 4; ++i) total += co_await twice(i);
  co_return total;
}

static asio::awaitable<void> throws() {
  co_await twice(1);
  throw std::runtime_error("thrown in an awaitable");
}

static void start(asio::io_context& io) {
  asio::co_spawn(io, sum(), [&io](std::exception_ptr e, int total) {
    expect_loop_thread("co_spawn completion");
    expect(!e && total == 20, "co_spawn returned 20 through nested awaitables");
    asio::co_spawn(io, throws(), [](std::exception_ptr e) {
      bool caught = false;
      try {
        if (e) std::rethrow_exception(e);
      } catch (const std::runtime_error& err) {
        caught = std::string(err.what()) == "thrown in an awaitable";
      }
      expect(caught, "the awaitable's exception reached the completion handler");
      done();
    });
  });
}

TAU_COMPAT_PROBE(start)
