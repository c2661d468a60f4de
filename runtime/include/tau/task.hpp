// task.hpp: tasks on the shared loop: task<T>, spawn, join_handle, join_set, block_on.
//
// task<T> is a lazy coroutine: it runs when awaited or spawned. spawn() registers it
// with the runtime (tau_task_new) and starts it soon, from the loop; the
// join_handle awaits its result, and an exception escaping the task is rethrown
// there. Nothing here throws across the C ABI: every callback the runtime calls
// resumes a coroutine whose promise catches everything.
#pragma once

#include <cxxabi.h>

#include <coroutine>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "tau/error.hpp"
#include "tau/tau.h"

namespace tau {

template <class T = void>
class task;

namespace detail {

// The value a task<T> produces: T, or std::monostate for void.
template <class T>
using value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// "type: what" of an exception, for the one-line reasons the runtime reports.
inline std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    int status = 0;
    char* name = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
    std::string text = std::string(status == 0 ? name : typeid(e).name()) + ": " + e.what();
    std::free(name);
    return text;
  } catch (...) {
    return "unknown exception";
  }
}

template <class T>
class task_promise_base {
 public:
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      if (auto next = h.promise().continuation_) return next;
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }

  value_t<T> take() {
    if (result_.index() == 2) std::rethrow_exception(std::get<2>(result_));
    return std::move(std::get<1>(result_));
  }

  std::coroutine_handle<> continuation_;

 protected:
  std::variant<std::monostate, value_t<T>, std::exception_ptr> result_;
};

template <class T>
class task_promise : public task_promise_base<T> {
 public:
  task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& value) {
    this->result_.template emplace<1>(std::forward<U>(value));
  }
};

template <>
class task_promise<void> : public task_promise_base<void> {
 public:
  task<void> get_return_object() noexcept;
  void return_void() noexcept { this->result_.template emplace<1>(); }
};

}  // namespace detail

// A lazy coroutine producing T. Await it from another task, or spawn it.
template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  explicit task(handle_type h) noexcept : h_(h) {}
  task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  ~task() {
    if (h_) h_.destroy();
  }

  bool valid() const noexcept { return static_cast<bool>(h_); }

  auto operator co_await() && noexcept {
    struct awaiter {
      handle_type h;
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        h.promise().continuation_ = caller;
        return h;
      }
      T await_resume() {
        if constexpr (std::is_void_v<T>) h.promise().take();
        else return h.promise().take();
      }
    };
    return awaiter{h_};
  }

 private:
  handle_type h_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

// The coroutine at the bottom of a spawned task: it owns the body and reports the
// outcome. It starts suspended; when the body is done it destroys itself, and
// with it the body (a spawned lambda's captures go away when the task ends).
struct root_coroutine {
  struct promise_type {
    root_coroutine get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // the body catches all
  };
  std::coroutine_handle<promise_type> handle;
};

// What a spawned task (or blocking job) shares between the runtime and its
// join_handle: reference-counted, touched only on the loop thread.
template <class T>
struct spawn_state {
  int refs = 1;
  tau_task_id id = 0;
  bool done = false;
  bool aborted = false;
  std::coroutine_handle<> root;
  std::optional<value_t<T>> value;
  std::exception_ptr error;

  ~spawn_state() {
    if (root) root.destroy();
  }
  void ref() noexcept { ++refs; }
  void unref() noexcept {
    if (--refs == 0) delete this;
  }

  void finish_ok(value_t<T> v) {
    value.emplace(std::move(v));
    done = true;
    tau_task_complete(id, TAU_TASK_OK, nullptr);
  }
  void finish_error(std::exception_ptr e) {
    error = std::move(e);
    done = true;
    tau_task_complete(id, TAU_TASK_FAILED, describe(error).c_str());
  }

  value_t<T> take_result() {
    if (aborted) throw task_aborted();
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }

  static void cancel(void* ctx) noexcept {
    auto* s = static_cast<spawn_state*>(ctx);
    s->aborted = true;
    s->done = true;
    // Destroying the suspended frames runs the destructors of their awaiters, which
    // stop the timers, watches and joins they registered.
    if (s->root) std::exchange(s->root, {}).destroy();
  }
  static void release(void* ctx) noexcept { static_cast<spawn_state*>(ctx)->unref(); }
  static constexpr tau_task_vtable vtable{&cancel, &release};
};

template <class T, class F>
root_coroutine run_root(spawn_state<T>* s, F body) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await body();
      s->finish_ok({});
    } else {
      s->finish_ok(co_await body());
    }
  } catch (...) {
    s->finish_error(std::current_exception());
  }
  s->root = {};  // the frame is about to destroy itself
}

template <class T>
void start_root(void* ctx) noexcept {
  auto* s = static_cast<spawn_state<T>*>(ctx);
  if (!s->done && s->root) s->root.resume();
  s->unref();
}

template <class F>
using task_result_t = typename std::invoke_result_t<F&>;

template <class>
struct task_value;
template <class T>
struct task_value<task<T>> {
  using type = T;
};

}  // namespace detail

// Owns the right to join a spawned task. Dropping it detaches the task, which
// keeps running.
template <class T>
class join_handle {
 public:
  join_handle() noexcept = default;
  explicit join_handle(detail::spawn_state<T>* s) noexcept : s_(s) {}
  join_handle(join_handle&& other) noexcept : s_(std::exchange(other.s_, nullptr)), seen_(other.seen_) {}
  join_handle& operator=(join_handle&& other) noexcept {
    if (this != &other) {
      reset();
      s_ = std::exchange(other.s_, nullptr);
      seen_ = other.seen_;
    }
    return *this;
  }
  ~join_handle() { reset(); }

  tau_task_id task_id() const noexcept { return s_ ? s_->id : 0; }
  bool valid() const noexcept { return s_ != nullptr; }
  bool is_finished() const noexcept { return s_ && s_->done; }
  // Requests abort; the task stops at its current suspension point on a later
  // turn of the loop, and joining it then throws task_aborted.
  void abort() const {
    if (s_) tau_task_abort(s_->id);
  }

  auto operator co_await() noexcept {
    struct awaiter {
      join_handle* self;
      std::coroutine_handle<> waiting;
      bool joined = false;

      static void on_join(void* ctx, tau_task_id, int, const char*) noexcept {
        auto* a = static_cast<awaiter*>(ctx);
        a->joined = false;
        a->waiting.resume();
      }
      bool await_ready() const noexcept { return self->s_->done; }
      bool await_suspend(std::coroutine_handle<> h) {
        waiting = h;
        detail::check(tau_task_join(self->s_->id, &on_join, this), "join");
        joined = true;
        return true;
      }
      detail::value_t<T> await_resume() { return self->take(); }
      ~awaiter() {
        if (joined) tau_task_unjoin(self->s_->id, &on_join, this);
      }
    };
    return awaiter{this, {}};
  }

  // The outcome of a finished task: its value, or its exception rethrown.
  detail::value_t<T> take() {
    seen_ = true;
    return s_->take_result();
  }

 private:
  void reset() noexcept {
    if (s_ == nullptr) return;
    tau_task_detach(s_->id, seen_ ? 1 : 0);
    std::exchange(s_, nullptr)->unref();
  }

  detail::spawn_state<T>* s_ = nullptr;
  bool seen_ = false;
};

// Spawns a task from a callable returning task<T>. The callable is kept alive in
// the task, so a lambda's captures stay valid for as long as the task runs.
template <class F>
  requires std::is_invocable_v<F&>
auto spawn(F f) {
  using T = typename detail::task_value<detail::task_result_t<F>>::type;
  auto* s = new detail::spawn_state<T>();
  s->id = tau_task_new(&detail::spawn_state<T>::vtable, s);
  if (s->id == 0) {
    delete s;
    throw error(TAU_E_WRONG_THREAD, "spawn");
  }
  s->ref();  // one for the runtime (dropped by release), one for the join_handle
  s->root = detail::run_root<T>(s, std::move(f)).handle;
  s->ref();  // for the start callback
  tau_post(&detail::start_root<T>, s);
  return join_handle<T>(s);
}

template <class T>
join_handle<T> spawn(task<T> t) {
  return spawn([t = std::move(t)]() mutable { return std::move(t); });
}

// Runs a task to completion from outside the loop, driving the loop meanwhile
// (other tasks keep running). Throws tau::error with TAU_E_IN_LOOP when called
// from inside the loop, where it would deadlock.
template <class F>
  requires std::is_invocable_v<F&>
auto block_on(F f) {
  auto handle = spawn(std::move(f));
  struct probe {
    static int done(void* h) { return static_cast<decltype(handle)*>(h)->is_finished() ? 1 : 0; }
  };
  int rc = tau_block_on(&probe::done, &handle);
  if (rc < 0) {
    handle.abort();
    throw error(rc, "block_on");
  }
  if constexpr (std::is_void_v<typename detail::task_value<detail::task_result_t<F>>::type>) {
    handle.take();
  } else {
    return handle.take();
  }
}

template <class T>
T block_on(task<T> t) {
  return block_on([t = std::move(t)]() mutable { return std::move(t); });
}

// A set of spawned tasks of one result type, joined in completion order. Dropping
// the set aborts the tasks still in it.
template <class T>
class join_set {
 public:
  join_set() = default;
  join_set(const join_set&) = delete;
  join_set& operator=(const join_set&) = delete;
  ~join_set() {
    for (auto& m : members_) {
      tau_task_unjoin(m.handle.task_id(), &on_done, this);
      m.handle.abort();
    }
  }

  template <class F>
  tau_task_id spawn(F&& f) {
    member m{tau::spawn(std::forward<F>(f))};
    tau_task_id id = m.handle.task_id();
    detail::check(tau_task_join(id, &on_done, this), "join_set::spawn");
    members_.push_back(std::move(m));
    return id;
  }

  size_t size() const noexcept { return members_.size(); }
  bool empty() const noexcept { return members_.empty(); }

  void abort_all() {
    for (auto& m : members_) m.handle.abort();
  }

  // The outcome of the next task to finish (its exception rethrown), or nullopt
  // when the set is empty.
  task<std::optional<detail::value_t<T>>> join_next() {
    if (members_.empty()) co_return std::nullopt;
    if (ready_.empty()) co_await wait_ready{this};
    tau_task_id id = ready_.front();
    ready_.pop_front();
    for (auto it = members_.begin(); it != members_.end(); ++it) {
      if (it->handle.task_id() != id) continue;
      join_handle<T> h = std::move(it->handle);
      members_.erase(it);
      co_return h.take();
    }
    co_return std::nullopt;
  }

 private:
  struct member {
    join_handle<T> handle;
  };
  struct wait_ready {
    join_set* set;
    bool await_ready() const noexcept { return !set->ready_.empty(); }
    void await_suspend(std::coroutine_handle<> h) noexcept { set->waiter_ = h; }
    void await_resume() const noexcept {}
    ~wait_ready() { set->waiter_ = {}; }
  };

  static void on_done(void* ctx, tau_task_id id, int, const char*) noexcept {
    auto* self = static_cast<join_set*>(ctx);
    self->ready_.push_back(id);
    if (auto w = std::exchange(self->waiter_, {})) w.resume();
  }

  std::vector<member> members_;
  std::deque<tau_task_id> ready_;
  std::coroutine_handle<> waiter_;
};

}  // namespace tau
