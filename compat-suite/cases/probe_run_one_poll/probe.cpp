// probe_run_one_poll: from process, poll() runs what is ready without waiting,
// run_one() runs exactly one handler (waiting for a timer), the context stops when
// out of work and run() needs restart(), as in native Asio (checked against a
// native build: 2 1 stopped 0 2).
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <string>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static void start(asio::io_context& io) {
  int ran = 0;
  asio::post(io, [&] { ++ran; });
  asio::post(io, [&] { ++ran; });
  asio::steady_timer timer(io, std::chrono::milliseconds(20));
  timer.async_wait([&](boost::system::error_code) { ran += 10; });
  size_t polled = io.poll();
  expect(polled == 2 && ran == 2, "poll() ran the 2 ready handlers and did not wait for the timer (returned " +
                                      std::to_string(polled) + ", ran " + std::to_string(ran) + ")");
  size_t one = io.run_one();
  expect(one == 1 && ran == 12, "run_one() waited for the timer and ran it alone (returned " + std::to_string(one) +
                                    ", ran " + std::to_string(ran) + ")");
  // As in Asio, the context stops itself when its last work finishes: run()
  // does nothing until restart().
  expect(io.stopped(), "out of work after run_one(), the context is stopped");
  asio::post(io, [&] { ++ran; });
  asio::post(io, [&] { ++ran; });
  size_t none = io.run();
  io.restart();
  size_t rest = io.run();
  expect(none == 0 && rest == 2 && ran == 14 && io.stopped(),
         "run() ran nothing before restart(), then the other 2, and stopped out of work (returned " +
             std::to_string(none) + " then " + std::to_string(rest) + ", ran " + std::to_string(ran) + ")");
  done();
}

TAU_COMPAT_PROBE(start)
