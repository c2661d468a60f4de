//
// version.hpp: tau's shadow of Boost.Asio's version header.
//
// The shim replaces Asio's backend and is written against one Asio release, so it
// refuses any other Boost. It also marks, for every translation unit that includes
// Asio, that the shim's include directory came first.
//

#ifndef BOOST_ASIO_VERSION_HPP
#define BOOST_ASIO_VERSION_HPP

#include <boost/version.hpp>

#if BOOST_VERSION != 108100
#error "tau's Asio shim is pinned to Boost 1.81 (Asio 1.26.0); this build found another Boost version. Install libboost1.81-dev or build the plugin against Boost 1.81."
#endif

// BOOST_ASIO_VERSION % 100 is the sub-minor version
// BOOST_ASIO_VERSION / 100 % 1000 is the minor version
// BOOST_ASIO_VERSION / 100000 is the major version
#define BOOST_ASIO_VERSION 102600 // 1.26.0

// Defined only by the shim: the shim's headers were found before the system's.
#define TAU_ASIO_SHIM 1

#endif // BOOST_ASIO_VERSION_HPP
