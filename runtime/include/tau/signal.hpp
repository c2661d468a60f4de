// signal.hpp: Unix signals as something a task awaits.
//
//   tau::signal_stream hangups(SIGHUP);   // watching starts here
//   co_await hangups.recv();              // once per delivery, coalesced
//   co_await tau::ctrl_c();               // SIGINT
//
// As in tokio, deliveries that arrive while nobody awaits are remembered but
// coalesce: any number of them completes one recv(). A signal watch does not keep
// the loop alive, so a pending recv() holds the loop (tau_loop_hold) until it
// completes or its task is aborted. While a stream for SIGINT or SIGTERM exists, the
// host leaves that signal to it instead of shutting down.
#pragma once

#include <coroutine>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <utility>

#include "tau/error.hpp"
#include "tau/task.hpp"
#include "tau/tau.h"

namespace tau {

class signal_stream {
 public:
  // Starts watching signum; throws tau::error when it cannot be watched.
  explicit signal_stream(int signum) : state_(std::make_unique<state>()) {
    state_->signum = signum;
    detail::check(tau_signal_start(&state_->watch, signum, &on_signal, state_.get()), "signal_stream");
  }
  signal_stream(signal_stream&&) noexcept = default;
  signal_stream& operator=(signal_stream&&) noexcept = default;
  ~signal_stream() = default;

  int signum() const noexcept { return state_->signum; }

  // Completes once the signal was delivered since the last recv() (at once when it
  // already was). One task at a time may await it (another throws
  // std::logic_error), and the stream must outlive the await.
  auto recv() noexcept {
    struct awaiter {
      state* s;
      std::coroutine_handle<> suspended;
      explicit awaiter(state* st) noexcept : s(st) {}
      awaiter(const awaiter&) = delete;
      ~awaiter() {
        if (!suspended || s->waiting != suspended) return;  // not waiting, or resumed
        s->waiting = {};
        tau_loop_release();
      }

      bool await_ready() noexcept { return std::exchange(s->pending, false); }
      void await_suspend(std::coroutine_handle<> h) {
        if (s->waiting) throw std::logic_error("signal_stream::recv awaited by two tasks at once");
        suspended = h;
        s->waiting = h;
        tau_loop_hold();
      }
      void await_resume() noexcept {}
    };
    return awaiter{state_.get()};
  }

 private:
  // Lives on the heap so the watch's context survives moves of the stream.
  struct state {
    ~state() { tau_signal_stop(watch); }
    tau_signal_t* watch = nullptr;
    int signum = 0;
    // Delivered while nobody awaited.
    bool pending = false;
    // The suspended recv(); it holds the loop while set.
    std::coroutine_handle<> waiting;
  };

  // The runtime calls this from the top of a loop iteration, so resuming here does
  // not run the task inside anybody else's call.
  static void on_signal(void* ctx, int) noexcept {
    auto* s = static_cast<state*>(ctx);
    auto h = std::exchange(s->waiting, {});
    if (!h) {
      s->pending = true;
      return;
    }
    tau_loop_release();
    h.resume();
  }

  std::unique_ptr<state> state_;
};

// Completes on the next SIGINT delivered after the task starts. To also catch one
// delivered before, create a signal_stream(SIGINT) early and await its recv().
inline task<> ctrl_c() {
  signal_stream interrupts(SIGINT);
  co_await interrupts.recv();
}

}  // namespace tau
