// probe_tcp: async_accept and async_connect on loopback, then 1 MiB each way
// with async_write/async_read (full duplex), content checked.
#include <boost/asio.hpp>
#include <tau_compat/probe.hpp>

#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace tau_compat::probe;

static tcp::acceptor* acceptor;
static tcp::socket* server, *client;
static std::string payload, echoed;
static int ends = 0;

static void finish() {
  if (++ends == 2) {
    expect(echoed == payload, "1 MiB echoed back intact");
    done();
  }
}

static void start(asio::io_context& io) {
  payload.resize(1 << 20);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  acceptor = make<tcp::acceptor>(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  server = make<tcp::socket>(io);
  client = make<tcp::socket>(io);
  acceptor->async_accept(*server, [](boost::system::error_code ec) {
    expect(!ec, "async_accept");
    // Echo: read everything the client sends and write it back as it comes.
    auto buffer = std::make_shared<std::array<char, 65536>>();
    auto pump = std::make_shared<std::function<void()>>();
    *pump = [buffer, pump] {
      server->async_read_some(asio::buffer(*buffer), [buffer, pump](boost::system::error_code ec, size_t n) {
        if (ec == asio::error::eof) {
          server->shutdown(tcp::socket::shutdown_send);
          *pump = nullptr;
          return;
        }
        if (ec) throw std::runtime_error("probe: server read: " + ec.message());
        asio::async_write(*server, asio::buffer(buffer->data(), n), [pump](boost::system::error_code ec, size_t) {
          if (ec) throw std::runtime_error("probe: server write: " + ec.message());
          (*pump)();
        });
      });
    };
    (*pump)();
  });
  client->async_connect(acceptor->local_endpoint(), [](boost::system::error_code ec) {
    expect(!ec, "async_connect");
    asio::async_write(*client, asio::buffer(payload), [](boost::system::error_code ec, size_t n) {
      expect(!ec && n == payload.size(), "async_write of 1 MiB");
      client->shutdown(tcp::socket::shutdown_send);
      finish();
    });
    asio::async_read(*client, asio::dynamic_buffer(echoed), [](boost::system::error_code ec, size_t) {
      expect(ec == asio::error::eof, "async_read to the end of the stream");
      finish();
    });
  });
}

TAU_COMPAT_PROBE(start)
