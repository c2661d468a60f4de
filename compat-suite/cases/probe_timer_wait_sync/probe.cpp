// probe_timer_wait_sync: steady_timer::wait() blocks for the duration (and, on
// the shared loop, blocks every plugin meanwhile), then async work still runs.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <chrono>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static asio::steady_timer* timer;

static void start(asio::io_context& io) {
  timer = make<asio::steady_timer>(io, std::chrono::milliseconds(50));
  auto t0 = std::chrono::steady_clock::now();
  timer->wait();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  expect(ms >= 50, "wait() returned after " + std::to_string(ms) + " ms (>= 50)");
  timer->expires_after(std::chrono::milliseconds(10));
  timer->async_wait([](boost::system::error_code ec) {
    expect(!ec, "an async_wait after the synchronous wait");
    done();
  });
}

TAU_COMPAT_PROBE(start)
