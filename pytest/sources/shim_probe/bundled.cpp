// Part of a library the plugin's project builds into it (a static library).
// Compiles only when the shim's Asio headers were found before the system ones.
#include <boost/asio/version.hpp>

#ifndef TAU_ASIO_SHIM
#error "the system Boost.Asio headers won over tau's shim in bundled.cpp"
#endif

const char* bundled_kind() { return "static library"; }
