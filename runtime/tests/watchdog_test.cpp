// Tests of watchdog.cpp: plugin code that keeps the loop thread is reported with its
// plugin and hook; a loop that waits for events, or host code, is not.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

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

// Entries of /proc/DIR other than . and ..
size_t entries(const std::string& dir) {
  size_t n = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

// Live processes named tau:watchdog whose parent is this process.
std::vector<pid_t> watchdog_processes() {
  std::vector<pid_t> found;
  DIR* proc = opendir("/proc");
  while (dirent* e = proc != nullptr ? readdir(proc) : nullptr) {
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string comm, state;
    pid_t pid = 0;
    long parent = 0;
    // Fields: pid (comm) state ppid; the name has no blanks here.
    if (stat >> pid >> comm >> state >> parent && comm == "(tau:watchdog)" && state != "Z" && parent == getpid())
      found.push_back(pid);
  }
  if (proc != nullptr) closedir(proc);
  return found;
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

// A process, not a thread: a host with one thread keeps glibc's single-threaded
// paths for its plugins. The report above named a plugin registered after the fork.
TEST_F(watchdog_test, is_a_process_of_its_own_that_stop_ends) {
  EXPECT_EQ(watchdog_processes().size(), 1u);
  std::string written = stop();
  EXPECT_EQ(watchdog_processes().size(), 0u);  // ended and reaped
  size_t threads = entries("/proc/self/task");
  watchdog_start(period_ms);
  EXPECT_EQ(watchdog_processes().size(), 1u);
  EXPECT_EQ(entries("/proc/self/task"), threads);
  watchdog_stop();
  EXPECT_EQ(watchdog_processes().size(), 0u);
  EXPECT_EQ(written, "");
}

// Telling a watchdog that was killed to end raises no SIGPIPE in the host.
TEST_F(watchdog_test, stopping_one_that_died_is_harmless) {
  std::vector<pid_t> watchdogs = watchdog_processes();
  ASSERT_EQ(watchdogs.size(), 1u);
  ASSERT_EQ(kill(watchdogs[0], SIGKILL), 0);
  // Dead (a zombie until stop reaps it), and its end of the socket closed.
  while (!watchdog_processes().empty()) {
  }
  EXPECT_EQ(stop(), "");
  EXPECT_EQ(watchdog_processes().size(), 0u);
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
