// Tests of mutex.hpp: exclusion across suspension, FIFO hand-over, try_lock, deferred
// waking and tasks aborted while waiting for the lock or just handed it.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"
#include "yield_now.hpp"

using namespace std::chrono_literals;

using mutex_test = runtime_test;

TEST_F(mutex_test, only_one_task_holds_the_lock_across_suspension) {
  tau::mutex m;
  int inside = 0, most_inside = 0;
  tau::block_on([&]() -> tau::task<> {
    tau::join_set<void> workers;
    for (int i = 0; i < 4; ++i)
      workers.spawn([&]() -> tau::task<> {
        for (int round = 0; round < 3; ++round) {
          auto guard = co_await m.lock();
          ++inside;
          most_inside = std::max(most_inside, inside);
          co_await tau::sleep(1ms);
          --inside;
        }
      });
    while (co_await workers.join_next()) {
    }
  });
  EXPECT_EQ(most_inside, 1);
  EXPECT_FALSE(m.is_locked());
}

TEST_F(mutex_test, the_lock_passes_to_waiters_in_the_order_they_came) {
  tau::mutex m;
  std::vector<int> order;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await m.lock();
    tau::join_set<void> waiters;
    for (int i = 1; i <= 4; ++i) {
      waiters.spawn([&, i]() -> tau::task<> {
        auto guard = co_await m.lock();
        EXPECT_TRUE(tau_on_loop_thread());
        order.push_back(i);
        co_await yield_now{};  // others get to run; none may overtake
      });
      co_await yield_now{};  // queue them one by one
    }
    EXPECT_FALSE(m.try_lock());  // locked: no queue jumping
    held.unlock();
    EXPECT_TRUE(m.is_locked());  // handed straight to the first waiter
    EXPECT_FALSE(m.try_lock());  // which has not run yet: still no jumping
    while (co_await waiters.join_next()) {
    }
  });
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_FALSE(m.is_locked());
}

TEST_F(mutex_test, try_lock_takes_a_free_lock_and_the_guard_releases_it) {
  tau::mutex m;
  {
    auto guard = m.try_lock();
    ASSERT_TRUE(guard);
    EXPECT_TRUE(guard->owns_lock());
    EXPECT_TRUE(m.is_locked());
    EXPECT_FALSE(m.try_lock());
    auto moved = std::move(*guard);
    EXPECT_FALSE(guard->owns_lock());
    EXPECT_TRUE(m.is_locked());
  }
  EXPECT_FALSE(m.is_locked());
}

TEST_F(mutex_test, unlock_does_not_run_the_next_holder_inline) {
  tau::mutex m;
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await m.lock();
    auto waiter = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await m.lock();
      trace.push_back("waiter locked");
    });
    co_await yield_now{};
    held.unlock();
    trace.push_back("unlocked");
    co_await waiter;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"unlocked", "waiter locked"}));
}

TEST_F(mutex_test, an_aborted_waiter_leaves_the_queue) {
  tau::mutex m;
  std::vector<int> order;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await m.lock();
    auto first = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await m.lock();
      order.push_back(1);
    });
    co_await yield_now{};
    auto second = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await m.lock();
      order.push_back(2);
    });
    co_await yield_now{};
    first.abort();
    EXPECT_THROW(co_await first, tau::task_aborted);
    held.unlock();
    co_await second;
  });
  EXPECT_EQ(order, (std::vector<int>{2}));
  EXPECT_FALSE(m.is_locked());
}

TEST_F(mutex_test, a_waiter_aborted_after_the_lock_was_handed_to_it_passes_it_on) {
  tau::mutex m;
  std::vector<int> order;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await m.lock();
    auto first = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await m.lock();
      order.push_back(1);
    });
    co_await yield_now{};
    auto second = tau::spawn([&]() -> tau::task<> {
      auto guard = co_await m.lock();
      order.push_back(2);
    });
    co_await yield_now{};
    first.abort();  // runs before the resumption the unlock posts for it
    held.unlock();  // hands the lock to first
    EXPECT_THROW(co_await first, tau::task_aborted);
    co_await second;
  });
  EXPECT_EQ(order, (std::vector<int>{2}));
  EXPECT_FALSE(m.is_locked());
}

TEST_F(mutex_test, waiting_for_a_lock_nobody_releases_is_stalled) {
  tau::mutex m;
  auto held = m.try_lock();
  try {
    tau::block_on([&]() -> tau::task<> { auto guard = co_await m.lock(); });
    FAIL() << "block_on returned";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.tau_code(), TAU_E_STALLED);
  }
  tau::detail::runtime_run();  // the abort block_on requested, while m still exists
  held.reset();
  EXPECT_FALSE(m.is_locked());
}
