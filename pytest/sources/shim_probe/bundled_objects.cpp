// Part of a library the plugin's project builds into it (a object library).
// Compiles only when the shim's Asio headers were found before the system ones.
#include <boost/asio/version.hpp>

#ifndef TAU_ASIO_SHIM
#error "the system Boost.Asio headers won over tau's shim in bundled_objects.cpp"
#endif

const char* bundled_objects_kind() { return "object library"; }
