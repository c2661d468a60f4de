// probe_use_future: an operation started with use_future; io_context::run()
// (called from process, it drives the shared loop) completes it, then get().
// Waiting on the future inside the loop instead would deadlock.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <future>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static void start(asio::io_context& io) {
  asio::steady_timer timer(io, std::chrono::milliseconds(10));
  std::future<void> waited = timer.async_wait(asio::use_future);
  expect(waited.wait_for(std::chrono::seconds(0)) == std::future_status::timeout, "not ready before the loop ran");
  std::future<int> answer = asio::post(io, asio::use_future([] { return 42; }));
  io.run();
  waited.get();
  expect(answer.get() == 42, "run() completed both; get() returned 42");
  done();
}

TAU_COMPAT_PROBE(start)
