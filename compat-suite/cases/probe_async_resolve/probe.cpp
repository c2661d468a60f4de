// probe_async_resolve: ip::tcp::resolver::async_resolve finds localhost (through
// tau's blocking pool, with no resolver thread of Asio's own).
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace tau_compat::probe;

static tcp::resolver* resolver;

static void start(asio::io_context& io) {
  resolver = make<tcp::resolver>(io);
  resolver->async_resolve("localhost", "80", [](boost::system::error_code ec, tcp::resolver::results_type r) {
    expect_loop_thread("resolve handler");
    bool loopback = false;
    for (const auto& entry : r) loopback = loopback || entry.endpoint().address().is_loopback();
    expect(!ec && loopback, "async_resolve(localhost) gave a loopback address" + (ec ? ": " + ec.message() : ""));
    resolver->async_resolve("127.0.0.1", "8080", [](boost::system::error_code ec, tcp::resolver::results_type r) {
      expect(!ec && r.size() == 1 && r.begin()->endpoint().port() == 8080, "async_resolve of a numeric address");
      done();
    });
  });
}

TAU_COMPAT_PROBE(start)
