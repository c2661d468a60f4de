// probe_executor_work_guard: a work guard keeps the context (and so the host)
// running with nothing queued; resetting it lets the host finish.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <chrono>

namespace asio = boost::asio;
using namespace tau_compat::probe;

using guard_t = asio::executor_work_guard<asio::io_context::executor_type>;
static guard_t* guard;
static asio::steady_timer* timer;

static void start(asio::io_context& io) {
  guard = make<guard_t>(asio::make_work_guard(io));
  timer = make<asio::steady_timer>(io, std::chrono::milliseconds(50));
  // The timer's wait is work too; the guard must keep the host alive after it.
  timer->async_wait([&io](boost::system::error_code ec) {
    expect(!ec, "timer fired while the guard holds the context");
    asio::post(io, [] {
      expect(guard->owns_work(), "the guard still owns work");
      // No pending operation is left: only the guard keeps the host running now.
      // Release it from a plain loop callback, through the tau C ABI.
      tau_timer_t* t = nullptr;
      tau_timer_start(&t, 30, 0, [](void*) {
        guard->reset();
        say("guard reset");
        done();
      }, nullptr);
    });
  });
}

TAU_COMPAT_PROBE(start)
