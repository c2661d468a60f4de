// probe_ssl_async: ssl::stream async_handshake (server and client in one plugin,
// the test's certificate), a message each way, then async_shutdown.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <tau_compat/probe.hpp>

#include <cstdlib>

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using namespace tau_compat::probe;

static std::string cert(const char* name) {
  const char* dir = std::getenv("TAU_COMPAT_CERT_DIR");
  if (!dir) throw std::runtime_error("TAU_COMPAT_CERT_DIR is not set");
  return std::string(dir) + "/" + name;
}

static ssl::context* server_ctx, *client_ctx;
static tcp::acceptor* acceptor;
static ssl::stream<tcp::socket>* server, *client;
static char sbuf[64], cbuf[64];

static void start(asio::io_context& io) {
  server_ctx = make<ssl::context>(ssl::context::tls_server);
  server_ctx->use_certificate_chain_file(cert("server.crt"));
  server_ctx->use_private_key_file(cert("server.key"), ssl::context::pem);
  client_ctx = make<ssl::context>(ssl::context::tls_client);
  client_ctx->load_verify_file(cert("ca.crt"));
  client_ctx->set_verify_mode(ssl::verify_peer);
  acceptor = make<tcp::acceptor>(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  server = make<ssl::stream<tcp::socket>>(io, *server_ctx);
  client = make<ssl::stream<tcp::socket>>(io, *client_ctx);
  client->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  acceptor->async_accept(server->lowest_layer(), [](boost::system::error_code ec) {
    expect(!ec, "accepted");
    server->async_handshake(ssl::stream_base::server, [](boost::system::error_code ec) {
      expect(!ec, "server async_handshake" + (ec ? ": " + ec.message() : ""));
      asio::async_read(*server, asio::buffer(sbuf, 4), [](boost::system::error_code ec, size_t) {
        expect(!ec && std::string(sbuf, 4) == "ping", "server read ping over TLS");
        asio::async_write(*server, asio::buffer("pong", 4), [](boost::system::error_code ec, size_t) {
          expect(!ec, "server wrote pong");
          server->async_shutdown([](boost::system::error_code) {});
        });
      });
    });
  });
  client->lowest_layer().async_connect(acceptor->local_endpoint(), [](boost::system::error_code ec) {
    expect(!ec, "connected");
    client->async_handshake(ssl::stream_base::client, [](boost::system::error_code ec) {
      expect(!ec, "client async_handshake, certificate verified" + (ec ? ": " + ec.message() : ""));
      asio::async_write(*client, asio::buffer("ping", 4), [](boost::system::error_code ec, size_t) {
        expect(!ec, "client wrote ping");
        asio::async_read(*client, asio::buffer(cbuf, 4), [](boost::system::error_code ec, size_t) {
          expect(!ec && std::string(cbuf, 4) == "pong", "client read pong over TLS");
          client->async_shutdown([](boost::system::error_code ec) {
            expect(!ec || ec == asio::error::eof || ec == ssl::error::stream_truncated,
                   "async_shutdown completed" + (ec ? " (" + ec.message() + ")" : ""));
            done();
          });
        });
      });
    });
  });
}

TAU_COMPAT_PROBE(start)
