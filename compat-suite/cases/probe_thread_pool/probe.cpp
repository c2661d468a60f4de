// probe_thread_pool: work posted to an asio::thread_pool runs on the loop thread
// or tau's blocking pool (never on threads of the pool's own), and its results
// come back to the io_context.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static asio::thread_pool* pool;
// The io_context waits for the results: the pool's work is not its own.
static asio::executor_work_guard<asio::io_context::executor_type>* guard;
static int finished_jobs = 0;
static int sum_of_squares = 0;

static void start(asio::io_context& io) {
  pool = make<asio::thread_pool>(2);
  guard = make<asio::executor_work_guard<asio::io_context::executor_type>>(io.get_executor());
  for (int i = 0; i < 10; ++i) {
    asio::post(*pool, [&io, i] {
      int square = i * i;
      asio::post(io, [square] {
        expect_loop_thread("result handler");
        sum_of_squares += square;
        if (++finished_jobs == 10) {
          expect(sum_of_squares == 285, "10 thread_pool jobs finished, results back on the io_context");
          guard->reset();
          done();
        }
      });
    });
  }
}

TAU_COMPAT_PROBE(start)
