// probe_post_dispatch_defer: post runs later, in order; dispatch from inside a
// handler of the same context runs at once; defer runs after the current handler.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <string>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static std::string trace;

static void start(asio::io_context& io) {
  asio::post(io, [&io] {
    expect_loop_thread("post");
    trace += "a";
    asio::dispatch(io, [] { trace += "d"; });  // inside a handler: runs now
    asio::defer(io, [] { trace += "f"; });     // after this handler
    trace += "b";
  });
  asio::post(io, [] { trace += "c"; });
  trace += "0";  // process still runs: nothing ran yet
  asio::post(io, [&io] {
    asio::post(io, [] {
      expect(trace == "0adbcf", "post, dispatch and defer order 0adbcf (got " + trace + ")");
      done();
    });
  });
}

TAU_COMPAT_PROBE(start)
