// poll.cpp: file descriptor readiness, one uv_poll_t per watched descriptor.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "runtime.hpp"

struct tau_poll : tau::detail::handle_wrapper {
  tau_poll(tau_poll_cb c, tau::detail::callback_target t) : cb(c), target(t) {}
  tau::detail::owner_id owner() const override { return target.owner; }
  const char* kind() const override { return "descriptor watch"; }
  void stop() override;
  uv_poll_t handle{};
  tau_poll_cb cb;
  tau::detail::callback_target target;
  int events = 0;      // what the watch asks for
  bool armed = false;  // whether libuv is watching (it stops the handle on an error)
  int watched = 0;     // what libuv watches while armed: events, or more (lazily narrowed)
  bool refd = true;    // a watch asking for nothing must not keep the loop alive
  std::atomic<bool> stopped{false};  // tau_poll_stop was called off the loop thread
  bool frozen = false;  // its descriptor was handed over to the plugin's next build
};

using namespace tau::detail;

namespace {

// tau_poll_stop calls made off the loop thread, applied by the loop.
std::mutex g_deferred_mutex;
std::vector<tau_poll*> g_deferred;
std::atomic<bool> g_deferred_pending{false};

void stop_now(tau_poll* p) {
  uv_poll_stop(&p->handle);
  close_wrapped(p, &p->handle);
}

}  // namespace

// A watch already stopped off the loop is closed by the flush of deferred stops.
void tau_poll::stop() {
  if (!stopped.load(std::memory_order_acquire)) stop_now(this);
}

namespace {

void on_deferred_stop(void*) { flush_deferred_poll_stops(); }

int to_uv_events(int events) {
  return (events & TAU_READABLE ? UV_READABLE : 0) | (events & TAU_WRITABLE ? UV_WRITABLE : 0) |
         (events & TAU_DISCONNECT ? UV_DISCONNECT : 0);
}

void set_ref(tau_poll* p, bool ref) {
  if (p->refd == ref) return;
  p->refd = ref;
  if (ref) uv_ref(reinterpret_cast<uv_handle_t*>(&p->handle));
  else uv_unref(reinterpret_cast<uv_handle_t*>(&p->handle));
}

void on_poll(uv_poll_t* handle, int status, int events) {
  auto* p = wrapper_of<tau_poll>(handle->data);
  if (p->stopped.load(std::memory_order_acquire) || p->frozen) return;
  // libuv stops the handle on POLLERR; report every watched event so that the
  // waiters try their operation and meet the error themselves.
  if (status < 0) {
    events = p->events;
    p->armed = false;
    if (events == 0) return;
  } else if (events & ~p->events) {
    // An event nobody asks for any more (kept watching lazily): narrow the watch now.
    p->watched = p->events;
    p->armed = p->events != 0;
    if (p->armed) uv_poll_start(&p->handle, to_uv_events(p->events), on_poll);
    else uv_poll_stop(&p->handle);
    events &= p->events;
    if (events == 0) return;
  }
  guarded_call(p->target.owner, "poll callback", [&] { p->cb(p->target.ctx, status, events); });
}

}  // namespace

namespace tau::detail {

void flush_deferred_poll_stops() {
  if (!g_deferred_pending.load(std::memory_order_acquire) && runtime_open()) return;
  std::vector<tau_poll*> stops;
  {
    std::lock_guard lock(g_deferred_mutex);
    stops.swap(g_deferred);
    g_deferred_pending.store(false);
  }
  for (tau_poll* p : stops) stop_now(p);
}

void freeze_descriptor_watches(owner_id owner, const std::vector<int>& fds) {
  struct walk {
    owner_id owner;
    const std::vector<int>& fds;
  } w{owner, fds};
  uv_walk(
      loop(),
      [](uv_handle_t* handle, void* arg) {
        auto& [owner, fds] = *static_cast<walk*>(arg);
        if (handle->type != UV_POLL || uv_is_closing(handle)) return;
        auto* p = wrapper_of<tau_poll>(handle->data);
        uv_os_fd_t fd = -1;
        if (p->target.owner != owner || uv_fileno(handle, &fd) != 0) return;
        if (std::find(fds.begin(), fds.end(), fd) == fds.end()) return;
        p->frozen = true;
        p->armed = false;
        uv_poll_stop(&p->handle);
        set_ref(p, false);
      },
      &w);
}

void thaw_descriptor_watches(owner_id owner) {
  uv_walk(
      loop(),
      [](uv_handle_t* handle, void* arg) {
        if (handle->type != UV_POLL || uv_is_closing(handle)) return;
        auto* p = wrapper_of<tau_poll>(handle->data);
        if (p->target.owner != *static_cast<owner_id*>(arg) || !p->frozen) return;
        p->frozen = false;
        tau_poll_update(p, p->events);
      },
      &owner);
}

std::vector<owner_id> open_poll_owners() {
  std::vector<owner_id> owners;
  uv_walk(
      loop(),
      [](uv_handle_t* handle, void* arg) {
        if (handle->type != UV_POLL || uv_is_closing(handle)) return;
        auto* p = wrapper_of<tau_poll>(handle->data);
        if (!p->stopped.load(std::memory_order_acquire))
          static_cast<std::vector<owner_id>*>(arg)->push_back(p->target.owner);
      },
      &owners);
  return owners;
}

}  // namespace tau::detail

extern "C" {

int tau_poll_start(tau_poll_t** out, int fd, int events, tau_poll_cb cb, void* ctx) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (out == nullptr || cb == nullptr) return UV_EINVAL;
  // A watch stopped off the loop may still hold this descriptor number in libuv:
  // its descriptor was closed and the number reused.
  flush_deferred_poll_stops();
  auto* p = new tau_poll(cb, {ctx, current_owner()});
  if (int err = uv_poll_init(loop(), &p->handle, fd); err != 0) {
    delete p;
    return err;
  }
  p->handle.data = static_cast<handle_wrapper*>(p);
  if (int err = tau_poll_update(p, events); err != 0) {
    tau_poll_stop(p);
    return err;
  }
  *out = p;
  return 0;
}

int tau_poll_update(tau_poll_t* p, int events) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (p == nullptr) return UV_EINVAL;
  // Each uv_poll_start or uv_poll_stop costs epoll_ctl calls (libuv deletes the
  // descriptor from epoll and adds it back), so a watch that still covers what is
  // asked is left alone: readability stays watched until an event nobody asked for
  // comes (on_poll narrows it then). Writability is dropped at once (a socket is
  // nearly always writable). A watch asking for nothing does not keep the loop alive.
  p->events = events;
  if (p->frozen) return 0;
  set_ref(p, events != 0);
  if (p->armed && (events & ~p->watched) == 0 && ((p->watched & ~events) & ~TAU_READABLE) == 0) return 0;
  p->watched = events;
  p->armed = events != 0;
  if (events == 0) return uv_poll_stop(&p->handle);
  return uv_poll_start(&p->handle, to_uv_events(events), on_poll);
}

void tau_poll_stop(tau_poll_t* p) {
  if (p == nullptr) return;
  if (on_loop_thread()) {
    stop_now(p);
    return;
  }
  {
    // Under the lock that runtime_close's last flush takes: once the runtime is
    // closed the handle is gone with the loop, and there is nothing to stop.
    std::lock_guard lock(g_deferred_mutex);
    if (!runtime_open()) return;
    p->stopped.store(true, std::memory_order_release);
    g_deferred.push_back(p);
    g_deferred_pending.store(true);
  }
  tau_post(on_deferred_stop, nullptr);
}

}  // extern "C"
