// yield_now.hpp: a test helper for the sync primitive tests.
#pragma once

#include <coroutine>

#include "tau/detail/wake.hpp"

// Suspends the task until the callbacks posted before it have run, so that tasks
// spawned or woken before it get to their next suspension point. Safe to abort.
struct yield_now : tau::detail::waiter {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    suspend_on(h);
    wake();
  }
  void await_resume() const noexcept {}
};
