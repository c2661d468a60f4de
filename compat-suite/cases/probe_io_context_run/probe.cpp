// probe_io_context_run: io_context::run() called from process drives the shared
// loop until the context is out of work (a tau timer of the same plugin fires
// meanwhile); called from inside a handler it fails instead of blocking the loop.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static bool tau_timer_fired = false;

static void start(asio::io_context& io) {
  tau_timer_t* t = nullptr;
  tau_timer_start(&t, 5, 0, [](void*) { tau_timer_fired = true; }, nullptr);
  asio::steady_timer timer(io, std::chrono::milliseconds(30));
  bool nested_failed = false;
  timer.async_wait([&](boost::system::error_code) {
    boost::system::error_code ec;
    io.run(ec);  // inside a handler: must not block or re-enter the loop
    nested_failed = bool(ec);
    say("run() inside a handler: %s", ec ? ec.message().c_str() : "no error");
  });
  size_t n = io.run();
  expect(n == 1, "run() from process ran the timer's handler and returned");
  expect(tau_timer_fired, "the shared loop ran other work (a tau timer) meanwhile");
  expect(nested_failed, "run() from inside a handler failed with an error code");
  done();
}

TAU_COMPAT_PROBE(start)
