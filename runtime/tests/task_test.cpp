// Tests of task.hpp: spawn, join, abort, join_set, block_on, exception containment.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"

using namespace std::chrono_literals;

using task_test = runtime_test;

TEST_F(task_test, spawn_and_join_returns_the_value) {
  auto child = []() -> tau::task<int> { co_return 41; };
  int result = tau::block_on([&]() -> tau::task<int> {
    auto h = tau::spawn(child);
    EXPECT_NE(h.task_id(), 0u);
    co_return co_await h + 1;
  });
  EXPECT_EQ(result, 42);
  EXPECT_EQ(tau_task_running_count(), 0u);
}

TEST_F(task_test, nested_tasks_await_in_order) {
  std::string trace;
  auto leaf = [&](char c) -> tau::task<> {
    trace += c;
    co_return;
  };
  tau::block_on([&]() -> tau::task<> {
    co_await leaf('a');
    co_await leaf('b');
    trace += 'c';
  });
  EXPECT_EQ(trace, "abc");
}

TEST_F(task_test, exception_in_task_is_rethrown_by_join) {
  auto failing = []() -> tau::task<int> {
    throw std::runtime_error("boom");
    co_return 0;
  };
  auto outer = [&]() -> tau::task<std::string> {
    auto h = tau::spawn(failing);
    try {
      co_await h;
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(tau::block_on(outer), "boom");
  EXPECT_EQ(tau::detail::failure_count(tau::detail::host_owner), 0u);
}

TEST_F(task_test, unjoined_failure_is_reported_not_lost) {
  tau::block_on([]() -> tau::task<> {
    tau::spawn([]() -> tau::task<> {
      throw std::logic_error("nobody joins me");
      co_return;
    });
    co_await tau::sleep(5ms);
  });
  EXPECT_EQ(tau::detail::failure_count(tau::detail::host_owner), 1u);
}

TEST_F(task_test, abort_stops_a_sleeping_task) {
  bool finished_sleep = false;
  auto outcome = tau::block_on([&]() -> tau::task<std::string> {
    auto h = tau::spawn([&]() -> tau::task<> {
      co_await tau::sleep(10s);
      finished_sleep = true;
    });
    co_await tau::sleep(1ms);
    h.abort();
    try {
      co_await h;
    } catch (const tau::task_aborted&) {
      co_return "aborted";
    }
    co_return "joined";
  });
  EXPECT_EQ(outcome, "aborted");
  EXPECT_FALSE(finished_sleep);
  EXPECT_EQ(tau_task_running_count(), 0u);
}

TEST_F(task_test, block_on_inside_the_loop_is_an_error_not_a_deadlock) {
  int code = 0;
  tau::block_on([&]() -> tau::task<> {
    try {
      tau::block_on([]() -> tau::task<> { co_return; });
    } catch (const tau::error& e) {
      code = e.tau_code();
    }
    co_return;
  });
  EXPECT_EQ(code, TAU_E_IN_LOOP);
}

TEST_F(task_test, block_on_reports_a_task_that_can_never_finish) {
  auto never = []() -> tau::task<> {
    struct forever {
      bool await_ready() { return false; }
      void await_suspend(std::coroutine_handle<>) {}
      void await_resume() {}
    };
    co_await forever{};
  };
  try {
    tau::block_on(never);
    FAIL() << "block_on returned";
  } catch (const tau::error& e) {
    EXPECT_EQ(e.tau_code(), TAU_E_STALLED);
  }
}

TEST_F(task_test, join_set_yields_in_completion_order) {
  std::vector<int> order = tau::block_on([]() -> tau::task<std::vector<int>> {
    tau::join_set<int> set;
    for (int ms : {30, 10, 20})
      set.spawn([ms]() -> tau::task<int> {
        co_await tau::sleep(std::chrono::milliseconds(ms));
        co_return ms;
      });
    std::vector<int> got;
    while (auto v = co_await set.join_next()) got.push_back(*v);
    co_return got;
  });
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
}

TEST_F(task_test, c_spawn_runs_callback_once) {
  int calls = 0;
  tau_task_id id = tau_spawn([](void* ctx) { ++*static_cast<int*>(ctx); }, &calls);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(tau_task_status(id), TAU_TASK_RUNNING);
  tau::detail::runtime_run();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(tau_task_status(id), TAU_TASK_OK);
}

TEST_F(task_test, a_finished_task_drops_its_lambda_captures) {
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  tau::block_on([&]() -> tau::task<> {
    auto h = tau::spawn([token = std::move(token)]() -> tau::task<int> { co_return *token; });
    EXPECT_EQ(co_await h, 1);
    // h is still alive, but the finished task no longer holds its captures.
    EXPECT_TRUE(watch.expired());
  });
}
