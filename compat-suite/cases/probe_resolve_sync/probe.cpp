// probe_resolve_sync: ip::tcp::resolver::resolve (synchronous) finds localhost.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace tau_compat::probe;

static void start(asio::io_context& io) {
  tcp::resolver resolver(io);
  auto results = resolver.resolve("localhost", "http");
  bool loopback = false;
  for (const auto& entry : results) loopback = loopback || (entry.endpoint().address().is_loopback() &&
                                                            entry.endpoint().port() == 80);
  expect(loopback, "resolve(localhost, http) gave a loopback address, port 80");
  done();
}

TAU_COMPAT_PROBE(start)
