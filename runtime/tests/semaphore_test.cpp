// Tests of semaphore.hpp: permits, FIFO service of waiters (large requests are not
// overtaken), try_acquire, deferred waking and waiters aborted mid-wait.
#include <chrono>
#include <string>
#include <vector>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"
#include "yield_now.hpp"

using namespace std::chrono_literals;

using semaphore_test = runtime_test;

TEST_F(semaphore_test, at_most_the_permit_count_run_at_once) {
  tau::semaphore slots(2);
  int inside = 0, most_inside = 0;
  tau::block_on([&]() -> tau::task<> {
    tau::join_set<void> workers;
    for (int i = 0; i < 6; ++i)
      workers.spawn([&]() -> tau::task<> {
        auto permit = co_await slots.acquire();
        ++inside;
        most_inside = std::max(most_inside, inside);
        co_await tau::sleep(2ms);
        --inside;
      });
    while (co_await workers.join_next()) {
    }
  });
  EXPECT_EQ(most_inside, 2);
  EXPECT_EQ(slots.available_permits(), 2u);
}

TEST_F(semaphore_test, try_acquire_and_permit_release) {
  tau::semaphore s(3);
  auto two = s.try_acquire(2);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->count(), 2u);
  EXPECT_EQ(s.available_permits(), 1u);
  EXPECT_FALSE(s.try_acquire(2));
  {
    auto one = s.try_acquire();
    ASSERT_TRUE(one);
    EXPECT_EQ(s.available_permits(), 0u);
  }
  EXPECT_EQ(s.available_permits(), 1u);
  two->release();
  EXPECT_EQ(s.available_permits(), 3u);
  s.try_acquire(1)->forget();
  EXPECT_EQ(s.available_permits(), 2u);
  s.add_permits(1);
  EXPECT_EQ(s.available_permits(), 3u);
}

TEST_F(semaphore_test, a_large_request_is_not_overtaken_by_later_small_ones) {
  tau::semaphore s(2);
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto a = co_await s.acquire();
    auto b = co_await s.acquire();
    auto big = tau::spawn([&]() -> tau::task<> {
      auto p = co_await s.acquire(2);
      EXPECT_TRUE(tau_on_loop_thread());
      trace.push_back("big");
    });
    co_await yield_now{};
    auto small = tau::spawn([&]() -> tau::task<> {
      auto p = co_await s.acquire(1);
      trace.push_back("small");
    });
    co_await yield_now{};
    a.release();  // one permit: enough for small, but big is first in line
    for (int i = 0; i < 3; ++i) co_await yield_now{};
    EXPECT_TRUE(trace.empty());
    EXPECT_EQ(s.available_permits(), 1u);
    EXPECT_FALSE(s.try_acquire(1));  // no jumping the queue either
    b.release();
    trace.push_back("released");  // granting is deferred: big has not run yet
    co_await big;
    co_await small;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"released", "big", "small"}));
  EXPECT_EQ(s.available_permits(), 2u);
}

TEST_F(semaphore_test, aborting_the_front_waiter_lets_the_ones_behind_it_through) {
  tau::semaphore s(1);
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await s.acquire();
    auto big = tau::spawn([&]() -> tau::task<> {
      auto p = co_await s.acquire(2);
      trace.push_back("big");
    });
    co_await yield_now{};
    auto small = tau::spawn([&]() -> tau::task<> {
      auto p = co_await s.acquire(1);
      trace.push_back("small");
    });
    co_await yield_now{};
    held.release();  // big still needs 2 of 1, so small waits behind it
    co_await yield_now{};
    EXPECT_TRUE(trace.empty());
    big.abort();
    EXPECT_THROW(co_await big, tau::task_aborted);
    co_await small;
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"small"}));
  EXPECT_EQ(s.available_permits(), 1u);
}

TEST_F(semaphore_test, permits_granted_to_an_aborted_waiter_come_back) {
  tau::semaphore s(2);
  std::vector<std::string> trace;
  tau::block_on([&]() -> tau::task<> {
    auto held = co_await s.acquire(2);
    auto first = tau::spawn([&]() -> tau::task<> {
      auto p = co_await s.acquire(2);
      trace.push_back("first");
    });
    co_await yield_now{};
    auto second = tau::spawn([&]() -> tau::task<> {
      auto p = co_await s.acquire(2);
      trace.push_back("second");
    });
    co_await yield_now{};
    first.abort();   // runs before the resumption the release posts
    held.release();  // grants both permits to first
    EXPECT_EQ(s.available_permits(), 0u);
    EXPECT_THROW(co_await first, tau::task_aborted);
    co_await second;  // got them back from first
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"second"}));
  EXPECT_EQ(s.available_permits(), 2u);
}

TEST_F(semaphore_test, waiting_for_permits_nobody_returns_is_stalled) {
  tau::semaphore s(1);
  auto held = s.try_acquire();
  try {
    tau::block_on([&]() -> tau::task<> { auto p = co_await s.acquire(); });
    FAIL() << "block_on returned";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.tau_code(), TAU_E_STALLED);
  }
  tau::detail::runtime_run();  // the abort block_on requested, while s still exists
  held.reset();
  EXPECT_EQ(s.available_permits(), 1u);
  EXPECT_TRUE(s.try_acquire());  // the aborted waiter left no queue behind
}
