// mutex.hpp: tau::mutex, a lock that tasks await instead of blocking the loop.
//
//   tau::mutex m;
//   auto guard = co_await m.lock();   // unlocked when guard goes away
//
// Fair: the lock passes to waiting tasks in the order they asked, and try_lock()
// never jumps that queue. Hold it across co_await only; nothing else needs it on a
// single-threaded loop. The mutex must outlive its guards and waiters.
#pragma once

#include <coroutine>
#include <optional>
#include <utility>

#include "tau/detail/wake.hpp"

namespace tau {

class mutex;

// Ownership of a locked tau::mutex; unlocks when destroyed.
class mutex_guard {
 public:
  mutex_guard(mutex_guard&& other) noexcept : m_(std::exchange(other.m_, nullptr)) {}
  mutex_guard& operator=(mutex_guard&& other) noexcept {
    if (this != &other) {
      unlock();
      m_ = std::exchange(other.m_, nullptr);
    }
    return *this;
  }
  ~mutex_guard() { unlock(); }

  // Unlocks early; the guard then owns nothing.
  inline void unlock() noexcept;
  bool owns_lock() const noexcept { return m_ != nullptr; }

 private:
  friend class mutex;
  explicit mutex_guard(mutex* m) noexcept : m_(m) {}
  mutex* m_;
};

class mutex {
 public:
  mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  // Awaits the lock; resolves to its guard. A task aborted while waiting leaves the
  // queue; one aborted after the lock was passed to it passes it on.
  auto lock() noexcept {
    struct awaiter : lock_waiter {
      mutex* m;
      explicit awaiter(mutex* mx) noexcept : m(mx) {}
      awaiter(const awaiter&) = delete;
      ~awaiter() {
        m->waiters_.remove(*this);
        if (owns) m->unlock();
      }

      bool await_ready() noexcept {
        if (m->locked_) return false;
        m->locked_ = true;
        owns = true;
        return true;
      }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        suspend_on(h);
        m->waiters_.push_back(*this);
      }
      mutex_guard await_resume() noexcept {
        owns = false;
        return mutex_guard(m);
      }
    };
    return awaiter{this};
  }

  // The lock now if it is free and nobody waits for it.
  std::optional<mutex_guard> try_lock() noexcept {
    if (locked_) return std::nullopt;
    locked_ = true;
    return mutex_guard(this);
  }

  bool is_locked() const noexcept { return locked_; }

 private:
  friend class mutex_guard;

  // A task waiting for the lock; owns is set once the lock is its own.
  struct lock_waiter : detail::waiter {
    bool owns = false;
  };

  // Passes the lock to the first waiter, or frees it. While anyone waits the lock
  // stays taken, so try_lock() and new lock() calls queue behind them.
  void unlock() noexcept {
    if (lock_waiter* w = waiters_.pop_front()) {
      w->owns = true;
      w->wake();
    } else {
      locked_ = false;
    }
  }

  bool locked_ = false;
  detail::wait_list<lock_waiter> waiters_;
};

inline void mutex_guard::unlock() noexcept {
  if (mutex* m = std::exchange(m_, nullptr)) m->unlock();
}

}  // namespace tau
