// probe_beast_tcp_stream_timeout: beast::tcp_stream::expires_after ends a read
// that never completes with beast::error::timeout, on time.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using namespace tau_compat::probe;

static tcp::acceptor* acceptor;
static tcp::socket* silent;
static beast::tcp_stream* stream;
static char buffer[16];

static void start(asio::io_context& io) {
  acceptor = make<tcp::acceptor>(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  silent = make<tcp::socket>(io);
  stream = make<beast::tcp_stream>(io);
  acceptor->async_accept(*silent, [](boost::system::error_code ec) { expect(!ec, "accepted (and never writes)"); });
  stream->expires_after(std::chrono::seconds(5));
  stream->async_connect(acceptor->local_endpoint(), [](boost::system::error_code ec) {
    expect(!ec, "tcp_stream connected");
    auto t0 = std::chrono::steady_clock::now();
    stream->expires_after(std::chrono::milliseconds(100));
    stream->async_read_some(asio::buffer(buffer), [t0](boost::system::error_code ec, size_t) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
      expect(ec == beast::error::timeout && ms >= 100 && ms < 2000,
             "the read timed out after " + std::to_string(ms) + " ms with beast::error::timeout (" + ec.message() + ")");
      silent->close();
      done();
    });
  });
}

TAU_COMPAT_PROBE(start)
