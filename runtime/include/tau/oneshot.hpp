// oneshot.hpp: tau::oneshot, a channel for exactly one value.
//
//   auto [tx, rx] = tau::oneshot::channel<int>();
//   tx.send(42);              // false when the receiver is gone or closed
//   int v = co_await rx;      // throws tau::oneshot::recv_error if tx went away unsent
//
// Both halves are move-only. Everything runs on the loop thread; the waiting task is
// woken through a posted resumption (see detail/wake.hpp), and a value sent to a task that
// is aborted before it resumes stays in the receiver.
#pragma once

#include <coroutine>
#include <optional>
#include <stdexcept>
#include <utility>

#include "tau/detail/wake.hpp"

namespace tau {

namespace detail {

template <class T>
struct oneshot_state {
  // Owners: the two halves and any awaiter.
  size_t refs = 0;
  // The value, from send() until it is received.
  std::optional<T> value;
  // send() was called or the sender was dropped: nothing more can come.
  bool sender_done = false;
  // The value was received already.
  bool taken = false;
  // The receiver closed or was dropped: send() fails.
  bool closed = false;
  // The receiver's suspended awaiter, if any.
  waiter* receiving = nullptr;

  void wake_receiver() {
    if (waiter* w = std::exchange(receiving, nullptr)) w->wake();
  }
};

}  // namespace detail

namespace oneshot {

// No value will ever come: the sender went away without sending, or the receiver
// closed before a value was sent.
class recv_error : public std::runtime_error {
 public:
  recv_error() : std::runtime_error("oneshot channel closed without a value") {}
};

template <class T>
class sender {
 public:
  using state_type = detail::oneshot_state<T>;

  sender() noexcept = default;
  explicit sender(detail::shared_ref<state_type> s) noexcept : s_(std::move(s)) {}
  sender(sender&&) noexcept = default;
  sender& operator=(sender&& other) noexcept {
    if (this != &other) {
      reset();
      s_ = std::move(other.s_);
    }
    return *this;
  }
  ~sender() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(s_); }
  // The receiver closed or was dropped: send() would fail.
  bool is_closed() const noexcept { return s_->closed; }

  // Stores the value for the receiver and wakes it. Returns false, leaving v
  // untouched, when the receiver is gone or closed or a value was sent already.
  bool send(T&& v) {
    if (!can_send()) return false;
    s_->value.emplace(std::move(v));
    finish();
    return true;
  }
  bool send(const T& v) {
    if (!can_send()) return false;
    s_->value.emplace(v);
    finish();
    return true;
  }

 private:
  bool can_send() const noexcept { return s_ && !s_->closed && !s_->sender_done; }
  void finish() {
    s_->sender_done = true;
    s_->wake_receiver();
  }
  void reset() {
    if (!s_) return;
    if (!s_->sender_done) finish();  // dropped unsent
    s_ = {};
  }

  detail::shared_ref<state_type> s_;
};

template <class T>
class receiver {
 public:
  using state_type = detail::oneshot_state<T>;

  receiver() noexcept = default;
  explicit receiver(detail::shared_ref<state_type> s) noexcept : s_(std::move(s)) {}
  receiver(receiver&&) noexcept = default;
  receiver& operator=(receiver&& other) noexcept {
    if (this != &other) {
      reset();
      s_ = std::move(other.s_);
    }
    return *this;
  }
  ~receiver() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(s_); }

  // Awaits the value. Throws recv_error when the sender went away unsent or close()
  // came first, std::logic_error when the value was already received or another
  // task awaits this receiver.
  auto operator co_await() noexcept {
    struct awaiter : detail::waiter {
      detail::shared_ref<state_type> s;
      explicit awaiter(detail::shared_ref<state_type> st) : s(std::move(st)) {}
      awaiter(const awaiter&) = delete;
      ~awaiter() {
        if (s->receiving == this) s->receiving = nullptr;
      }

      bool await_ready() const noexcept { return s->value || s->sender_done || s->closed || s->taken; }
      void await_suspend(std::coroutine_handle<> h) {
        if (s->receiving != nullptr) throw std::logic_error("oneshot receiver awaited by two tasks at once");
        suspend_on(h);
        s->receiving = this;
      }
      T await_resume() { return take(*s); }
    };
    return awaiter{s_};
  }

  // The value if it was sent, nullopt if not yet. Throws like co_await when no value
  // can come any more.
  std::optional<T> try_recv() {
    if (!s_->value && !s_->sender_done && !s_->closed && !s_->taken) return std::nullopt;
    return take(*s_);
  }

  // Makes send() fail from now on. A value sent before can still be received.
  void close() {
    s_->closed = true;
    s_->wake_receiver();
  }

 private:
  static T take(state_type& s) {
    if (s.value) {
      T v(std::move(*s.value));
      s.value.reset();
      s.taken = true;
      return v;
    }
    if (s.taken) throw std::logic_error("oneshot value already received");
    throw recv_error();
  }
  void reset() {
    if (!s_) return;
    s_->closed = true;
    s_ = {};
  }

  detail::shared_ref<state_type> s_;
};

template <class T>
std::pair<sender<T>, receiver<T>> channel() {
  detail::shared_ref<detail::oneshot_state<T>> s(new detail::oneshot_state<T>());
  return {sender<T>(s), receiver<T>(s)};
}

}  // namespace oneshot
}  // namespace tau
