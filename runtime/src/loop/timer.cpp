// timer.cpp: one uv_timer_t per tau timer.
#include "runtime.hpp"

struct tau_timer : tau::detail::handle_wrapper {
  tau_timer(tau_timer_cb c, tau::detail::callback_target t) : cb(c), target(t) {}
  tau::detail::owner_id owner() const override { return target.owner; }
  const char* kind() const override { return "timer"; }
  void stop() override { tau_timer_stop(this); }
  uv_timer_t handle{};
  tau_timer_cb cb;
  tau::detail::callback_target target;
};

using namespace tau::detail;

namespace {

// The loop's clock counts whole milliseconds, truncated: a 20 ms timer started at
// 100.9 ms would fire at 120 ms, 0.9 ms early. One more millisecond keeps every
// timer from firing early (it may fire up to 1 ms late instead).
uint64_t never_early(uint64_t timeout_ms) { return timeout_ms == 0 ? 0 : timeout_ms + 1; }

void on_timer(uv_timer_t* handle) {
  auto* t = wrapper_of<tau_timer>(handle->data);
  guarded_call(t->target.owner, "timer callback", [&] { t->cb(t->target.ctx); });
}

}  // namespace

extern "C" {

int tau_timer_start(tau_timer_t** out, uint64_t timeout_ms, uint64_t repeat_ms, tau_timer_cb cb,
                    void* ctx) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (out == nullptr || cb == nullptr) return UV_EINVAL;
  auto* t = new tau_timer(cb, {ctx, current_owner()});
  uv_timer_init(loop(), &t->handle);
  t->handle.data = static_cast<handle_wrapper*>(t);
  // The loop's clock is cached per iteration; a stale clock would fire early.
  uv_update_time(loop());
  uv_timer_start(&t->handle, on_timer, never_early(timeout_ms), repeat_ms);
  *out = t;
  return 0;
}

int tau_timer_restart(tau_timer_t* t, uint64_t timeout_ms, uint64_t repeat_ms) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (t == nullptr) return UV_EINVAL;
  uv_update_time(loop());
  return uv_timer_start(&t->handle, on_timer, never_early(timeout_ms), repeat_ms);
}

void tau_timer_stop(tau_timer_t* t) {
  if (t == nullptr || !on_loop_thread()) return;
  uv_timer_stop(&t->handle);
  close_wrapped(t, &t->handle);
}

}  // extern "C"
