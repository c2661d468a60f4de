// The root task waits for something nothing will ever do.
#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <coroutine>

namespace {

struct never {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};

tau_task_id process(const uint8_t*, size_t) {
  return tau::spawn([]() -> tau::task<> { co_await never{}; }).task_id();
}

}  // namespace

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
