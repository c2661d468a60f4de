// signal.cpp: real signal delivery through uv_signal. The host's own watches
// (shutdown on SIGINT/SIGTERM) step aside while a plugin watches the same signal.
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <vector>

#include "runtime.hpp"

struct tau_signal : tau::detail::handle_wrapper {
  tau_signal(tau_signal_cb c, tau::detail::callback_target t) : cb(c), target(t) {}
  tau::detail::owner_id owner() const override { return target.owner; }
  const char* kind() const override { return "signal watch"; }
  void stop() override { tau_signal_stop(this); }
  uv_signal_t handle{};
  tau_signal_cb cb;
  tau::detail::callback_target target;
};

using namespace tau::detail;

namespace {

constexpr int max_signal = 65;
// Read by the signal handler in front of libuv's.
std::atomic<int> g_plugin_watches[max_signal] = {};
// Host shutdown signals that reached the process, counted where they arrive.
std::atomic<int> g_host_signals{0};
// libuv's handlers for the host's signals, which ours passes signals on to.
struct sigaction g_libuv_actions[max_signal];

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

// Runs where the signal arrives, before the loop sees it: the loop cannot act on a
// signal while plugin code keeps it, and a second signal means the user wants out now.
void on_signal_arrived(int signum, siginfo_t* info, void* context) {
  int saved_errno = errno;
  running_code stuck;
  if (loop_stuck(stuck)) {
    report_line line;
    line << "tau: ";
    line.signal(signum) << " while ";
    line.plugin(stuck.owner) << " blocks the loop in ";
    line.code(stuck.what) << ": exiting now";
    line.write();
    _exit(128 + signum);
  }
  if (g_plugin_watches[signum] == 0) {  // a plugin that watches the signal decides what it means
    report_line line;
    line << "tau: ";
    if (g_host_signals.fetch_add(1) > 0) {
      line << "second ";
      line.signal(signum) << ": exiting now without unloading plugins";
      line.write();
      _exit(128 + signum);
    }
    line.signal(signum) << " received: cancelling tasks and shutting down (a second one exits at once)";
    line.write();
  }
  const struct sigaction& libuv = g_libuv_actions[signum];
  if ((libuv.sa_flags & SA_SIGINFO) != 0) libuv.sa_sigaction(signum, info, context);
  else if (libuv.sa_handler != SIG_DFL && libuv.sa_handler != SIG_IGN) libuv.sa_handler(signum);
  errno = saved_errno;
}

// GCC 12's ThreadSanitizer creates a thread's signal context at the thread's first
// blocking call, and a signal that arrives during that creation is lost (newer
// TSan releases fix it with a CAS). A sleep of zero creates the loop thread's
// context now, before the user can send anything.
void create_tsan_signal_context() {
#if defined(__SANITIZE_THREAD__)
  usleep(0);
#endif
}

// Puts on_signal_arrived in front of the handler libuv installed for signum.
void put_handler_in_front(int signum) {
  struct sigaction current{};
  if (sigaction(signum, nullptr, &current) != 0 || current.sa_sigaction == on_signal_arrived) return;
  g_libuv_actions[signum] = current;
  struct sigaction ours = current;
  ours.sa_sigaction = on_signal_arrived;
  ours.sa_flags = (current.sa_flags & ~SA_RESETHAND) | SA_SIGINFO | SA_ONSTACK;
  sigaction(signum, &ours, nullptr);
}

}  // namespace

namespace tau::detail {

void watch_host_signal(int signum, host_signal_handler handler, bool ends_host) {
  create_tsan_signal_context();
  auto* w = new host_watch(handler);
  uv_signal_init(loop(), &w->handle);
  w->handle.data = static_cast<handle_wrapper*>(w);
  uv_signal_start(&w->handle, on_host_signal, signum);
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->handle));
  g_host_watches.push_back(w);
  if (ends_host) put_handler_in_front(signum);
}

void signals_reset() {
  for (host_watch* w : g_host_watches) close_wrapped(w, &w->handle);
  g_host_watches.clear();
  for (std::atomic<int>& n : g_plugin_watches) n = 0;
  g_host_signals = 0;
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
