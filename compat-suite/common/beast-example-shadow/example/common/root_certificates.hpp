// Shadows Beast's example/common/root_certificates.hpp (a bundle of public root
// certificates) for the compat suite: the same functions, trusting only the CA
// the test generated. The upstream example sources include this file by the same
// name and are not modified.
#ifndef BOOST_BEAST_EXAMPLE_COMMON_ROOT_CERTIFICATES_HPP
#define BOOST_BEAST_EXAMPLE_COMMON_ROOT_CERTIFICATES_HPP

#include <boost/asio/ssl.hpp>

#include "cert_dir.hpp"

namespace ssl = boost::asio::ssl;  // from <boost/asio/ssl.hpp>, as upstream declares it

inline void load_root_certificates(ssl::context& ctx, boost::system::error_code& ec) {
  ctx.load_verify_file(tau_compat::cert_file("ca.crt"), ec);
}

inline void load_root_certificates(ssl::context& ctx) {
  boost::system::error_code ec;
  load_root_certificates(ctx, ec);
  if (ec) throw boost::system::system_error{ec};
}

#endif
