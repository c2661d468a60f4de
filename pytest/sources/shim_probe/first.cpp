// Compiles only when the shim's Asio headers were found before the system ones.
#include <boost/asio/version.hpp>

#ifndef TAU_ASIO_SHIM
#error "the system Boost.Asio headers won over tau's shim in first.cpp"
#endif

#include <tau/plugin.h>

#include <cstdio>

static tau_task_id process(const uint8_t*, size_t) {
  std::printf("shim first: asio %d\n", BOOST_ASIO_VERSION);
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
