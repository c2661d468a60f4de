// semaphore.hpp: tau::semaphore, a count of permits that tasks await.
//
//   tau::semaphore slots(4);
//   auto permit = co_await slots.acquire();   // returned when permit goes away
//
// Fair: waiters are served in the order they asked, and a waiter asking for many
// permits is not overtaken by later ones asking for few; try_acquire() does not jump
// the queue either. The semaphore must outlive its permits and waiters.
#pragma once

#include <coroutine>
#include <cstddef>
#include <optional>
#include <utility>

#include "tau/detail/wake.hpp"

namespace tau {

class semaphore;

// Permits taken from a tau::semaphore; given back when destroyed.
class semaphore_permit {
 public:
  semaphore_permit(semaphore_permit&& other) noexcept
      : s_(std::exchange(other.s_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  semaphore_permit& operator=(semaphore_permit&& other) noexcept {
    if (this != &other) {
      release();
      s_ = std::exchange(other.s_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }
  ~semaphore_permit() { release(); }

  size_t count() const noexcept { return count_; }
  // Gives the permits back now.
  inline void release() noexcept;
  // Keeps the permits out of the semaphore for good.
  void forget() noexcept {
    s_ = nullptr;
    count_ = 0;
  }

 private:
  friend class semaphore;
  semaphore_permit(semaphore* s, size_t count) noexcept : s_(s), count_(count) {}
  semaphore* s_;
  size_t count_;
};

class semaphore {
 public:
  explicit semaphore(size_t permits) noexcept : available_(permits) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  // Awaits n permits. A task aborted while waiting leaves the queue (which may let
  // the waiters behind it through); one aborted after its permits were granted
  // gives them back.
  auto acquire(size_t n = 1) noexcept {
    struct awaiter : acquire_waiter {
      semaphore* s;
      awaiter(semaphore* sem, size_t count) noexcept : acquire_waiter(count), s(sem) {}
      awaiter(const awaiter&) = delete;
      ~awaiter() {
        if (linked()) {
          s->waiters_.remove(*this);
          s->grant_waiters();
        }
        if (granted) s->add_permits(wanted);
      }

      bool await_ready() noexcept {
        if (!s->waiters_.empty() || s->available_ < wanted) return false;
        s->available_ -= wanted;
        granted = true;
        return true;
      }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        suspend_on(h);
        s->waiters_.push_back(*this);
      }
      semaphore_permit await_resume() noexcept {
        granted = false;
        return semaphore_permit(s, wanted);
      }
    };
    return awaiter{this, n};
  }

  // n permits now if they are available and nobody waits ahead.
  std::optional<semaphore_permit> try_acquire(size_t n = 1) noexcept {
    if (!waiters_.empty() || available_ < n) return std::nullopt;
    available_ -= n;
    return semaphore_permit(this, n);
  }

  // Permits nobody holds (waiters may still wait for more than this).
  size_t available_permits() const noexcept { return available_; }

  // Adds n permits and grants waiters what now fits, in order.
  void add_permits(size_t n) noexcept {
    available_ += n;
    grant_waiters();
  }

 private:
  // A task waiting for `wanted` permits; granted once they are its own.
  struct acquire_waiter : detail::waiter {
    explicit acquire_waiter(size_t n) noexcept : wanted(n) {}
    size_t wanted;
    bool granted = false;
  };

  void grant_waiters() noexcept {
    while (!waiters_.empty() && waiters_.front()->wanted <= available_) {
      acquire_waiter* w = waiters_.pop_front();
      available_ -= w->wanted;
      w->granted = true;
      w->wake();
    }
  }

  size_t available_;
  detail::wait_list<acquire_waiter> waiters_;
};

inline void semaphore_permit::release() noexcept {
  if (semaphore* s = std::exchange(s_, nullptr)) s->add_permits(std::exchange(count_, 0));
}

}  // namespace tau
