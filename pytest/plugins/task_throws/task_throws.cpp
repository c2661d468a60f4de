// The root task throws after a short sleep; the host must report it and survive.
#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <chrono>
#include <stdexcept>

namespace {

tau_task_id process(const uint8_t*, size_t) {
  return tau::spawn([]() -> tau::task<> {
           co_await tau::sleep(std::chrono::milliseconds(10));
           throw std::runtime_error("deliberate failure in task");
         })
      .task_id();
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
