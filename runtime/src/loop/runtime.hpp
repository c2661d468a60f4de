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
// What tau_program_exit recorded: which program's main returned what, in order.
struct program_exit {
  owner_id owner;
  int status;
};
std::vector<program_exit> program_exits();

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

// The plugin code a thread runs now: whose, and what (the hook or callback kind:
// "process", "timer callback", "plugin thread", ...; nullptr outside plugin code).
// The crash report, the exit() report and the watchdog name it. what is a string
// literal of the host: the watchdog process reads it at the same address.
struct running_code {
  owner_id owner = host_owner;
  const char* what = nullptr;
};
// What the calling thread runs now. Async-signal-safe.
running_code current_code();
// Sets what the calling thread (a plugin thread, a blocking pool thread) runs.
void set_thread_code(running_code code);

// Sets the current owner and running code for the scope of a callback on the loop
// thread, and tells the watchdog.
class callback_scope {
 public:
  callback_scope(owner_id owner, const char* what);
  ~callback_scope();
  callback_scope(const callback_scope&) = delete;
  callback_scope& operator=(const callback_scope&) = delete;

 private:
  owner_scope owner_;
  running_code saved_;
};

// A plugin callback with the owner it runs as.
struct callback_target {
  void* ctx = nullptr;
  owner_id owner = host_owner;
};

// Base of every wrapper that owns a libuv handle; handle->data points to it, so
// runtime_close can free the wrappers of handles a plugin never stopped, and
// unloading a plugin can close the handles it left open. (Timers own no handle of
// their own: timer.cpp keeps them.)
struct handle_wrapper {
  virtual ~handle_wrapper() = default;
  // The plugin a handle belongs to; the host's own handles: host_owner.
  virtual owner_id owner() const { return host_owner; }
  // What it is, for reports ("descriptor watch"); nullptr for the host's own.
  virtual const char* kind() const { return nullptr; }
  // Stops and closes it as its owner would (tau_poll_stop, ...). Loop thread.
  virtual void stop() {}
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
  callback_scope scope(owner, what);
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

// ---- timer.cpp ---------------------------------------------------------------

// Sets up the one libuv timer all tau timers share (runtime_init).
void timers_init();
// Frees every timer not stopped yet, without calling back (runtime_close, before the
// loop's handles are closed).
void timers_reset();

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
// For a signal that ends the host (ends_host), also puts a handler in front of
// libuv's: a second such signal, or the first while the watchdog finds the loop
// stuck in plugin code, ends the process at once (_exit(128 + signum)) with one line
// saying why.
void watch_host_signal(int signum, host_signal_handler handler, bool ends_host = true);

// ---- unloading one plugin while the others run ---------------------------------
// Each subsystem's part; plugin_unload.cpp runs them in order.

// What of an owner still runs: its tasks, its threads (tau_thread_spawn) and its
// blocking jobs in flight. Loop thread.
struct owner_activity {
  size_t tasks = 0;
  size_t threads = 0;
  size_t jobs = 0;
  bool idle() const { return tasks == 0 && threads == 0 && jobs == 0; }
};
// Requests abort of the owner's running tasks (task.cpp).
void abort_tasks_of(owner_id owner);
size_t running_tasks_of(owner_id owner);
size_t running_threads_of(owner_id owner);  // thread.cpp
// Whether every thread of the owner (tau_thread_spawn) is asleep in the kernel (parked
// in the Asio shim's run(), or blocked in a call), or ended. Loop thread.
bool threads_asleep(owner_id owner);
size_t jobs_in_flight_of(owner_id owner);   // work.cpp
inline owner_activity activity_of(owner_id owner) {
  return {running_tasks_of(owner), running_threads_of(owner), jobs_in_flight_of(owner)};
}
// tau_plugin_end on the owner's behalf: its shutdown watches fire (threads parked in
// the Asio shim's run() wake up) and tau_shutting_down() answers 1 to it.
void end_owner(owner_id owner);
// Once the owner's library is unmapped, nothing may call into it. These drop what
// would: posted callbacks whose function is in its library (loop.cpp; before
// forget_plugin_library), its join callbacks and task records (task.cpp), its
// lookups in flight (dns.cpp), its shutdown watches (shutdown.cpp), and its handles
// and timers still open (closed; what each was, one entry per handle or timer, is
// returned: "timer", "descriptor watch", ...).
void drop_posts_into(owner_id owner);
void forget_tasks_of(owner_id owner);
void cancel_lookups_of(owner_id owner);
void forget_shutdown_watches_of(owner_id owner);
std::vector<const char*> close_handles_of(owner_id owner);
// Its timers not stopped yet, pending or fired (timer.cpp): stopped as by
// tau_timer_stop; one "timer" per timer. close_handles_of includes them.
std::vector<const char*> stop_timers_of(owner_id owner);
// The owner's descriptor watches on these descriptors see no more readiness (poll.cpp):
// the descriptors were handed over to the plugin's next build. Loop thread.
void freeze_descriptor_watches(owner_id owner, const std::vector<int>& fds);
// Undoes that: the hand-over did not happen (the old build stays).
void thaw_descriptor_watches(owner_id owner);

// ---- crash.cpp ---------------------------------------------------------------

// Reports a crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) with one line on stderr
// naming the plugin (the one whose library holds the faulting instruction, else the
// one whose code the thread runs) and what it ran, then lets the signal take its
// course (the handler that was there before, or the default action: exit status and
// core dump stay standard). Reports exit() called from plugin code the same way.
// Gives the calling thread an alternate signal stack. Once, at startup.
void install_crash_reports();

// An alternate signal stack for the calling thread while this lives, so that a crash
// report can be written after a stack overflow. Leaves one that is already set
// (AddressSanitizer's) alone.
class alternate_signal_stack {
 public:
  alternate_signal_stack();
  ~alternate_signal_stack();
  alternate_signal_stack(const alternate_signal_stack&) = delete;
  alternate_signal_stack& operator=(const alternate_signal_stack&) = delete;

 private:
  void* stack_ = nullptr;
};

// The names reports give owners, in a fixed table that signal handlers and other
// threads can read. register_owner records each.
void record_owner_name(owner_id owner, const std::string& name);
// Records the address ranges of a plugin's library (a dlopen handle), so that a
// crash in its code is put down to it; forgets them before the library is unmapped.
void record_plugin_library(owner_id owner, void* library);
void forget_plugin_library(owner_id owner);
// The owner whose library holds address, or host_owner. Async-signal-safe.
owner_id owner_at_address(uintptr_t address);

// One line for stderr, put together without allocating (signal handlers use it).
class report_line {
 public:
  report_line& operator<<(const char* text);
  // "plugin 'NAME'" (the name register_owner got).
  report_line& plugin(owner_id owner);
  // Where code runs: "its process hook" ("the process hook" when not own), "a timer callback".
  report_line& code(const char* what, bool own = true);
  // "SIGSEGV (Segmentation fault)".
  report_line& signal(int signum);
  // Writes the line and a newline to stderr with write(2).
  void write();

 private:
  char text_[512];
  size_t size_ = 0;
};

// ---- watchdog.cpp --------------------------------------------------------------

// Tells the watchdog what the loop thread runs now: plugin code (what set) or not;
// the loop waiting for events is {host_owner, nullptr}. Loop thread, at every
// callback's entry and exit.
void watchdog_note(running_code code);
// Starts a process (forked: tau keeps no thread of its own) that reports plugin
// code keeping the loop thread for period_ms or longer without returning to the
// loop, and again every period while it does. Call it before plugins load.
void watchdog_start(uint64_t period_ms);
// Ends the watchdog process, after any line it is writing.
void watchdog_stop();
// Memory (MAP_SHARED) that the watchdog process sees as the host changes it
// after the fork: what the loop runs, the owners' names. Static initializers take it.
void* memory_shared_with_watchdog(size_t size);
// Whether the watchdog has reported the loop stuck in plugin code that is still
// running; if so, sets code to it. Async-signal-safe.
bool loop_stuck(running_code& code);

}  // namespace tau::detail
