// channel.hpp: tau::mpsc, a multi-producer single-consumer queue between tasks.
//
//   auto [tx, rx] = tau::mpsc::channel<int>(16);   // bounded: send waits when full
//   auto [tx, rx] = tau::mpsc::unbounded_channel<int>();
//   co_await tx.send(1);                           // false once the receiver closed
//   while (auto v = co_await rx.recv()) use(*v);   // nullopt: every sender gone, drained
//
// Closing works as in tokio: when the last sender goes, recv() yields what is
// buffered and then nullopt. receiver::close() (or dropping the receiver) makes every
// send fail from then on, including sends waiting for room; close() keeps the
// buffered values for recv(), dropping the receiver discards them.
//
// Senders are copyable, the receiver is move-only. Waiting senders are served in
// FIFO order. Everything runs on the loop thread; see detail/wake.hpp for how waiting tasks
// are woken (never inline) and what happens when one is aborted mid-wait.
#pragma once

#include <coroutine>
#include <cstddef>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "tau/detail/wake.hpp"

namespace tau {

namespace detail {

template <class T>
struct channel_core {
  // A recv() waiting for a value; a sender may hand it one directly.
  struct recv_waiter : waiter {
    std::optional<T> handed;
  };
  // A send() waiting for room; the receiver moves its value into the buffer.
  struct send_waiter : waiter {
    explicit send_waiter(T v) : value(std::move(v)) {}
    T value;
    bool sent = false;
  };

  explicit channel_core(size_t cap) : capacity(cap) {}

  // Gives a value to the first waiting recv(), or else buffers it (no room check).
  void deliver(T&& v) {
    if (recv_waiter* r = receivers.pop_front()) {
      r->handed.emplace(std::move(v));
      r->wake();
    } else {
      buffer.push_back(std::move(v));
    }
  }

  // A value a destroyed recv() was handed but never saw: it goes back to the front,
  // so nothing is lost and order is kept.
  void give_back(T&& v) {
    if (recv_waiter* r = receivers.pop_front()) {
      r->handed.emplace(std::move(v));
      r->wake();
    } else {
      buffer.push_front(std::move(v));
    }
  }

  // The next buffered value; the room it leaves goes to waiting senders in order.
  std::optional<T> take() {
    if (buffer.empty()) return std::nullopt;
    std::optional<T> v(std::move(buffer.front()));
    buffer.pop_front();
    while (buffer.size() < capacity && !senders_waiting.empty()) {
      send_waiter* s = senders_waiting.pop_front();
      buffer.push_back(std::move(s->value));
      s->sent = true;
      s->wake();
    }
    return v;
  }

  // No value can arrive any more: recv() waiters learn it now.
  void wake_receivers() {
    while (recv_waiter* r = receivers.pop_front()) r->wake();
  }

  void close() {
    if (closed) return;
    closed = true;
    while (send_waiter* s = senders_waiting.pop_front()) s->wake();  // sent stays false
    wake_receivers();
  }

  bool finished() const noexcept { return closed || senders == 0; }

  // Owners of this core: the halves and the awaiters made from them.
  size_t refs = 0;
  // Live senders; at 0 no value can arrive any more.
  size_t senders = 0;
  // Most values buffered before send() waits (SIZE_MAX: unbounded).
  const size_t capacity;
  // The receiver closed or was dropped: sends fail.
  bool closed = false;
  // Values sent and not yet received. May briefly exceed capacity by values
  // given back by aborted receivers.
  std::deque<T> buffer;
  // Suspended recv()s; only ever waiting while the buffer is empty.
  wait_list<recv_waiter> receivers;
  // Suspended send()s; only ever waiting while the buffer is full.
  wait_list<send_waiter> senders_waiting;
};

}  // namespace detail

namespace mpsc {

// What try_send did.
enum class send_status {
  sent,   // the value is in the channel
  full,   // a bounded channel had no room; the value was left with the caller
  closed  // the receiver closed or was dropped; the value was left with the caller
};

// The sending half. Copies share the channel; the channel closes for the receiver
// once every copy is gone.
template <class T>
class sender {
 public:
  using core_type = detail::channel_core<T>;

  sender() noexcept = default;
  explicit sender(detail::shared_ref<core_type> core) noexcept : core_(std::move(core)) {
    if (core_) ++core_->senders;
  }
  sender(const sender& other) noexcept : sender(other.core_) {}
  sender(sender&& other) noexcept = default;
  sender& operator=(const sender& other) noexcept {
    if (this != &other) *this = sender(other);
    return *this;
  }
  sender& operator=(sender&& other) noexcept {
    if (this != &other) {
      reset();
      core_ = std::move(other.core_);
    }
    return *this;
  }
  ~sender() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(core_); }
  // The receiver closed or was dropped: every send fails.
  bool is_closed() const noexcept { return core_->closed; }
  size_t capacity() const noexcept { return core_->capacity; }

  // Awaits room (a bounded channel at capacity), then queues the value. Resolves to
  // true when the value entered the channel, false when the receiver is closed
  // (the value is dropped). With room it completes without suspending, so a loop
  // that only sends into an unbounded channel never lets other tasks run. A task
  // aborted while waiting sends nothing; one aborted after the receiver made room
  // and took its value still delivered it. (GCC 12 miscompiles an aggregate
  // temporary such as `send(msg{1, "text"})` inside co_await: name it first.)
  auto send(T value) {
    struct awaiter : core_type::send_waiter {
      detail::shared_ref<core_type> core;
      awaiter(detail::shared_ref<core_type> c, T v)
          : core_type::send_waiter(std::move(v)), core(std::move(c)) {}
      awaiter(const awaiter&) = delete;
      ~awaiter() { core->senders_waiting.remove(*this); }

      bool await_ready() {
        if (core->closed) return true;
        if (core->buffer.size() >= core->capacity && core->receivers.empty()) return false;
        core->deliver(std::move(this->value));
        this->sent = true;
        return true;
      }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        this->suspend_on(h);
        core->senders_waiting.push_back(*this);
      }
      bool await_resume() const noexcept { return this->sent; }
    };
    return awaiter{core_, std::move(value)};
  }

  // Queues the value now if it can; v is moved from only when the result is sent.
  send_status try_send(T&& v) {
    if (core_->closed) return send_status::closed;
    if (core_->buffer.size() >= core_->capacity && core_->receivers.empty()) return send_status::full;
    core_->deliver(std::move(v));
    return send_status::sent;
  }
  send_status try_send(const T& v) {
    if (core_->closed) return send_status::closed;
    if (core_->buffer.size() >= core_->capacity && core_->receivers.empty()) return send_status::full;
    core_->deliver(T(v));
    return send_status::sent;
  }

 private:
  void reset() noexcept {
    if (!core_) return;
    if (--core_->senders == 0) core_->wake_receivers();
    core_ = {};
  }

  detail::shared_ref<core_type> core_;
};

// The receiving half: move-only. One recv() at a time is the intended use.
template <class T>
class receiver {
 public:
  using core_type = detail::channel_core<T>;

  receiver() noexcept = default;
  explicit receiver(detail::shared_ref<core_type> core) noexcept : core_(std::move(core)) {}
  receiver(receiver&& other) noexcept = default;
  receiver& operator=(receiver&& other) noexcept {
    if (this != &other) {
      reset();
      core_ = std::move(other.core_);
    }
    return *this;
  }
  ~receiver() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(core_); }

  // Resolves to the next value, or nullopt once no value can come any more (every
  // sender gone or close() called) and the buffer is drained. A value handed to a
  // recv() whose task is aborted before it resumes goes back to the channel.
  auto recv() {
    struct awaiter : core_type::recv_waiter {
      detail::shared_ref<core_type> core;
      explicit awaiter(detail::shared_ref<core_type> c) : core(std::move(c)) {}
      awaiter(const awaiter&) = delete;
      ~awaiter() {
        core->receivers.remove(*this);
        if (this->handed) core->give_back(std::move(*this->handed));
      }

      bool await_ready() const noexcept { return !core->buffer.empty() || core->finished(); }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        this->suspend_on(h);
        core->receivers.push_back(*this);
      }
      std::optional<T> await_resume() {
        if (!this->handed) return core->take();
        std::optional<T> v(std::move(this->handed));
        this->handed.reset();
        return v;
      }
    };
    return awaiter{core_};
  }

  // The next buffered value, or nullopt when there is none right now (is_closed()
  // tells whether one can still come).
  std::optional<T> try_recv() { return core_->take(); }

  // Makes every send fail from now on; buffered values can still be received.
  void close() { core_->close(); }

  // No more values can enter the channel: close() was called or every sender is gone.
  bool is_closed() const noexcept { return core_->finished(); }
  // Values buffered now.
  size_t size() const noexcept { return core_->buffer.size(); }

 private:
  void reset() {
    if (!core_) return;
    core_->close();
    core_->buffer.clear();
    core_ = {};
  }

  detail::shared_ref<core_type> core_;
};

// A channel that buffers up to capacity values (capacity >= 1); send waits for room.
template <class T>
std::pair<sender<T>, receiver<T>> channel(size_t capacity) {
  if (capacity == 0) throw std::invalid_argument("tau::mpsc::channel: capacity must be at least 1");
  detail::shared_ref<detail::channel_core<T>> core(new detail::channel_core<T>(capacity));
  return {sender<T>(core), receiver<T>(core)};
}

// A channel without bound: send never waits.
template <class T>
std::pair<sender<T>, receiver<T>> unbounded_channel() {
  return channel<T>(std::numeric_limits<size_t>::max());
}

}  // namespace mpsc
}  // namespace tau
