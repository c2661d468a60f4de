// Tests of timer.cpp (the C ABI) and time.hpp (sleep, sleep_until, timeout, timeout_at,
// interval).
#include <chrono>
#include <string>
#include <vector>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"

using namespace std::chrono_literals;
using timer_test = runtime_test;
using steady = std::chrono::steady_clock;

TEST_F(timer_test, one_shot_timers_fire_in_deadline_order) {
  std::vector<int> order;
  struct entry {
    std::vector<int>* order;
    int id;
    tau_timer_t* timer = nullptr;
  };
  std::vector<entry> entries{{&order, 30}, {&order, 10}, {&order, 20}};
  for (auto& e : entries)
    ASSERT_EQ(tau_timer_start(&e.timer, e.id, 0,
                              [](void* ctx) {
                                auto* e = static_cast<entry*>(ctx);
                                EXPECT_TRUE(tau_on_loop_thread());
                                e->order->push_back(e->id);
                              },
                              &e),
              0);
  tau::detail::runtime_run();
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
  for (auto& e : entries) tau_timer_stop(e.timer);
}

TEST_F(timer_test, repeating_timer_fires_until_stopped) {
  struct counter {
    int fired = 0;
    tau_timer_t* timer = nullptr;
  } c;
  ASSERT_EQ(tau_timer_start(&c.timer, 1, 1,
                            [](void* ctx) {
                              auto* c = static_cast<counter*>(ctx);
                              if (++c->fired == 5) tau_timer_stop(c->timer);
                            },
                            &c),
            0);
  tau::detail::runtime_run();
  EXPECT_EQ(c.fired, 5);
}

TEST_F(timer_test, stopped_timer_never_fires) {
  int fired = 0;
  tau_timer_t* timer = nullptr;
  ASSERT_EQ(tau_timer_start(&timer, 1, 0, [](void* ctx) { ++*static_cast<int*>(ctx); }, &fired), 0);
  tau_timer_stop(timer);
  tau::detail::runtime_run();
  EXPECT_EQ(fired, 0);
}

TEST_F(timer_test, restart_moves_the_deadline) {
  struct state {
    tau_timer_t* timer = nullptr;
    steady::time_point fired_at;
  } s;
  ASSERT_EQ(tau_timer_start(&s.timer, 1000, 0,
                            [](void* ctx) { static_cast<state*>(ctx)->fired_at = steady::now(); }, &s),
            0);
  auto start = steady::now();
  ASSERT_EQ(tau_timer_restart(s.timer, 5, 0), 0);
  tau::detail::runtime_run();
  EXPECT_GE(s.fired_at - start, 5ms);
  EXPECT_LT(s.fired_at - start, 1000ms);  // the first deadline is gone
  tau_timer_stop(s.timer);
}

TEST_F(timer_test, sleep_waits_at_least_its_duration) {
  auto start = steady::now();
  tau::block_on([]() -> tau::task<> { co_await tau::sleep(20ms); });
  EXPECT_GE(steady::now() - start, 20ms);
}

TEST_F(timer_test, a_timer_never_fires_early_whatever_the_clock_fraction) {
  // The loop's clock is in whole milliseconds; started anywhere within one, a
  // 3 ms timer must still wait 3 ms. A 1 ms ticker wakes the loop often, so that it
  // looks at the timer soon after each millisecond boundary.
  tau_timer_t* ticker = nullptr;
  ASSERT_EQ(tau_timer_start(&ticker, 1, 1, [](void*) {}, nullptr), 0);
  for (int i = 0; i < 30; ++i) {
    struct probe {
      steady::time_point start = steady::now();
      steady::duration waited{};
    } p;
    tau_timer_t* t = nullptr;
    ASSERT_EQ(tau_timer_start(&t, 3, 0, [](void* ctx) {
      auto* p = static_cast<probe*>(ctx);
      p->waited = steady::now() - p->start;
    }, &p), 0);
    while (p.waited == steady::duration{}) tau::detail::runtime_run_once();
    tau_timer_stop(t);
    EXPECT_GE(p.waited, 3ms) << "round " << i;
  }
  tau_timer_stop(ticker);
}

TEST_F(timer_test, sleep_until_a_past_deadline_returns_promptly) {
  auto start = steady::now();
  tau::block_on([]() -> tau::task<> { co_await tau::sleep_until(steady::now() - 1s); });
  EXPECT_LT(steady::now() - start, 1s);
}

TEST_F(timer_test, sleeping_tasks_interleave) {
  // Absolute deadlines 10 ms apart: a late loop fires due timers in deadline
  // order, so the order holds on a loaded machine too.
  std::string trace;
  auto start = steady::now();
  tau::block_on([&]() -> tau::task<> {
    auto ticker = [&](char c, std::vector<int> at_ms) -> tau::task<> {
      for (int ms : at_ms) {
        co_await tau::sleep_until(start + std::chrono::milliseconds(ms));
        trace += c;
      }
    };
    auto a = tau::spawn([&] { return ticker('a', {20, 40, 60}); });
    auto b = tau::spawn([&] { return ticker('b', {30, 70, 110}); });
    co_await a;
    co_await b;
  });
  EXPECT_EQ(trace, "abaabb");
}

TEST_F(timer_test, timeout_returns_the_value_of_a_fast_task) {
  int v = tau::block_on([]() -> tau::task<int> {
    co_return co_await tau::timeout(1s, []() -> tau::task<int> {
      co_await tau::sleep(1ms);
      co_return 7;
    }());
  });
  EXPECT_EQ(v, 7);
}

TEST_F(timer_test, timeout_aborts_a_slow_task_and_throws) {
  bool slow_finished = false;
  auto slow = [&]() -> tau::task<int> {
    co_await tau::sleep(10s);
    slow_finished = true;
    co_return 1;
  };
  auto start = steady::now();
  EXPECT_THROW(tau::block_on([&]() -> tau::task<int> { co_return co_await tau::timeout(10ms, slow()); }),
               tau::timed_out);
  EXPECT_LT(steady::now() - start, 5s);
  tau::detail::runtime_run();  // the abort of the inner task completes on a later iteration
  EXPECT_FALSE(slow_finished);
  EXPECT_EQ(tau_task_running_count(), 0u);
}

TEST_F(timer_test, interval_ticks_at_once_then_every_period) {
  std::vector<steady::time_point> ticks;
  tau::block_on([&]() -> tau::task<> {
    tau::interval every(10ms);
    for (int i = 0; i < 4; ++i) {
      co_await every.tick();
      ticks.push_back(steady::now());
    }
  });
  ASSERT_EQ(ticks.size(), 4u);
  EXPECT_LT(ticks[1] - ticks[0], 1s);
  EXPECT_GE(ticks[3] - ticks[0], 25ms);  // three periods, allowing libuv's ms rounding
}

TEST_F(timer_test, timeout_works_for_void_tasks) {
  bool ran = false;
  tau::block_on([&]() -> tau::task<> {
    co_await tau::timeout(1s, [&]() -> tau::task<> {
      ran = true;
      co_return;
    }());
  });
  EXPECT_TRUE(ran);
}

TEST_F(timer_test, timeout_at_returns_the_value_of_a_task_done_before_the_deadline) {
  int v = tau::block_on([]() -> tau::task<int> {
    co_return co_await tau::timeout_at(steady::now() + 10s, []() -> tau::task<int> {
      co_await tau::sleep(1ms);
      co_return 7;
    }());
  });
  EXPECT_EQ(v, 7);
}

TEST_F(timer_test, timeout_at_aborts_a_task_still_running_at_the_deadline_and_throws) {
  bool slow_finished = false;
  auto slow = [&]() -> tau::task<> {
    co_await tau::sleep(10s);
    slow_finished = true;
  };
  EXPECT_THROW(
      tau::block_on([&]() -> tau::task<> { co_await tau::timeout_at(steady::now() + 10ms, slow()); }),
      tau::timed_out);
  tau::detail::runtime_run();  // the abort of the inner task completes on a later iteration
  EXPECT_FALSE(slow_finished);
  EXPECT_EQ(tau_task_running_count(), 0u);
}

TEST_F(timer_test, timeout_at_never_reports_a_timeout_before_its_deadline) {
  steady::time_point deadline;
  steady::time_point caught;
  tau::block_on([&]() -> tau::task<> {
    deadline = steady::now() + 20ms;
    try {
      co_await tau::timeout_at(deadline, []() -> tau::task<> { co_await tau::sleep(10s); }());
    } catch (const tau::timed_out&) {
      caught = steady::now();
    }
  });
  EXPECT_GE(caught, deadline);  // a lower bound only: however slow the machine, never early
}

TEST_F(timer_test, timeout_at_a_deadline_already_past_times_out_a_waiting_task) {
  std::vector<std::string> trace;
  EXPECT_THROW(tau::block_on([&]() -> tau::task<> {
                 co_await tau::timeout_at(steady::now() - 1s, [&]() -> tau::task<> {
                   trace.push_back("started");
                   co_await tau::sleep(10s);
                   trace.push_back("finished");
                 }());
               }),
               tau::timed_out);
  tau::detail::runtime_run();
  EXPECT_EQ(trace, (std::vector<std::string>{"started"}));
}

TEST_F(timer_test, timeout_at_an_unreachable_deadline_waits_for_the_task) {
  int v = tau::block_on([]() -> tau::task<int> {
    co_return co_await tau::timeout_at(steady::time_point::max(), []() -> tau::task<int> {
      co_await tau::sleep(1ms);
      co_return 3;
    }());
  });
  EXPECT_EQ(v, 3);
  int w = tau::block_on([]() -> tau::task<int> {
    co_return co_await tau::timeout(std::chrono::hours::max(), []() -> tau::task<int> { co_return 4; }());
  });
  EXPECT_EQ(w, 4);
}
