// Shadows Beast's example/common/server_certificate.hpp (a fixed certificate
// compiled into the examples) for the compat suite: the same function, loading
// the certificate, key and DH parameters the test generated. The upstream example
// sources include this file by the same name and are not modified.
#ifndef BOOST_BEAST_EXAMPLE_COMMON_SERVER_CERTIFICATE_HPP
#define BOOST_BEAST_EXAMPLE_COMMON_SERVER_CERTIFICATE_HPP

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>

#include "cert_dir.hpp"

inline void load_server_certificate(boost::asio::ssl::context& ctx) {
  ctx.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                  boost::asio::ssl::context::single_dh_use);
  ctx.use_certificate_chain_file(tau_compat::cert_file("server.crt"));
  ctx.use_private_key_file(tau_compat::cert_file("server.key"), boost::asio::ssl::context::file_format::pem);
  ctx.use_tmp_dh_file(tau_compat::cert_file("dh.pem"));
}

#endif
