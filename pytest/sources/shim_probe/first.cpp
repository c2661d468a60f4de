// Compiles only when the shim's Asio headers were found before the system ones.
#include <boost/asio/version.hpp>

#ifndef TAU_ASIO_SHIM
#error "the system Boost.Asio headers won over tau's shim in first.cpp"
#endif

#include <tau/plugin.h>

#include <cstdio>

const char* bundled_kind();
const char* bundled_objects_kind();

static tau_task_id process(const uint8_t*, size_t) {
  std::printf("shim first: asio %d, and in the %s and the %s\n", BOOST_ASIO_VERSION, bundled_kind(),
              bundled_objects_kind());
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
