// Tests of watchdog.cpp: plugin code that keeps the loop thread is reported with its
// plugin and hook; a loop that waits for events, or host code, is not.
#include <chrono>
#include <string>

#include "runtime_fixture.hpp"
#include "tau/tau.h"

using namespace std::chrono_literals;
using namespace tau::detail;

namespace {

constexpr uint64_t period_ms = 20;

class watchdog_test : public runtime_test {
 protected:
  void SetUp() override {
    runtime_test::SetUp();
    ::testing::internal::CaptureStderr();
    watchdog_start(period_ms);
  }
  // What the watchdog wrote.
  std::string stop() {
    watchdog_stop();
    return ::testing::internal::GetCapturedStderr();
  }
};

// Spins until the watchdog finds the loop stuck (or a hang guard ends it).
running_code spin_until_reported() {
  auto give_up = std::chrono::steady_clock::now() + 60s;
  running_code stuck;
  while (!loop_stuck(stuck) && std::chrono::steady_clock::now() < give_up) {
  }
  return stuck;
}

void spin_for(std::chrono::milliseconds duration) {
  auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
  }
}

}  // namespace

TEST_F(watchdog_test, reports_the_plugin_and_hook_that_keep_the_loop) {
  owner_id plugin = register_owner("libstuck.so");
  running_code stuck;
  guarded_call(plugin, "process", [&] { stuck = spin_until_reported(); });
  EXPECT_EQ(stuck.owner, plugin);
  EXPECT_STREQ(stuck.what, "process");
  running_code after;
  EXPECT_FALSE(loop_stuck(after));  // it returned to the loop
  EXPECT_NE(stop().find("tau: plugin 'libstuck.so' has been running its process hook for 0.02 s without "
                        "returning to the loop (a busy loop or a blocking call?)\n"),
            std::string::npos);
}

TEST_F(watchdog_test, names_the_innermost_callback) {
  owner_id plugin = register_owner("libnested.so");
  running_code stuck;
  guarded_call(plugin, "process", [&] {
    tau_post([](void* ctx) { *static_cast<running_code*>(ctx) = spin_until_reported(); }, &stuck);
    tau_block_on([](void* ctx) { return static_cast<running_code*>(ctx)->what != nullptr ? 1 : 0; }, &stuck);
  });
  EXPECT_EQ(stuck.owner, plugin);
  EXPECT_STREQ(stuck.what, "posted callback");
  EXPECT_NE(stop().find("plugin 'libnested.so' has been running a posted callback for"), std::string::npos);
}

TEST_F(watchdog_test, a_hook_waiting_on_the_loop_is_not_stuck) {
  owner_id plugin = register_owner("libwaits.so");
  guarded_call(plugin, "process", [&] {
    bool fired = false;
    tau_timer_t* timer = nullptr;
    tau_timer_start(&timer, 10 * period_ms, 0, [](void* ctx) { *static_cast<bool*>(ctx) = true; }, &fired);
    tau_block_on([](void* ctx) { return *static_cast<bool*>(ctx) ? 1 : 0; }, &fired);
    tau_timer_stop(timer);
  });
  EXPECT_EQ(stop(), "");
}

TEST_F(watchdog_test, host_code_is_not_reported) {
  guarded_call(host_owner, "posted callback", [] { spin_for(std::chrono::milliseconds(5 * period_ms)); });
  EXPECT_EQ(stop(), "");
}
