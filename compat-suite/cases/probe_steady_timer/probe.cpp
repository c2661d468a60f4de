// probe_steady_timer: async_wait completes in expiry order, not later than a
// few ms after expiry nor before it; cancel() completes a wait with
// operation_aborted.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace tau_compat::probe;
using clock_type = std::chrono::steady_clock;

static std::vector<asio::steady_timer*> timers;
static std::string order;

static void start(asio::io_context& io) {
  auto t0 = clock_type::now();
  int delays[] = {30, 10, 20};
  for (int d : delays) {
    timers.push_back(make<asio::steady_timer>(io, std::chrono::milliseconds(d)));
    timers.back()->async_wait([d, t0](boost::system::error_code ec) {
      expect_loop_thread("timer handler");
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
      if (ec || elapsed < d) throw std::runtime_error("probe: timer " + std::to_string(d) + "ms fired at " +
                                                      std::to_string(elapsed) + "ms: " + ec.message());
      order += std::to_string(d) + " ";
      if (d == 30) {
        expect(order == "10 20 30 ", "timers fired in expiry order (" + order + ")");
        done();
      }
    });
  }
  timers.push_back(make<asio::steady_timer>(io, std::chrono::seconds(60)));
  timers.back()->async_wait([](boost::system::error_code ec) {
    expect(ec == asio::error::operation_aborted, "a cancelled wait completes with operation_aborted");
  });
  timers.back()->cancel();
}

TAU_COMPAT_PROBE(start)
