// signal.cpp: real signal delivery through uv_signal. The host's own watches
// (shutdown on SIGINT/SIGTERM) step aside while a plugin watches the same signal.
#include <csignal>
#include <vector>

#include "runtime.hpp"

struct tau_signal : tau::detail::handle_wrapper {
  tau_signal(tau_signal_cb c, tau::detail::callback_target t) : cb(c), target(t) {}
  uv_signal_t handle{};
  tau_signal_cb cb;
  tau::detail::callback_target target;
};

using namespace tau::detail;

namespace {

constexpr int max_signal = 65;
int g_plugin_watches[max_signal] = {};

struct host_watch : handle_wrapper {
  explicit host_watch(host_signal_handler h) : handler(h) {}
  uv_signal_t handle{};
  host_signal_handler handler;
};
std::vector<host_watch*> g_host_watches;

void on_signal(uv_signal_t* handle, int signum) {
  auto* s = wrapper_of<tau_signal>(handle->data);
  guarded_call(s->target.owner, "signal callback", [&] { s->cb(s->target.ctx, signum); });
}

void on_host_signal(uv_signal_t* handle, int signum) {
  auto* w = wrapper_of<host_watch>(handle->data);
  if (g_plugin_watches[signum] == 0) w->handler(signum);
}

}  // namespace

namespace tau::detail {

void watch_host_signal(int signum, host_signal_handler handler) {
  auto* w = new host_watch(handler);
  uv_signal_init(loop(), &w->handle);
  w->handle.data = static_cast<handle_wrapper*>(w);
  uv_signal_start(&w->handle, on_host_signal, signum);
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->handle));
  g_host_watches.push_back(w);
}

void signals_reset() {
  for (host_watch* w : g_host_watches) close_wrapped(w, &w->handle);
  g_host_watches.clear();
  for (int& n : g_plugin_watches) n = 0;
}

}  // namespace tau::detail

extern "C" {

int tau_signal_start(tau_signal_t** out, int signum, tau_signal_cb cb, void* ctx) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (out == nullptr || cb == nullptr || signum <= 0 || signum >= max_signal) return UV_EINVAL;
  auto* s = new tau_signal(cb, {ctx, current_owner()});
  flush_deferred_poll_stops();  // the first signal watch opens libuv's signal pipe
  uv_signal_init(loop(), &s->handle);
  s->handle.data = static_cast<handle_wrapper*>(s);
  if (int err = uv_signal_start(&s->handle, on_signal, signum); err != 0) {
    close_wrapped(s, &s->handle);
    return err;
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(&s->handle));
  ++g_plugin_watches[signum];
  *out = s;
  return 0;
}

void tau_signal_stop(tau_signal_t* s) {
  if (s == nullptr || !on_loop_thread()) return;
  --g_plugin_watches[s->handle.signum];
  uv_signal_stop(&s->handle);
  close_wrapped(s, &s->handle);
}

}  // extern "C"
