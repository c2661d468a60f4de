// Asio work pending when the host is interrupted: plugin_destroy deletes the
// io_context, which cancels the hour-long wait and posts its completion. The host
// must run that (and anything else queued) before it unmaps the plugin.
#include <boost/asio.hpp>
#include <tau/plugin.h>

#include <chrono>
#include <cstdio>

namespace asio = boost::asio;

namespace {

asio::io_context* io;
asio::steady_timer* timer;

tau_task_id process(const uint8_t*, size_t) {
  io = new asio::io_context();
  timer = new asio::steady_timer(*io, std::chrono::hours(1));
  timer->async_wait([](boost::system::error_code) {});
  std::printf("waiting\n");
  std::fflush(stdout);
  return 0;
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() {
  delete timer;
  delete io;
  std::printf("io_context deleted\n");
}
