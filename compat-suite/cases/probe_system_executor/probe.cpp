// probe_system_executor: work posted to the system executor runs on the loop
// thread (no system_context threads).
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
using namespace tau_compat::probe;

// The io_context waits for the result: work of another executor is not its own.
static asio::executor_work_guard<asio::io_context::executor_type>* guard;

static void start(asio::io_context& io) {
  guard = make<asio::executor_work_guard<asio::io_context::executor_type>>(io.get_executor());
  asio::post(asio::system_executor(), [&io] {
    bool on_loop = tau_on_loop_thread() != 0;
    asio::post(io, [on_loop] {
      expect(on_loop, "system_executor work ran on the loop thread");
      guard->reset();
      done();
    });
  });
}

TAU_COMPAT_PROBE(start)
