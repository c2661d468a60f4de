// runtime.hpp: the runtime's internal interface, shared by its subsystems and the
// host executable. Nothing here is exported to plugins; plugins see only tau.h.
#pragma once

#include <uv.h>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "tau/tau.h"

namespace tau::detail {

// Who registered a callback: 0 is the host itself, plugins get 1, 2, ... from the host.
// Every callback runs with the owner that was current when it was registered, so
// that tasks it spawns and failures it causes are attributed to the right plugin.
using owner_id = uint32_t;
inline constexpr owner_id host_owner = 0;

// ---- loop.cpp ----------------------------------------------------------------

// Creates the loop and makes the calling thread the loop thread.
void runtime_init();
// Runs what is already queued to completion without waiting for anything new:
// posted callbacks (and those they post), and blocking jobs and lookups in flight.
// Timers, watches and other handles are left alone.
void runtime_quiesce();
// Aborts tasks still running, runs what is queued, and closes every handle and
// the loop.
void runtime_close();
// Runs the loop until nothing keeps it alive. Returns TAU_E_IN_LOOP when nested.
int runtime_run();
// Runs one loop iteration, waiting for an event when nothing is ready.
void runtime_run_once();
uv_loop_t* loop();
bool on_loop_thread();
bool loop_running();
// Whether tau_post accepts callbacks (between runtime_init and runtime_close). Any thread.
bool runtime_open();

// ---- shutdown.cpp --------------------------------------------------------------

// Fires every shutdown watch; from now on tau_block_on returns TAU_E_SHUTDOWN
// instead of waiting: a plugin blocked in it (an Asio run() in its process hook)
// winds up. Loop thread.
void begin_shutdown();
bool shutting_down();
void shutdown_reset();

// The owner callbacks registered now belong to: on the loop thread the owner of the
// running callback, on a plugin thread its plugin, elsewhere the host.
owner_id current_owner();
// Makes the calling (plugin) thread belong to owner.
void set_thread_owner(owner_id owner);
owner_id register_owner(std::string name);
const std::string& owner_name(owner_id owner);
// Failures reported against an owner (tasks that failed unobserved, callbacks that threw).
size_t failure_count(owner_id owner);
void report_failure(owner_id owner, std::string_view message);

// Sets the current owner for the scope of a callback.
class owner_scope {
 public:
  explicit owner_scope(owner_id owner);
  ~owner_scope();
  owner_scope(const owner_scope&) = delete;
  owner_scope& operator=(const owner_scope&) = delete;

 private:
  owner_id saved_;
};

// A plugin callback with the owner it runs as.
struct callback_target {
  void* ctx = nullptr;
  owner_id owner = host_owner;
};

// Base of every wrapper that owns a libuv handle; handle->data points to it, so
// runtime_close can free the wrappers of handles a plugin never stopped.
struct handle_wrapper {
  virtual ~handle_wrapper() = default;
};
// uv_close callback that deletes the handle's wrapper.
void delete_wrapper(uv_handle_t* handle);
template <class W>
W* wrapper_of(void* data) {
  return static_cast<W*>(static_cast<handle_wrapper*>(data));
}
template <class W, class H>
void close_wrapped(W* w, H* handle) {
  handle->data = static_cast<handle_wrapper*>(w);
  uv_close(reinterpret_cast<uv_handle_t*>(handle), delete_wrapper);
}

// Runs plugin code f() as owner; an exception escaping it is reported, never rethrown.
template <class F>
bool guarded_call(owner_id owner, const char* what, F&& f) noexcept {
  owner_scope scope(owner);
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    report_failure(owner, std::string(what) + " threw: " + e.what());
  } catch (...) {
    report_failure(owner, std::string(what) + " threw a non-standard exception");
  }
  return false;
}

// ---- poll.cpp ----------------------------------------------------------------

// Applies the tau_poll_stop calls made off the loop thread. Loop thread. Anything
// that makes libuv watch a descriptor calls it first: a watch stopped off the loop
// may still hold that descriptor's number in libuv.
void flush_deferred_poll_stops();
// The owner of every descriptor watch still open, one entry per watch.
std::vector<owner_id> open_poll_owners();

// ---- thread.cpp --------------------------------------------------------------

// Runs the loop until every plugin thread has ended, or grace_ms passed. Returns
// whether they all ended.
bool join_plugin_threads(uint64_t grace_ms);
// The plugins whose threads are still running, one entry per thread.
std::vector<owner_id> running_thread_owners();
// Joins every plugin thread still registered (they must be ending).
void threads_reset();

// ---- task.cpp ----------------------------------------------------------------

void tasks_reset();
struct running_task {
  tau_task_id id;
  owner_id owner;
};
std::vector<running_task> running_tasks();
// Requests abort of every running task (host shutdown).
void abort_all_tasks();

// ---- signal.cpp --------------------------------------------------------------

void signals_reset();
// The host's own reaction to a signal no plugin watches (shutdown on SIGINT/SIGTERM).
using host_signal_handler = void (*)(int signum);
void watch_host_signal(int signum, host_signal_handler handler);

}  // namespace tau::detail
