// Tests of notify.hpp: notify_one and its stored permit, notify_waiters, deferred
// waking and notified tasks aborted before they resume.
#include <string>
#include <vector>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"
#include "yield_now.hpp"

using notify_test = runtime_test;

namespace {

// Awaits an awaiter made elsewhere (a parameter: GCC 12 copies one captured by a
// coroutine lambda), then says so in trace.
template <class Awaiter>
tau::task<> await_then_record(Awaiter& awaiter, std::vector<std::string>& trace) {
  co_await awaiter;
  trace.push_back("completed");
}

}  // namespace

TEST_F(notify_test, notify_one_wakes_the_longest_waiting_task_later) {
  tau::notify n;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    tau::join_set<void> waiters;
    for (int i = 1; i <= 3; ++i) {
      waiters.spawn([&, i]() -> tau::task<> {
        co_await n.notified();
        EXPECT_TRUE(tau_on_loop_thread());
        trace.push_back("woke " + std::to_string(i));
      });
      co_await yield_now{};
    }
    n.notify_one();
    trace.push_back("notified");
    co_await yield_now{};
    n.notify_one();
    n.notify_one();
    while (co_await waiters.join_next()) {
    }
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"notified", "woke 1", "woke 2", "woke 3"}));
}

TEST_F(notify_test, notify_one_without_a_waiter_stores_one_permit) {
  tau::notify n;
  n.notify_one();
  n.notify_one();  // still one permit
  int passed = tau::block_on([&]() -> tau::task<int> {
    co_await n.notified();  // takes the permit without suspending
    auto second = tau::spawn([&]() -> tau::task<> { co_await n.notified(); });
    co_await yield_now{};
    co_await yield_now{};
    int count = second.is_finished() ? 2 : 1;
    n.notify_one();
    co_await second;
    co_return count;
  });
  EXPECT_EQ(passed, 1);
}

TEST_F(notify_test, notify_waiters_wakes_everyone_waiting_and_stores_nothing) {
  tau::notify n;
  int woken = 0;
  bool late_finished = true;
  tau::block_on([&]() -> tau::task<> {
    tau::join_set<void> waiters;
    for (int i = 0; i < 3; ++i)
      waiters.spawn([&]() -> tau::task<> {
        co_await n.notified();
        ++woken;
      });
    co_await yield_now{};
    n.notify_waiters();
    while (co_await waiters.join_next()) {
    }
    auto late = tau::spawn([&]() -> tau::task<> { co_await n.notified(); });
    co_await yield_now{};
    co_await yield_now{};
    late_finished = late.is_finished();
    n.notify_one();
    co_await late;
  });
  EXPECT_EQ(woken, 3);
  EXPECT_FALSE(late_finished);
}

TEST_F(notify_test, a_notified_created_before_notify_waiters_completes) {
  tau::notify n;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto pending = n.notified();
    n.notify_waiters();
    // As in tokio: pending counts from its creation, not from its first await.
    auto waiter = tau::spawn(await_then_record(pending, trace));
    co_await yield_now{};
    co_await yield_now{};
    trace.push_back("yielded");
    n.notify_one();  // wakes the waiter if it still waits, so that the test ends either way
    co_await waiter;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"completed", "yielded"}));
}

TEST_F(notify_test, a_task_aborted_after_notify_one_chose_it_passes_the_notification_on) {
  tau::notify n;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto first = tau::spawn([&]() -> tau::task<> {
      co_await n.notified();
      trace.push_back("first");
    });
    co_await yield_now{};
    auto second = tau::spawn([&]() -> tau::task<> {
      co_await n.notified();
      trace.push_back("second");
    });
    co_await yield_now{};
    first.abort();   // runs before the resumption notify_one posts
    n.notify_one();  // chooses first
    EXPECT_THROW(co_await first, tau::task_aborted);
    co_await second;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"second"}));
}

TEST_F(notify_test, a_notification_passed_on_with_nobody_waiting_becomes_the_permit) {
  tau::notify n;
  bool took_permit = false;
  tau::block_on([&]() -> tau::task<> {
    auto only = tau::spawn([&]() -> tau::task<> { co_await n.notified(); });
    co_await yield_now{};
    only.abort();
    n.notify_one();
    EXPECT_THROW(co_await only, tau::task_aborted);
    auto next = tau::spawn([&]() -> tau::task<> { co_await n.notified(); });
    co_await yield_now{};
    took_permit = next.is_finished();
    co_await next;
  });
  EXPECT_TRUE(took_permit);
}

TEST_F(notify_test, an_aborted_waiter_is_not_notified) {
  tau::notify n;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto first = tau::spawn([&]() -> tau::task<> {
      co_await n.notified();
      trace.push_back("first");
    });
    auto second = tau::spawn([&]() -> tau::task<> {
      co_await n.notified();
      trace.push_back("second");
    });
    co_await yield_now{};
    first.abort();
    EXPECT_THROW(co_await first, tau::task_aborted);
    n.notify_one();
    co_await second;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"second"}));
}

TEST_F(notify_test, waiting_for_a_notification_nobody_sends_is_stalled) {
  tau::notify n;
  try {
    tau::block_on([&]() -> tau::task<> { co_await n.notified(); });
    FAIL() << "block_on returned";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.tau_code(), TAU_E_STALLED);
  }
  tau::detail::runtime_run();  // the abort block_on requested, while n still exists
  n.notify_one();              // no stale waiter left: it becomes the permit
  tau::block_on([&]() -> tau::task<> { co_await n.notified(); });
}
