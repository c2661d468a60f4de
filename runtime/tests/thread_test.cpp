// Tests of thread.cpp (tau_thread_spawn) and blocking.hpp's spawn_thread.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"

using namespace std::chrono_literals;
using thread_test = runtime_test;

TEST_F(thread_test, runs_off_the_loop_and_is_joined_on_it) {
  struct job {
    std::thread::id loop_thread = std::this_thread::get_id();
    std::thread::id thread;
    bool done_on_loop = false;
    int status = 1;
    size_t running_in_done = 99;
  } j;
  ASSERT_EQ(tau_thread_spawn([](void* ctx) { static_cast<job*>(ctx)->thread = std::this_thread::get_id(); },
                             [](void* ctx, int status) {
                               auto* j = static_cast<job*>(ctx);
                               j->done_on_loop =
                                   tau_on_loop_thread() && std::this_thread::get_id() == j->loop_thread;
                               j->status = status;
                               j->running_in_done = tau_thread_running_count();
                             },
                             &j),
            0);
  EXPECT_EQ(tau_thread_running_count(), 1u);
  tau::detail::runtime_run();  // the running thread keeps the loop alive
  EXPECT_NE(j.thread, j.loop_thread);
  EXPECT_NE(j.thread, std::thread::id{});
  EXPECT_TRUE(j.done_on_loop);
  EXPECT_EQ(j.status, 0);
  EXPECT_EQ(j.running_in_done, 0u);
}

TEST_F(thread_test, a_thread_that_blocks_keeps_the_loop_alive_while_timers_run) {
  std::atomic<bool> release{false};
  int ticks = 0;
  tau_timer_t* timer = nullptr;
  struct tick_ctx {
    int* ticks;
    std::atomic<bool>* release;
  } t{&ticks, &release};
  tau_timer_start(
      &timer, 1, 1,
      [](void* ctx) {
        auto* t = static_cast<tick_ctx*>(ctx);
        if (++*t->ticks == 5) t->release->store(true);
      },
      &t);
  struct waiter {
    std::atomic<bool>* release;
    bool saw_release = false;
  } w{&release};
  ASSERT_EQ(tau_thread_spawn(
                [](void* ctx) {
                  auto* w = static_cast<waiter*>(ctx);
                  while (!w->release->load()) std::this_thread::sleep_for(1ms);
                  w->saw_release = true;
                },
                [](void*, int) {}, &w),
            0);
  // The thread blocks until the loop ticked 5 times: the loop was not blocked.
  while (tau_thread_running_count() > 0) tau::detail::runtime_run_once();
  tau_timer_stop(timer);
  EXPECT_TRUE(w.saw_release);
  EXPECT_GE(ticks, 5);
}

TEST_F(thread_test, a_throwing_thread_completes_with_threw) {
  int status = 0;
  ASSERT_EQ(tau_thread_spawn([](void*) { throw std::runtime_error("boom"); },
                             [](void* ctx, int s) { *static_cast<int*>(ctx) = s; }, &status),
            0);
  tau::detail::runtime_run();
  EXPECT_EQ(status, TAU_E_THREW);
  EXPECT_EQ(tau::detail::failure_count(tau::detail::host_owner), 1u);
}

TEST_F(thread_test, spawn_thread_joins_with_the_value_and_rethrows) {
  auto loop_thread = std::this_thread::get_id();
  auto thread = tau::block_on([]() -> tau::task<std::thread::id> {
    auto handle = tau::spawn_thread([] { return std::this_thread::get_id(); });
    co_return co_await handle;
  });
  EXPECT_NE(thread, loop_thread);
  bool threw = false;
  tau::block_on([&]() -> tau::task<> {
    auto handle = tau::spawn_thread([]() -> int { throw std::logic_error("from the thread"); });
    try {
      co_await handle;
    } catch (const std::logic_error& e) {
      threw = std::string(e.what()) == "from the thread";
    }
  });
  EXPECT_TRUE(threw);
}

TEST_F(thread_test, a_thread_belongs_to_the_plugin_that_spawned_it) {
  auto owner = tau::detail::register_owner("/some/where/libexample.so");
  struct probe {
    tau::detail::owner_id owner = 0;
    char name[16] = {};
  } p;
  {
    tau::detail::owner_scope scope(owner);
    ASSERT_EQ(tau_thread_spawn(
                  [](void* ctx) {
                    auto* p = static_cast<probe*>(ctx);
                    p->owner = tau::detail::current_owner();
                    pthread_getname_np(pthread_self(), p->name, sizeof p->name);
                  },
                  nullptr, &p),
              0);
  }
  tau::detail::runtime_run();
  EXPECT_EQ(p.owner, owner);
  EXPECT_STREQ(p.name, "tau:example");
}

TEST_F(thread_test, join_plugin_threads_gives_up_after_the_grace_period) {
  std::atomic<bool> release{false};
  ASSERT_EQ(tau_thread_spawn(
                [](void* ctx) {
                  while (!static_cast<std::atomic<bool>*>(ctx)->load()) std::this_thread::sleep_for(1ms);
                },
                nullptr, &release),
            0);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(tau::detail::join_plugin_threads(50));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_EQ(tau::detail::running_thread_owners().size(), 1u);
  release.store(true);
  EXPECT_TRUE(tau::detail::join_plugin_threads(60000));
  EXPECT_TRUE(tau::detail::running_thread_owners().empty());
}

TEST_F(thread_test, only_the_loop_thread_spawns) {
  int rc = 0;
  std::thread other([&] { rc = tau_thread_spawn([](void*) {}, nullptr, nullptr); });
  other.join();
  EXPECT_EQ(rc, TAU_E_WRONG_THREAD);
}
