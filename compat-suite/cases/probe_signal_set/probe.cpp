// probe_signal_set: a signal_set's async_wait gets a signal raised in the
// process (SIGUSR1: without a handler in place it would kill tau).
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <csignal>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static asio::signal_set* signals;
static asio::steady_timer* timer;

static void start(asio::io_context& io) {
  signals = make<asio::signal_set>(io, SIGUSR1);
  signals->async_wait([](boost::system::error_code ec, int signo) {
    expect_loop_thread("signal handler");
    expect(!ec && signo == SIGUSR1, "async_wait completed with SIGUSR1");
    signals->clear();
    done();
  });
  timer = make<asio::steady_timer>(io, std::chrono::milliseconds(20));
  timer->async_wait([](boost::system::error_code) {
    say("raising SIGUSR1");
    std::raise(SIGUSR1);
  });
}

TAU_COMPAT_PROBE(start)
