// A handler throws with no run() on the stack: the plugin fails, the host does not.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <stdexcept>

namespace asio = boost::asio;

namespace {

asio::io_context* io;

tau_task_id process(const uint8_t*, size_t) {
  io = new asio::io_context();
  asio::post(*io, [] { throw std::runtime_error("handler failure"); });
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() { delete io; }
