// Tests of shutdown.cpp: shutdown watches, tau_shutting_down and tau_plugin_end.
#include <atomic>
#include <thread>
#include <vector>

#include "runtime_fixture.hpp"
#include "tau/tau.h"

using shutdown_test = runtime_test;

namespace {

struct fired {
  int count = 0;
  bool on_loop = false;
  static void cb(void* ctx) {
    auto* f = static_cast<fired*>(ctx);
    ++f->count;
    f->on_loop = tau_on_loop_thread() != 0;
  }
};

}  // namespace

TEST_F(shutdown_test, host_shutdown_fires_every_watch_once_on_the_loop_thread) {
  fired a, b;
  tau_shutdown_watch_t* wa = nullptr;
  tau_shutdown_watch_t* wb = nullptr;
  ASSERT_EQ(tau_shutdown_watch_start(&wa, fired::cb, &a), 0);
  // Registered from another thread.
  std::thread([&] { EXPECT_EQ(tau_shutdown_watch_start(&wb, fired::cb, &b), 0); }).join();
  EXPECT_EQ(tau_shutting_down(), 0);
  tau::detail::begin_shutdown();
  EXPECT_EQ(a.count, 1);
  EXPECT_EQ(b.count, 1);
  EXPECT_TRUE(a.on_loop && b.on_loop);
  EXPECT_NE(tau_shutting_down(), 0);
  tau::detail::begin_shutdown();
  EXPECT_EQ(a.count, 1);  // once
  tau_shutdown_watch_stop(wa);
  tau_shutdown_watch_stop(wb);
}

TEST_F(shutdown_test, a_stopped_watch_never_fires) {
  fired a;
  tau_shutdown_watch_t* w = nullptr;
  ASSERT_EQ(tau_shutdown_watch_start(&w, fired::cb, &a), 0);
  std::thread([&] { tau_shutdown_watch_stop(w); }).join();
  tau::detail::begin_shutdown();
  EXPECT_EQ(a.count, 0);
}

TEST_F(shutdown_test, too_late_to_watch) {
  tau::detail::begin_shutdown();
  tau_shutdown_watch_t* w = nullptr;
  fired a;
  EXPECT_EQ(tau_shutdown_watch_start(&w, fired::cb, &a), TAU_E_SHUTDOWN);
  std::atomic<int> seen{0};
  std::thread([&] { seen = tau_shutting_down(); }).join();
  EXPECT_NE(seen.load(), 0);
}

TEST_F(shutdown_test, plugin_end_fires_only_that_plugins_watches) {
  auto p1 = tau::detail::register_owner("p1");
  auto p2 = tau::detail::register_owner("p2");
  fired a, b;
  tau_shutdown_watch_t *wa = nullptr, *wb = nullptr;
  {
    tau::detail::owner_scope scope(p1);
    ASSERT_EQ(tau_shutdown_watch_start(&wa, fired::cb, &a), 0);
  }
  {
    tau::detail::owner_scope scope(p2);
    ASSERT_EQ(tau_shutdown_watch_start(&wb, fired::cb, &b), 0);
  }
  // p1's thread says its work is over; the watch fires on the loop.
  struct ender {
    std::atomic<int> after = -1;
  } e;
  {
    tau::detail::owner_scope scope(p1);
    ASSERT_EQ(tau_thread_spawn(
                  [](void* ctx) {
                    tau_plugin_end();
                    static_cast<ender*>(ctx)->after = tau_shutting_down();
                  },
                  nullptr, &e),
              0);
  }
  tau::detail::runtime_run();
  EXPECT_EQ(a.count, 1);
  EXPECT_EQ(b.count, 0);
  EXPECT_EQ(e.after.load(), 1);
  EXPECT_EQ(tau_shutting_down(), 0);  // the host (current owner: the host) goes on
  tau_shutdown_watch_stop(wa);
  tau_shutdown_watch_stop(wb);
}

TEST_F(shutdown_test, closing_the_runtime_fires_the_watches_and_posts_fail_after) {
  fired a;
  tau_shutdown_watch_t* w = nullptr;
  ASSERT_EQ(tau_shutdown_watch_start(&w, fired::cb, &a), 0);
  tau::detail::runtime_close();
  EXPECT_EQ(a.count, 1);
  EXPECT_EQ(tau_post([](void*) {}, nullptr), TAU_E_SHUTDOWN);
  std::atomic<int> rc{0};
  std::thread([&] { rc = tau_post([](void*) {}, nullptr); }).join();
  EXPECT_EQ(rc.load(), TAU_E_SHUTDOWN);
  EXPECT_NE(tau_shutting_down(), 0);
  tau::detail::runtime_init();  // for TearDown
}
