// probe_local_socket: local::connect_pair, then async I/O both ways over the
// Unix domain socket pair.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
using asio::local::stream_protocol;
using namespace tau_compat::probe;

static stream_protocol::socket* a, *b;
static char buffer[64];

static void start(asio::io_context& io) {
  a = make<stream_protocol::socket>(io);
  b = make<stream_protocol::socket>(io);
  asio::local::connect_pair(*a, *b);
  asio::async_read(*b, asio::buffer(buffer, 5), [](boost::system::error_code ec, size_t n) {
    expect(!ec && std::string(buffer, n) == "hello", "read hello from the pair");
    asio::async_write(*b, asio::buffer("world", 5), [](boost::system::error_code ec, size_t) {
      expect(!ec, "write world back");
    });
  });
  asio::async_write(*a, asio::buffer("hello", 5), [](boost::system::error_code ec, size_t) {
    expect(!ec, "write hello");
    asio::async_read(*a, asio::buffer(buffer, 5), [](boost::system::error_code ec, size_t n) {
      expect(!ec && std::string(buffer, n) == "world", "read world");
      done();
    });
  });
}

TAU_COMPAT_PROBE(start)
