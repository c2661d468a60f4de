// Tests of timer.cpp (the C ABI) and time.hpp (sleep, sleep_until, timeout, timeout_at,
// interval).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"

using namespace std::chrono_literals;
using timer_test = runtime_test;
using steady = std::chrono::steady_clock;

namespace {

// A timer that appends its name to a trace when it fires.
struct named_timer {
  std::string* trace;
  char name;
  tau_timer_t* timer = nullptr;
  static void fire(void* ctx) {
    auto* n = static_cast<named_timer*>(ctx);
    *n->trace += n->name;
  }
};

bool loop_alive() { return uv_loop_alive(tau::detail::loop()) != 0; }

}  // namespace

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

TEST_F(timer_test, equal_timeouts_fire_in_start_order_and_a_restart_counts_as_a_new_start) {
  std::string trace;
  std::vector<named_timer> timers;
  for (char name : std::string("abcdef")) timers.push_back({&trace, name});
  for (auto& t : timers) ASSERT_EQ(tau_timer_start(&t.timer, 5, 0, named_timer::fire, &t), 0);
  ASSERT_EQ(tau_timer_restart(timers[1].timer, 5, 0), 0);
  tau::detail::runtime_run();
  EXPECT_EQ(trace, "acdefb");
  for (auto& t : timers) tau_timer_stop(t.timer);
}

TEST_F(timer_test, zero_ms_timers_started_together_fire_in_start_order_on_the_next_turn) {
  std::string trace;
  std::vector<named_timer> timers;
  for (char name : std::string("abcdefgh")) timers.push_back({&trace, name});
  for (auto& t : timers) ASSERT_EQ(tau_timer_start(&t.timer, 0, 0, named_timer::fire, &t), 0);
  tau::detail::runtime_run_once();
  EXPECT_EQ(trace, "abcdefgh");
  for (auto& t : timers) tau_timer_stop(t.timer);
}

TEST_F(timer_test, mixed_timeouts_fire_in_deadline_order_then_start_order) {
  // Started in one go: equal timeouts are equal deadlines to the millisecond.
  std::string trace;
  std::vector<named_timer> timers;
  std::vector<uint64_t> timeouts{20, 0, 10, 20, 0, 10};
  for (char name : std::string("abcdef")) timers.push_back({&trace, name});
  for (size_t i = 0; i < timers.size(); ++i)
    ASSERT_EQ(tau_timer_start(&timers[i].timer, timeouts[i], 0, named_timer::fire, &timers[i]), 0);
  tau::detail::runtime_run();
  EXPECT_EQ(trace, "becfad");
  for (auto& t : timers) tau_timer_stop(t.timer);
}

// The rule against starvation: a pass over the due timers calls back only those
// started before it began. A timer started (or restarted) by a callback fires in a
// later pass, even at 0 ms, and the loop polls for I/O and runs posted callbacks in
// between.
TEST_F(timer_test, a_timer_started_in_a_callback_waits_for_the_next_pass) {
  struct state {
    std::string trace;
    tau_timer_t* first = nullptr;
    tau_timer_t* second = nullptr;
  } s;
  ASSERT_EQ(tau_timer_start(&s.first, 0, 0,
                            [](void* ctx) {
                              auto* s = static_cast<state*>(ctx);
                              s->trace += 'A';
                              tau_timer_start(&s->second, 0, 0,
                                              [](void* ctx) { static_cast<state*>(ctx)->trace += 'B'; }, s);
                              tau_post([](void* ctx) { static_cast<state*>(ctx)->trace += 'P'; }, s);
                            },
                            &s),
            0);
  tau::detail::runtime_run();
  EXPECT_EQ(s.trace, "APB");
  tau_timer_stop(s.first);
  tau_timer_stop(s.second);
}

TEST_F(timer_test, a_timer_restarting_itself_at_0_ms_does_not_starve_io) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  struct state {
    tau_timer_t* timer = nullptr;
    tau_poll_t* poll = nullptr;
    int hops = 0;
    int hops_when_readable = -1;
  } s;
  ASSERT_EQ(tau_poll_start(&s.poll, fds[0], TAU_READABLE,
                           [](void* ctx, int, int) {
                             auto* s = static_cast<state*>(ctx);
                             s->hops_when_readable = s->hops;
                             tau_poll_update(s->poll, 0);
                           },
                           &s),
            0);
  ASSERT_EQ(tau_timer_start(&s.timer, 0, 0,
                            [](void* ctx) {
                              auto* s = static_cast<state*>(ctx);
                              // Bounded, so that a regression fails instead of hanging.
                              if (++s->hops < 100000 && s->hops_when_readable < 0) tau_timer_restart(s->timer, 0, 0);
                            },
                            &s),
            0);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  tau::detail::runtime_run();
  EXPECT_GE(s.hops_when_readable, 1);
  EXPECT_LE(s.hops_when_readable, 3);
  tau_timer_stop(s.timer);
  tau_poll_stop(s.poll);
  close(fds[0]);
  close(fds[1]);
}

TEST_F(timer_test, a_repeating_timer_ticks_while_posted_callbacks_keep_reposting) {
  struct state {
    tau_timer_t* timer = nullptr;
    int ticks = 0;
    int posts = 0;
  } s;
  ASSERT_EQ(tau_timer_start(&s.timer, 0, 1,
                            [](void* ctx) {
                              auto* s = static_cast<state*>(ctx);
                              if (++s->ticks == 5) tau_timer_stop(s->timer);
                            },
                            &s),
            0);
  struct repost {
    static void run(void* ctx) {
      auto* s = static_cast<state*>(ctx);
      ++s->posts;
      if (s->ticks < 5) tau_post(run, ctx);
    }
  };
  tau_post(repost::run, &s);
  tau::detail::runtime_run();
  EXPECT_EQ(s.ticks, 5);
  EXPECT_GT(s.posts, 5);
}

TEST_F(timer_test, a_callback_may_stop_its_own_timer_and_another_due_in_the_same_pass) {
  struct state {
    std::string trace;
    tau_timer_t* a = nullptr;
    tau_timer_t* b = nullptr;
    tau_timer_t* c = nullptr;
  } s;
  auto a = [](void* ctx) {
    auto* s = static_cast<state*>(ctx);
    s->trace += 'a';
    tau_timer_stop(s->a);  // freed once this callback returns
    tau_timer_stop(s->b);  // pending, due now or soon: it never fires
    s->b = nullptr;
  };
  auto other = [](void* ctx) { static_cast<state*>(ctx)->trace += 'x'; };
  ASSERT_EQ(tau_timer_start(&s.a, 1, 1, a, &s), 0);
  ASSERT_EQ(tau_timer_start(&s.b, 1, 0, other, &s), 0);
  ASSERT_EQ(tau_timer_start(&s.c, 3, 0, other, &s), 0);
  tau::detail::runtime_run();
  EXPECT_EQ(s.trace, "ax");
  tau_timer_stop(s.c);
}

TEST_F(timer_test, a_callback_may_restart_its_own_timer) {
  struct state {
    tau_timer_t* timer = nullptr;
    int fired = 0;
  } s;
  // A repeating timer that turns itself into a one-shot: one more, then it rests.
  ASSERT_EQ(tau_timer_start(&s.timer, 1, 1,
                            [](void* ctx) {
                              auto* s = static_cast<state*>(ctx);
                              if (++s->fired == 3) tau_timer_restart(s->timer, 2, 0);
                            },
                            &s),
            0);
  tau::detail::runtime_run();
  EXPECT_EQ(s.fired, 4);
  tau_timer_stop(s.timer);
}

TEST_F(timer_test, a_fired_one_shot_can_be_restarted_and_then_stopped) {
  int fired = 0;
  tau_timer_t* timer = nullptr;
  ASSERT_EQ(tau_timer_start(&timer, 0, 0, [](void* ctx) { ++*static_cast<int*>(ctx); }, &fired), 0);
  tau::detail::runtime_run();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(loop_alive());  // a fired one-shot keeps nothing alive
  ASSERT_EQ(tau_timer_restart(timer, 1, 0), 0);
  EXPECT_TRUE(loop_alive());
  tau::detail::runtime_run();
  EXPECT_EQ(fired, 2);
  tau_timer_stop(timer);
}

TEST_F(timer_test, the_loop_is_alive_exactly_while_a_timer_is_pending) {
  EXPECT_FALSE(loop_alive());
  tau_timer_t *a = nullptr, *b = nullptr;
  ASSERT_EQ(tau_timer_start(&a, 10000, 0, [](void*) {}, nullptr), 0);
  ASSERT_EQ(tau_timer_start(&b, 20000, 0, [](void*) {}, nullptr), 0);
  EXPECT_TRUE(loop_alive());
  tau_timer_stop(a);
  EXPECT_TRUE(loop_alive());
  tau_timer_stop(b);
  EXPECT_FALSE(loop_alive());
  // The loop must not wait for them: it has nothing left to do.
  auto start = steady::now();
  tau::detail::runtime_run();
  EXPECT_LT(steady::now() - start, 1s);
}

TEST_F(timer_test, a_timeout_too_long_for_the_clock_waits_forever_rather_than_wrapping) {
  int far_fired = 0;
  bool near_fired = false;
  tau_timer_t *far = nullptr, *near = nullptr;
  ASSERT_EQ(tau_timer_start(&far, UINT64_MAX, UINT64_MAX, [](void* ctx) { ++*static_cast<int*>(ctx); }, &far_fired),
            0);
  ASSERT_EQ(tau_timer_start(&near, 2, 0, [](void* ctx) { *static_cast<bool*>(ctx) = true; }, &near_fired), 0);
  while (!near_fired) tau::detail::runtime_run_once();
  EXPECT_EQ(far_fired, 0);
  EXPECT_TRUE(loop_alive());
  tau_timer_stop(far);
  tau_timer_stop(near);
  EXPECT_FALSE(loop_alive());
}

TEST_F(timer_test, a_throwing_callback_is_reported_against_the_timer_s_owner) {
  using namespace tau::detail;
  owner_id plugin = register_owner("thrower");
  tau_timer_t* timer = nullptr;
  {
    owner_scope scope(plugin);
    ASSERT_EQ(tau_timer_start(&timer, 0, 0,
                              [](void*) {
                                EXPECT_STREQ(current_code().what, "timer callback");
                                throw std::runtime_error("boom");
                              },
                              nullptr),
              0);
  }
  runtime_run();
  EXPECT_EQ(failure_count(plugin), 1u);
  EXPECT_EQ(failure_count(host_owner), 0u);
  tau_timer_stop(timer);
}

TEST_F(timer_test, an_owner_s_timers_pending_or_fired_are_stopped_and_named_the_others_stay) {
  using namespace tau::detail;
  owner_id leaving = register_owner("leaving");
  owner_id staying = register_owner("staying");
  int left_behind = 0, fired_once = 0, other = 0;
  tau_timer_t *repeating = nullptr, *one_shot = nullptr, *theirs = nullptr;
  auto count = [](void* ctx) { ++*static_cast<int*>(ctx); };
  {
    owner_scope scope(leaving);
    ASSERT_EQ(tau_timer_start(&one_shot, 0, 0, count, &fired_once), 0);
    runtime_run_once();
    ASSERT_EQ(tau_timer_start(&repeating, 5000, 5000, count, &left_behind), 0);
  }
  EXPECT_EQ(fired_once, 1);
  {
    owner_scope scope(staying);
    ASSERT_EQ(tau_timer_start(&theirs, 1, 1, count, &other), 0);
  }
  std::vector<const char*> stopped = stop_timers_of(leaving);
  ASSERT_EQ(stopped.size(), 2u);
  EXPECT_STREQ(stopped[0], "timer");
  EXPECT_STREQ(stopped[1], "timer");
  EXPECT_TRUE(stop_timers_of(leaving).empty());
  while (other < 3) runtime_run_once();
  tau_timer_stop(theirs);
  EXPECT_FALSE(loop_alive());  // the leaving owner's 5 s timer went with it
  EXPECT_EQ(left_behind, 0);
}

TEST_F(timer_test, timers_left_running_are_freed_with_the_runtime) {
  // Checked by AddressSanitizer's leak check: runtime_close frees them.
  tau_timer_t *pending = nullptr, *fired = nullptr;
  ASSERT_EQ(tau_timer_start(&fired, 0, 0, [](void*) {}, nullptr), 0);
  tau::detail::runtime_run_once();
  ASSERT_EQ(tau_timer_start(&pending, 60000, 0, [](void*) {}, nullptr), 0);
}
