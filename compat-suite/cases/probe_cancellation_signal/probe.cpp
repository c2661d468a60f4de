// probe_cancellation_signal: a wait bound to a cancellation slot completes with
// operation_aborted when the signal is emitted; the timer itself stays usable.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static asio::steady_timer* timer, *other;
static asio::cancellation_signal cancel_signal;

static void start(asio::io_context& io) {
  timer = make<asio::steady_timer>(io, std::chrono::seconds(60));
  timer->async_wait(asio::bind_cancellation_slot(cancel_signal.slot(), [](boost::system::error_code ec) {
    expect(ec == asio::error::operation_aborted, "the bound wait was cancelled");
    timer->expires_after(std::chrono::milliseconds(5));
    timer->async_wait([](boost::system::error_code ec) {
      expect(!ec, "the timer still works after the cancellation");
      done();
    });
  }));
  other = make<asio::steady_timer>(io, std::chrono::milliseconds(10));
  other->async_wait([](boost::system::error_code) { cancel_signal.emit(asio::cancellation_type::terminal); });
}

TAU_COMPAT_PROBE(start)
