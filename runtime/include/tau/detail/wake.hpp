// detail/wake.hpp: how the sync primitives (channel, oneshot, mutex, notify, semaphore)
// suspend a task and wake it again.
//
// Two rules shape it. A waker never resumes the woken coroutine inside its own call
// (a send must not run the receiver on the sender's stack): the resumption is posted
// with tau_post and runs from the top of a later loop iteration. And a waiting task
// may be aborted, which destroys its frame and with it the awaiter: the awaiter then
// leaves its wait list, and a resumption already posted for it does nothing.
//
// None of these waits holds the loop: a task waiting on a primitive that nothing can
// signal any more is stalled, and tau_block_on reports it as TAU_E_STALLED.
#pragma once

#include <coroutine>
#include <utility>

#include "tau/tau.h"

namespace tau::detail {

// One suspended awaiter of a sync primitive: its place in the primitive's wait list
// and, once woken, the resumption posted for it. Awaiters derive from it and must
// not move while suspended (co_await never moves them).
class waiter {
 public:
  waiter() noexcept = default;
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;
  ~waiter() {
    if (posted_ != nullptr) posted_->target = nullptr;
  }

  // Posts the resumption of the coroutine that suspended here. The waker must have
  // taken the waiter off its wait list first.
  void wake() noexcept {
    posted_ = new posted_resume{this};
    tau_post(&posted_resume::run, posted_);
  }
  // Woken, but the posted resumption has not run yet: whatever the waker handed
  // over (a value, a lock, permits) must be given back if the awaiter dies now.
  bool wake_pending() const noexcept { return posted_ != nullptr; }
  // Still in a wait list, not woken.
  bool linked() const noexcept { return linked_; }

 protected:
  void suspend_on(std::coroutine_handle<> h) noexcept { handle_ = h; }

 private:
  template <class W>
  friend class wait_list;

  // The context of one tau_post; outlives the waiter when the waiter dies first.
  struct posted_resume {
    waiter* target;  // null once the waiter is gone
    static void run(void* ctx) noexcept {
      auto* p = static_cast<posted_resume*>(ctx);
      waiter* w = p->target;
      delete p;
      if (w == nullptr) return;
      w->posted_ = nullptr;
      w->handle_.resume();
    }
  };

  waiter* prev_ = nullptr;
  waiter* next_ = nullptr;
  bool linked_ = false;
  std::coroutine_handle<> handle_;
  posted_resume* posted_ = nullptr;
};

// An intrusive FIFO of waiters of type W (derived from waiter). It owns none of
// them: each awaiter removes itself when destroyed.
template <class W>
class wait_list {
 public:
  wait_list() noexcept = default;
  wait_list(const wait_list&) = delete;
  wait_list& operator=(const wait_list&) = delete;

  bool empty() const noexcept { return head_ == nullptr; }
  W* front() const noexcept { return static_cast<W*>(head_); }

  void push_back(W& w) noexcept {
    waiter& n = w;
    n.prev_ = tail_;
    n.next_ = nullptr;
    n.linked_ = true;
    if (tail_ != nullptr)
      tail_->next_ = &n;
    else
      head_ = &n;
    tail_ = &n;
  }

  W* pop_front() noexcept {
    if (head_ == nullptr) return nullptr;
    W* w = static_cast<W*>(head_);
    remove(*w);
    return w;
  }

  void remove(W& w) noexcept {
    waiter& n = w;
    if (!n.linked_) return;
    if (n.prev_ != nullptr)
      n.prev_->next_ = n.next_;
    else
      head_ = n.next_;
    if (n.next_ != nullptr)
      n.next_->prev_ = n.prev_;
    else
      tail_ = n.prev_;
    n.prev_ = n.next_ = nullptr;
    n.linked_ = false;
  }

 private:
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

// A count of owners that frees T (through delete) when the last one lets go.
// Single-threaded: every owner lives on the loop thread.
template <class T>
class shared_ref {
 public:
  shared_ref() noexcept = default;
  explicit shared_ref(T* p) noexcept : p_(p) {
    if (p_ != nullptr) ++p_->refs;
  }
  shared_ref(const shared_ref& other) noexcept : shared_ref(other.p_) {}
  shared_ref(shared_ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  shared_ref& operator=(shared_ref other) noexcept {
    std::swap(p_, other.p_);
    return *this;
  }
  ~shared_ref() {
    if (p_ != nullptr && --p_->refs == 0) delete p_;
  }

  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

}  // namespace tau::detail
