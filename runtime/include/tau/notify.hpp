// notify.hpp: tau::notify, a wake-up signal between tasks, like tokio's Notify.
//
//   tau::notify ready;
//   co_await ready.notified();   // in one task
//   ready.notify_one();          // in another
//
// notify_one() wakes the longest waiting task, or, when none waits, stores a single
// permit that the next notified() consumes at once (several calls still store one).
// notify_waiters() wakes every task waiting now and stores nothing. The notify must
// outlive its waiters.
#pragma once

#include <coroutine>
#include <cstdint>

#include "tau/detail/wake.hpp"

namespace tau {

class notify {
 public:
  notify() noexcept = default;
  notify(const notify&) = delete;
  notify& operator=(const notify&) = delete;

  void notify_one() noexcept {
    if (notified_waiter* w = waiters_.pop_front()) {
      w->woken_by_one = true;
      w->wake();
    } else {
      permit_ = true;
    }
  }

  void notify_waiters() noexcept {
    ++notify_waiters_calls_;
    while (notified_waiter* w = waiters_.pop_front()) w->wake();
  }

  // Awaits a notification. As in tokio, a notified() made before a notify_waiters()
  // call completes even if it was first awaited after it. A task aborted after
  // notify_one() chose it passes that notification on.
  auto notified() noexcept {
    struct awaiter : notified_waiter {
      notify* n;
      uint64_t calls_at_creation;
      explicit awaiter(notify* nt) noexcept : n(nt), calls_at_creation(nt->notify_waiters_calls_) {}
      awaiter(const awaiter&) = delete;
      ~awaiter() {
        n->waiters_.remove(*this);
        if (wake_pending() && woken_by_one) n->notify_one();
      }

      bool await_ready() noexcept {
        if (n->notify_waiters_calls_ != calls_at_creation) return true;
        if (!n->permit_) return false;
        n->permit_ = false;
        return true;
      }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        suspend_on(h);
        n->waiters_.push_back(*this);
      }
      void await_resume() noexcept {}
    };
    return awaiter{this};
  }

 private:
  // A task waiting in notified(); remembers whether notify_one() picked it.
  struct notified_waiter : detail::waiter {
    bool woken_by_one = false;
  };

  // One stored notify_one() for the next notified().
  bool permit_ = false;
  // How many times notify_waiters() was called, to tell notified()s made before it.
  uint64_t notify_waiters_calls_ = 0;
  detail::wait_list<notified_waiter> waiters_;
};

}  // namespace tau
