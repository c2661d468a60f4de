// blocking.hpp: spawn_blocking runs a callable on the blocking pool, off the loop
// thread, and joins like any task. Aborting it stops nobody: the call runs to its
// end and its result is dropped.
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

template <class F>
  requires std::is_invocable_v<F&>
auto spawn_blocking(F f) {
  using T = std::invoke_result_t<F&>;
  struct job {
    detail::spawn_state<T>* state;
    F fn;
    std::optional<detail::value_t<T>> value;
    std::exception_ptr error;

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
        if (j->error) s->finish_error(j->error);
        else if (status < 0 || !j->value) s->finish_error(std::make_exception_ptr(tau::error(status, "spawn_blocking")));
        else s->finish_ok(std::move(*j->value));
      }
      s->unref();
      delete j;
    }
  };

  auto* s = new detail::spawn_state<T>();
  s->id = tau_task_new(&detail::spawn_state<T>::vtable, s);
  if (s->id == 0) {
    delete s;
    throw tau::error(TAU_E_WRONG_THREAD, "spawn_blocking");
  }
  s->ref();  // the runtime's
  s->ref();  // the job's
  auto* j = new job{s, std::move(f), {}, {}};
  if (int rc = tau_work_submit(&job::work, &job::done, j); rc < 0) {
    delete j;
    s->unref();
    s->finish_error(std::make_exception_ptr(tau::error(rc, "spawn_blocking")));
  }
  return join_handle<T>(s);
}

}  // namespace tau
