// Tests of signal.hpp: real signals (raise, kill from another thread) reach
// signal_stream::recv() and ctrl_c(); deliveries coalesce; the loop is held only
// while a recv() is pending.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"

using namespace std::chrono_literals;

using signal_test = runtime_test;

namespace {

// Runs what the loop has ready without blocking, then tells whether anything still
// keeps it alive. With no timers or I/O in the test, that can only be a loop hold.
bool loop_kept_alive() {
  for (int i = 0; i < 10; ++i) uv_run(tau::detail::loop(), UV_RUN_NOWAIT);
  return uv_loop_alive(tau::detail::loop()) != 0;
}

// Drives the loop until the task is finished.
template <class T>
void run_until_finished(const tau::join_handle<T>& h) {
  auto finished = [](void* ctx) {
    return static_cast<const tau::join_handle<T>*>(ctx)->is_finished() ? 1 : 0;
  };
  ASSERT_EQ(tau_block_on(finished, const_cast<tau::join_handle<T>*>(&h)), 0);
}

tau::task<> recv_once(tau::signal_stream& s) { co_await s.recv(); }

}  // namespace

TEST_F(signal_test, recv_completes_when_another_thread_sends_the_signal) {
  tau::signal_stream usr1(SIGUSR1);
  EXPECT_EQ(usr1.signum(), SIGUSR1);
  std::thread sender;
  bool on_loop_thread = false;
  // Nothing but the pending recv() keeps the loop alive here: without its hold,
  // block_on would report TAU_E_STALLED instead of waiting for the signal.
  tau::block_on([&]() -> tau::task<> {
    sender = std::thread([] {
      std::this_thread::sleep_for(20ms);
      kill(getpid(), SIGUSR1);
    });
    co_await usr1.recv();
    on_loop_thread = tau_on_loop_thread() != 0;
  });
  sender.join();
  EXPECT_TRUE(on_loop_thread);
}

TEST_F(signal_test, the_loop_is_held_only_while_a_recv_is_pending) {
  tau::signal_stream usr1(SIGUSR1);
  EXPECT_FALSE(loop_kept_alive());  // a watch alone does not keep the loop alive
  auto waiting = tau::spawn(recv_once(usr1));
  EXPECT_TRUE(loop_kept_alive());  // the pending recv() holds it
  EXPECT_FALSE(waiting.is_finished());
  raise(SIGUSR1);
  run_until_finished(waiting);
  EXPECT_FALSE(loop_kept_alive());  // released once the recv() completed
}

TEST_F(signal_test, aborting_a_task_waiting_for_a_signal_releases_the_loop) {
  tau::signal_stream usr1(SIGUSR1);
  auto waiting = tau::spawn(recv_once(usr1));
  EXPECT_TRUE(loop_kept_alive());
  waiting.abort();
  EXPECT_FALSE(loop_kept_alive());
  EXPECT_TRUE(waiting.is_finished());
  EXPECT_THROW(waiting.take(), tau::task_aborted);
}

TEST_F(signal_test, deliveries_before_recv_are_remembered_and_coalesce) {
  tau::signal_stream usr1(SIGUSR1);
  bool second_timed_out = false;
  tau::block_on([&]() -> tau::task<> {
    raise(SIGUSR1);
    raise(SIGUSR1);
    raise(SIGUSR1);
    co_await tau::sleep(20ms);  // the loop takes the deliveries in while nobody awaits
    co_await usr1.recv();       // completes at once
    try {
      co_await tau::timeout(30ms, recv_once(usr1));
    } catch (const tau::timed_out&) {
      second_timed_out = true;  // three deliveries completed one recv()
    }
  });
  EXPECT_TRUE(second_timed_out);
  EXPECT_FALSE(loop_kept_alive());  // the timed-out recv() let go of the loop
}

TEST_F(signal_test, every_stream_for_a_signal_gets_it) {
  tau::signal_stream first(SIGUSR2);
  tau::signal_stream second(SIGUSR2);
  auto [first_got_it, second_got_it] = tau::block_on([&]() -> tau::task<std::pair<bool, bool>> {
    auto a = tau::spawn(recv_once(first));
    auto b = tau::spawn(recv_once(second));
    co_await tau::sleep(1ms);
    raise(SIGUSR2);
    for (int i = 0; i < 100 && !(a.is_finished() && b.is_finished()); ++i) co_await tau::sleep(10ms);
    std::pair<bool, bool> got{a.is_finished(), b.is_finished()};
    a.abort();  // a stream that missed the signal would hold the loop for ever
    b.abort();
    co_return got;
  });
  EXPECT_TRUE(first_got_it);
  EXPECT_TRUE(second_got_it);
}

TEST_F(signal_test, a_moved_stream_keeps_watching) {
  tau::signal_stream original(SIGUSR1);
  raise(SIGUSR1);
  tau::signal_stream moved = std::move(original);
  int received = tau::block_on([&]() -> tau::task<int> {
    int n = 0;
    try {
      co_await tau::timeout(1s, recv_once(moved));  // the delivery raised before the move
      ++n;
      raise(SIGUSR1);
      co_await tau::timeout(1s, recv_once(moved));  // and one raised after it
      ++n;
    } catch (const tau::timed_out&) {
    }
    co_return n;
  });
  EXPECT_EQ(received, 2);
}

TEST_F(signal_test, a_second_task_awaiting_the_same_stream_is_an_error) {
  tau::signal_stream usr1(SIGUSR1);
  std::string second = tau::block_on([&]() -> tau::task<std::string> {
    auto first = tau::spawn(recv_once(usr1));
    co_await tau::sleep(1ms);
    std::string outcome = "no error";
    try {
      co_await usr1.recv();
    } catch (const std::logic_error&) {
      outcome = "logic_error";
    }
    raise(SIGUSR1);
    co_await first;
    co_return outcome;
  });
  EXPECT_EQ(second, "logic_error");
  EXPECT_FALSE(loop_kept_alive());  // the failed await took no hold
}

TEST_F(signal_test, ctrl_c_completes_on_sigint) {
  auto interrupted = tau::spawn(tau::ctrl_c());
  EXPECT_TRUE(loop_kept_alive());  // ctrl_c() is watching and waiting
  raise(SIGINT);
  run_until_finished(interrupted);
  EXPECT_NO_THROW(interrupted.take());
  EXPECT_FALSE(loop_kept_alive());
}

TEST_F(signal_test, a_signal_that_cannot_be_watched_throws) {
  try {
    tau::signal_stream bad(0);
    FAIL() << "constructed";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.code(), std::errc::invalid_argument) << e.what();
    EXPECT_EQ(e.tau_code(), -EINVAL);
  }
}
