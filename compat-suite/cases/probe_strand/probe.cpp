// probe_strand: handlers posted through a strand run one at a time, in order, and
// know they run inside it.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <vector>

namespace asio = boost::asio;
using namespace tau_compat::probe;

static void start(asio::io_context& io) {
  auto strand = std::make_shared<asio::strand<asio::io_context::executor_type>>(asio::make_strand(io));
  auto seen = std::make_shared<std::vector<int>>();
  auto inside = std::make_shared<int>(0);
  for (int i = 0; i < 100; ++i) {
    asio::post(*strand, [=] {
      expect_loop_thread("strand handler");
      if (++*inside != 1) throw std::runtime_error("probe: two strand handlers at once");
      if (!strand->running_in_this_thread()) throw std::runtime_error("probe: not running in the strand");
      seen->push_back(i);
      --*inside;
      if (i == 99) {
        bool ordered = true;
        for (int k = 0; k < 100; ++k) ordered = ordered && (*seen)[k] == k;
        expect(seen->size() == 100 && ordered, "100 strand handlers in order, one at a time, each inside the strand");
        done();
      }
    });
  }
}

TAU_COMPAT_PROBE(start)
