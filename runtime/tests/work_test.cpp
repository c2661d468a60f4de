// Tests of work.cpp (the blocking pool) and blocking.hpp (spawn_blocking).
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"

using namespace std::chrono_literals;
using work_test = runtime_test;

TEST_F(work_test, work_runs_off_the_loop_and_completes_on_it) {
  struct job {
    std::thread::id loop_thread = std::this_thread::get_id();
    std::thread::id work_thread;
    bool done_on_loop = false;
    int status = 1;
  } j;
  ASSERT_EQ(tau_work_submit([](void* ctx) { static_cast<job*>(ctx)->work_thread = std::this_thread::get_id(); },
                            [](void* ctx, int status) {
                              auto* j = static_cast<job*>(ctx);
                              j->done_on_loop = tau_on_loop_thread() && std::this_thread::get_id() == j->loop_thread;
                              j->status = status;
                            },
                            &j),
            0);
  tau::detail::runtime_run();  // pending work keeps the loop alive
  EXPECT_NE(j.work_thread, j.loop_thread);
  EXPECT_NE(j.work_thread, std::thread::id{});
  EXPECT_TRUE(j.done_on_loop);
  EXPECT_EQ(j.status, 0);
}

TEST_F(work_test, spawn_blocking_returns_the_value) {
  auto loop_thread = std::this_thread::get_id();
  auto job_thread = tau::block_on([]() -> tau::task<std::thread::id> {
    co_return co_await tau::spawn_blocking([] { return std::this_thread::get_id(); });
  });
  EXPECT_NE(job_thread, loop_thread);
}

TEST_F(work_test, blocking_job_does_not_block_the_loop) {
  std::atomic<bool> job_done{false};
  int ticks_while_the_job_ran = 0;
  tau::block_on([&]() -> tau::task<> {
    auto job = tau::spawn_blocking([&job_done] {
      std::this_thread::sleep_for(200ms);
      job_done = true;
    });
    for (int i = 0; i < 3; ++i) {
      co_await tau::sleep(5ms);
      if (!job_done) ++ticks_while_the_job_ran;
    }
    co_await job;
  });
  EXPECT_EQ(ticks_while_the_job_ran, 3);  // the loop's timers fired while the job slept
  EXPECT_TRUE(job_done);
}

TEST_F(work_test, exception_in_blocking_job_is_rethrown_by_join) {
  EXPECT_THROW(tau::block_on([]() -> tau::task<> {
                 co_await tau::spawn_blocking([]() -> int { throw std::invalid_argument("bad job"); });
               }),
               std::invalid_argument);
}

TEST_F(work_test, aborted_blocking_job_drops_its_result) {
  std::string outcome = tau::block_on([]() -> tau::task<std::string> {
    auto job = tau::spawn_blocking([] {
      std::this_thread::sleep_for(20ms);
      return 5;
    });
    job.abort();
    try {
      co_await job;
    } catch (const tau::task_aborted&) {
      co_return "aborted";
    }
    co_return "joined";
  });
  EXPECT_EQ(outcome, "aborted");
  tau::detail::runtime_run();  // the job itself still finishes; its state is freed then
}
