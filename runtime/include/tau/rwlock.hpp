// rwlock.hpp: tau::rwlock, a lock that many readers or one writer hold, and that
// tasks await instead of blocking the loop.
//
//   tau::rwlock lock;
//   { auto r = co_await lock.read_lock(); ... }    // shared with other readers
//   { auto w = co_await lock.write_lock(); ... }   // exclusive
//
// Fair: waiters are served in the order they asked. A waiting writer holds back every
// reader that asks after it (writers are not starved), and the readers at the head of
// the queue are let in together. try_read_lock() and try_write_lock() never jump the
// queue. The lock must outlive its guards and waiters.
#pragma once

#include <coroutine>
#include <cstddef>
#include <optional>
#include <utility>

#include "tau/detail/wake.hpp"

namespace tau {

class rwlock;

// Shared ownership of a tau::rwlock; released when destroyed.
class rwlock_read_guard {
 public:
  rwlock_read_guard(rwlock_read_guard&& other) noexcept : l_(std::exchange(other.l_, nullptr)) {}
  rwlock_read_guard& operator=(rwlock_read_guard&& other) noexcept {
    if (this != &other) {
      unlock();
      l_ = std::exchange(other.l_, nullptr);
    }
    return *this;
  }
  ~rwlock_read_guard() { unlock(); }

  // Unlocks early; the guard then owns nothing.
  inline void unlock() noexcept;
  bool owns_lock() const noexcept { return l_ != nullptr; }

 private:
  friend class rwlock;
  explicit rwlock_read_guard(rwlock* l) noexcept : l_(l) {}
  rwlock* l_;
};

// Exclusive ownership of a tau::rwlock; released when destroyed.
class rwlock_write_guard {
 public:
  rwlock_write_guard(rwlock_write_guard&& other) noexcept : l_(std::exchange(other.l_, nullptr)) {}
  rwlock_write_guard& operator=(rwlock_write_guard&& other) noexcept {
    if (this != &other) {
      unlock();
      l_ = std::exchange(other.l_, nullptr);
    }
    return *this;
  }
  ~rwlock_write_guard() { unlock(); }

  // Unlocks early; the guard then owns nothing.
  inline void unlock() noexcept;
  bool owns_lock() const noexcept { return l_ != nullptr; }

 private:
  friend class rwlock;
  explicit rwlock_write_guard(rwlock* l) noexcept : l_(l) {}
  rwlock* l_;
};

class rwlock {
 public:
  rwlock() noexcept = default;
  rwlock(const rwlock&) = delete;
  rwlock& operator=(const rwlock&) = delete;

  // Awaits shared access; resolves to its guard. A task aborted while waiting leaves
  // the queue; one aborted after access was granted to it gives it back.
  auto read_lock() noexcept {
    struct awaiter : lock_waiter {
      rwlock* l;
      explicit awaiter(rwlock* lk) noexcept : lock_waiter(false), l(lk) {}
      awaiter(const awaiter&) = delete;
      ~awaiter() { l->abandon(*this); }

      bool await_ready() noexcept {
        if (!l->try_take(false)) return false;
        owns = true;
        return true;
      }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        suspend_on(h);
        l->waiters_.push_back(*this);
      }
      rwlock_read_guard await_resume() noexcept {
        owns = false;
        return rwlock_read_guard(l);
      }
    };
    return awaiter{this};
  }

  // Awaits exclusive access; resolves to its guard. Aborting a waiting task works as
  // for read_lock(); a writer leaving the queue may let the readers behind it in.
  auto write_lock() noexcept {
    struct awaiter : lock_waiter {
      rwlock* l;
      explicit awaiter(rwlock* lk) noexcept : lock_waiter(true), l(lk) {}
      awaiter(const awaiter&) = delete;
      ~awaiter() { l->abandon(*this); }

      bool await_ready() noexcept {
        if (!l->try_take(true)) return false;
        owns = true;
        return true;
      }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        suspend_on(h);
        l->waiters_.push_back(*this);
      }
      rwlock_write_guard await_resume() noexcept {
        owns = false;
        return rwlock_write_guard(l);
      }
    };
    return awaiter{this};
  }

  // Shared access now if no writer holds the lock and nobody waits for it.
  std::optional<rwlock_read_guard> try_read_lock() noexcept {
    if (!try_take(false)) return std::nullopt;
    return rwlock_read_guard(this);
  }

  // Exclusive access now if nobody holds the lock or waits for it.
  std::optional<rwlock_write_guard> try_write_lock() noexcept {
    if (!try_take(true)) return std::nullopt;
    return rwlock_write_guard(this);
  }

  // Readers holding the lock, those granted it but not yet resumed included.
  size_t reader_count() const noexcept { return readers_; }
  bool is_write_locked() const noexcept { return writer_; }

 private:
  friend class rwlock_read_guard;
  friend class rwlock_write_guard;

  // A task waiting for the lock; owns is set once access is its own.
  struct lock_waiter : detail::waiter {
    explicit lock_waiter(bool w) noexcept : write(w) {}
    bool write;
    bool owns = false;
  };

  // Takes access at once if that overtakes no waiter. The queue is only ever
  // non-empty while someone holds the lock, so an empty queue is enough to check.
  bool try_take(bool write) noexcept {
    if (writer_ || !waiters_.empty() || (write && readers_ > 0)) return false;
    if (write)
      writer_ = true;
    else
      ++readers_;
    return true;
  }

  // An awaiter going away: out of the queue (the waiters behind it may now fit), and
  // access it was granted but never resumed to take is given back.
  void abandon(lock_waiter& w) noexcept {
    if (w.linked()) {
      waiters_.remove(w);
      grant_waiters();
    }
    if (w.owns) w.write ? unlock_write() : unlock_read();
  }

  void unlock_read() noexcept {
    if (--readers_ == 0) grant_waiters();
  }
  void unlock_write() noexcept {
    writer_ = false;
    grant_waiters();
  }

  // Grants access to the head of the queue: one writer once nobody holds the lock,
  // or every reader up to the next writer while no writer holds it.
  void grant_waiters() noexcept {
    while (lock_waiter* w = waiters_.front()) {
      if (writer_ || (w->write && readers_ > 0)) return;
      waiters_.pop_front();
      w->owns = true;
      w->wake();
      if (w->write) {
        writer_ = true;
        return;
      }
      ++readers_;
    }
  }

  size_t readers_ = 0;
  bool writer_ = false;
  detail::wait_list<lock_waiter> waiters_;
};

inline void rwlock_read_guard::unlock() noexcept {
  if (rwlock* l = std::exchange(l_, nullptr)) l->unlock_read();
}

inline void rwlock_write_guard::unlock() noexcept {
  if (rwlock* l = std::exchange(l_, nullptr)) l->unlock_write();
}

}  // namespace tau
