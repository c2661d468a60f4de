// blocking.hpp: running a callable off the loop thread, joined like any task.
// spawn_blocking runs it on the blocking pool (short blocking calls: file I/O, a
// lookup, CPU work); spawn_thread on a new thread of the plugin's own (code that
// blocks for long or for ever: a synchronous server, a parked io_context::run()).
// Aborting either stops nobody: the call runs to its end and its result is dropped.
//
// GCC 12 destroys a lambda with non-trivial captures twice when it is a temporary
// inside a co_await expression (`co_await spawn_blocking([s] {...})`): bind the
// lambda, or the join_handle, to a named local first.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "tau/error.hpp"
#include "tau/task.hpp"
#include "tau/tau.h"

namespace tau {
namespace detail {

using off_loop_submit = int (*)(void (*)(void*), tau_work_done_cb, void*);

template <class F>
auto spawn_off_loop(F f, off_loop_submit submit, const char* what) {
  using T = std::invoke_result_t<F&>;
  struct job {
    spawn_state<T>* state;
    F fn;
    std::optional<value_t<T>> value;
    std::exception_ptr error;
    const char* what;

    static void work(void* ctx) noexcept {
      auto* j = static_cast<job*>(ctx);
      try {
        if constexpr (std::is_void_v<T>) {
          j->fn();
          j->value.emplace();
        } else {
          j->value.emplace(j->fn());
        }
      } catch (...) {
        j->error = std::current_exception();
      }
    }
    static void done(void* ctx, int status) noexcept {
      auto* j = static_cast<job*>(ctx);
      auto* s = j->state;
      if (!s->done) {
        if (j->error)
          s->finish_error(j->error);
        else if (status < 0 || !j->value)
          s->finish_error(std::make_exception_ptr(tau::error(status, j->what)));
        else
          s->finish_ok(std::move(*j->value));
      }
      s->unref();
      delete j;
    }
  };

  auto* s = new spawn_state<T>();
  s->id = tau_task_new(&spawn_state<T>::vtable, s);
  if (s->id == 0) {
    delete s;
    throw tau::error(TAU_E_WRONG_THREAD, what);
  }
  s->ref();  // the runtime's
  s->ref();  // the job's
  auto* j = new job{s, std::move(f), {}, {}, what};
  if (int rc = submit(&job::work, &job::done, j); rc < 0) {
    delete j;
    s->unref();
    s->finish_error(std::make_exception_ptr(tau::error(rc, what)));
  }
  return join_handle<T>(s);
}

}  // namespace detail

template <class F>
requires std::is_invocable_v<F&>
auto spawn_blocking(F f) { return detail::spawn_off_loop(std::move(f), &tau_work_submit, "spawn_blocking"); }

// The thread belongs to the calling plugin: it keeps the host running until it
// ends, and on shutdown the host wakes what of it is parked in the Asio shim and
// waits for it before plugin_destroy.
template <class F>
requires std::is_invocable_v<F&>
auto spawn_thread(F f) { return detail::spawn_off_loop(std::move(f), &tau_thread_spawn, "spawn_thread"); }

}  // namespace tau
