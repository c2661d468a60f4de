// Exception containment: an exception escaping plugin code fails that code's task
// or is reported against its owner; it never crosses the C ABI or ends the host.
#include <stdexcept>

#include "runtime_fixture.hpp"
#include "tau/tau.hpp"

using exception_test = runtime_test;
using tau::detail::failure_count;
using tau::detail::host_owner;

TEST_F(exception_test, throwing_posted_callback_is_reported_and_the_loop_goes_on) {
  bool later_ran = false;
  tau_post([](void*) { throw std::runtime_error("posted boom"); }, nullptr);
  tau_post([](void* ctx) { *static_cast<bool*>(ctx) = true; }, &later_ran);
  tau::detail::runtime_run();
  EXPECT_TRUE(later_ran);
  EXPECT_EQ(failure_count(host_owner), 1u);
}

TEST_F(exception_test, throwing_timer_callback_is_reported) {
  tau_timer_t* timer = nullptr;
  ASSERT_EQ(tau_timer_start(&timer, 1, 0, [](void*) { throw 42; }, nullptr), 0);
  tau::detail::runtime_run();
  EXPECT_EQ(failure_count(host_owner), 1u);
  tau_timer_stop(timer);
}

TEST_F(exception_test, throwing_c_task_fails_the_task) {
  tau_task_id id = tau_spawn([](void*) { throw std::runtime_error("c task boom"); }, nullptr);
  struct joined {
    int status = 0;
    std::string error;
  } j;
  ASSERT_EQ(tau_task_join(id,
                          [](void* ctx, tau_task_id, int status, const char* error) {
                            auto* j = static_cast<joined*>(ctx);
                            j->status = status;
                            j->error = error;
                          },
                          &j),
            0);
  tau::detail::runtime_run();
  EXPECT_EQ(j.status, TAU_TASK_FAILED);
  EXPECT_EQ(tau_task_status(id), TAU_TASK_FAILED);
}

TEST_F(exception_test, failure_is_attributed_to_the_owner_that_registered) {
  auto plugin = tau::detail::register_owner("some-plugin");
  {
    tau::detail::owner_scope as_plugin(plugin);
    tau_post([](void*) { throw std::runtime_error("plugin boom"); }, nullptr);
  }
  tau::detail::runtime_run();
  EXPECT_EQ(failure_count(plugin), 1u);
  EXPECT_EQ(failure_count(host_owner), 0u);
}

TEST_F(exception_test, coroutine_exception_goes_to_the_joiner_not_the_runtime) {
  auto result = tau::block_on([]() -> tau::task<std::string> {
    auto h = tau::spawn([]() -> tau::task<int> {
      co_await tau::sleep(std::chrono::milliseconds(1));
      throw std::out_of_range("deep");
    });
    try {
      co_await h;
    } catch (const std::out_of_range& e) {
      co_return e.what();
    }
    co_return "";
  });
  EXPECT_EQ(result, "deep");
  EXPECT_EQ(failure_count(host_owner), 0u);
}
