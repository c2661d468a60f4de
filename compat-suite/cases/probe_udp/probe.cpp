// probe_udp: async_send_to and async_receive_from between two loopback sockets.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

namespace asio = boost::asio;
using asio::ip::udp;
using namespace tau_compat::probe;

static udp::socket* a, *b;
static char buffer[1024];
static udp::endpoint from;

static void start(asio::io_context& io) {
  udp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
  a = make<udp::socket>(io, loopback);
  b = make<udp::socket>(io, loopback);
  b->async_receive_from(asio::buffer(buffer), from, [](boost::system::error_code ec, size_t n) {
    expect(!ec && std::string(buffer, n) == "ping" && from == a->local_endpoint(), "async_receive_from got ping");
    b->async_send_to(asio::buffer("pong", 4), from, [](boost::system::error_code ec, size_t) {
      expect(!ec, "async_send_to pong");
    });
  });
  a->async_send_to(asio::buffer("ping", 4), b->local_endpoint(), [](boost::system::error_code ec, size_t) {
    expect(!ec, "async_send_to ping");
    a->async_receive_from(asio::buffer(buffer), from, [](boost::system::error_code ec, size_t n) {
      expect(!ec && std::string(buffer, n) == "pong", "async_receive_from got pong");
      done();
    });
  });
}

TAU_COMPAT_PROBE(start)
