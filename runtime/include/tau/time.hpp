// time.hpp: sleep, sleep_until, timeout, timeout_at and interval on the loop's timers.
// The loop's timers have millisecond resolution; durations round up.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "tau/error.hpp"
#include "tau/task.hpp"
#include "tau/tau.h"

namespace tau {

namespace detail {

template <class Rep, class Period>
uint64_t to_timer_ms(std::chrono::duration<Rep, Period> d) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return ms > 0 ? static_cast<uint64_t>(ms) : 0;
}

// Suspends until a one-shot timer fires. Destroying it (a task aborted while
// sleeping) stops the timer.
class sleep_awaiter {
 public:
  explicit sleep_awaiter(uint64_t ms) noexcept : ms_(ms) {}
  sleep_awaiter(sleep_awaiter&& other) noexcept : ms_(other.ms_), timer_(std::exchange(other.timer_, nullptr)) {}
  sleep_awaiter& operator=(sleep_awaiter&&) = delete;
  ~sleep_awaiter() { tau_timer_stop(timer_); }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiting_ = h;
    check(tau_timer_start(&timer_, ms_, 0, &on_fire, this), "sleep");
  }
  void await_resume() noexcept {}

 private:
  static void on_fire(void* ctx) noexcept { static_cast<sleep_awaiter*>(ctx)->waiting_.resume(); }

  uint64_t ms_;
  tau_timer_t* timer_ = nullptr;
  std::coroutine_handle<> waiting_;
};

}  // namespace detail

template <class Rep, class Period>
detail::sleep_awaiter sleep(std::chrono::duration<Rep, Period> d) {
  return detail::sleep_awaiter(detail::to_timer_ms(d));
}

inline detail::sleep_awaiter sleep_until(std::chrono::steady_clock::time_point deadline) {
  return detail::sleep_awaiter(detail::to_timer_ms(deadline - std::chrono::steady_clock::now()));
}

namespace detail {

// The point d from now, clamped to the clock's range.
template <class Rep, class Period>
std::chrono::steady_clock::time_point deadline_after(std::chrono::duration<Rep, Period> d) {
  using steady = std::chrono::steady_clock;
  steady::time_point now = steady::now();
  if (std::chrono::duration<double>(d) <= std::chrono::duration<double>::zero()) return now;
  if (std::chrono::duration<double>(d) >= std::chrono::duration<double>(steady::time_point::max() - now))
    return steady::time_point::max();
  return now + std::chrono::ceil<steady::duration>(d);
}

// Runs t as its own task; if it has not finished by deadline, aborts it and throws
// tau::timed_out. The loop's timers never fire early, so neither does this.
template <class T>
task<T> race_deadline(std::chrono::steady_clock::time_point deadline, task<T> t) {
  struct race {
    join_handle<T>* handle;
    std::chrono::steady_clock::time_point deadline;
    std::coroutine_handle<> waiting;
    tau_timer_t* timer = nullptr;
    bool joined = false;
    bool elapsed = false;

    static void on_join(void* ctx, tau_task_id, int, const char*) noexcept {
      auto* r = static_cast<race*>(ctx);
      r->joined = false;
      r->waiting.resume();
    }
    static void on_timer(void* ctx) noexcept {
      auto* r = static_cast<race*>(ctx);
      r->elapsed = true;
      r->waiting.resume();
    }
    bool await_ready() const noexcept { return handle->is_finished(); }
    void await_suspend(std::coroutine_handle<> h) {
      waiting = h;
      uint64_t ms = to_timer_ms(deadline - std::chrono::steady_clock::now());
      check(tau_timer_start(&timer, ms, 0, &on_timer, this), "timeout");
      check(tau_task_join(handle->task_id(), &on_join, this), "timeout");
      joined = true;
    }
    void await_resume() const noexcept {}
    ~race() {
      tau_timer_stop(timer);
      if (joined) tau_task_unjoin(handle->task_id(), &on_join, this);
    }
  };
  // Aborts the inner task when this one ends first (elapsed, or aborted itself).
  struct abort_guard {
    join_handle<T>& handle;
    ~abort_guard() {
      if (!handle.is_finished()) handle.abort();
    }
  };

  join_handle<T> inner = spawn(std::move(t));
  abort_guard guard{inner};
  bool elapsed = false;
  {
    race r{&inner, deadline, {}};
    co_await r;
    elapsed = r.elapsed && !inner.is_finished();
  }
  if (elapsed) throw timed_out();
  if constexpr (std::is_void_v<T>) {
    inner.take();
  } else {
    co_return inner.take();
  }
}

}  // namespace detail

// Runs t as its own task; if it has not finished after d (counted from when the
// returned task starts), aborts it and throws tau::timed_out.
template <class T, class Rep, class Period>
task<T> timeout(std::chrono::duration<Rep, Period> d, task<T> t) {
  co_return co_await detail::race_deadline(detail::deadline_after(d), std::move(t));
}

// Runs t as its own task; if it has not finished by deadline, aborts it and throws
// tau::timed_out. A deadline already past still starts t, which wins only if it
// finishes before the loop checks its timers.
template <class T>
task<T> timeout_at(std::chrono::steady_clock::time_point deadline, task<T> t) {
  return detail::race_deadline(deadline, std::move(t));
}

// Ticks every period; the first tick completes at once. Ticks missed while nobody
// awaited are delivered in a burst, one per tick().
class interval {
 public:
  template <class Rep, class Period>
  explicit interval(std::chrono::duration<Rep, Period> period) {
    uint64_t ms = detail::to_timer_ms(period);
    if (ms == 0) ms = 1;
    detail::check(tau_timer_start(&timer_, ms, ms, &on_fire, this), "interval");
    pending_ = 1;
  }
  interval(const interval&) = delete;
  interval& operator=(const interval&) = delete;
  ~interval() { tau_timer_stop(timer_); }

  auto tick() noexcept {
    struct awaiter {
      interval* self;
      bool await_ready() const noexcept { return self->pending_ > 0; }
      void await_suspend(std::coroutine_handle<> h) noexcept { self->waiting_ = h; }
      void await_resume() noexcept { --self->pending_; }
      ~awaiter() { self->waiting_ = {}; }
    };
    return awaiter{this};
  }

 private:
  static void on_fire(void* ctx) noexcept {
    auto* self = static_cast<interval*>(ctx);
    ++self->pending_;
    if (auto w = std::exchange(self->waiting_, {})) w.resume();
  }

  tau_timer_t* timer_ = nullptr;
  uint64_t pending_ = 0;
  std::coroutine_handle<> waiting_;
};

}  // namespace tau
