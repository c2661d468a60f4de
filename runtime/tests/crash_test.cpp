// Tests of crash.cpp: a crash or exit() in plugin code is reported with one line
// naming the plugin and what it ran, and the process still ends as the fault or
// exit() says; a plugin's code is known by its library's addresses.
#include <dlfcn.h>
#include <signal.h>
#include <uv.h>

#include <cstdlib>

#include "runtime_fixture.hpp"

using namespace tau::detail;

using crash_test = runtime_test;

TEST_F(crash_test, abort_in_a_plugin_callback_names_the_plugin_and_callback) {
  owner_id plugin = register_owner("libcrashy.so");
  EXPECT_EXIT(
      {
        install_crash_reports();
        guarded_call(plugin, "timer callback", [] { std::abort(); });
      },
      ::testing::KilledBySignal(SIGABRT),
      "^tau: plugin 'libcrashy.so' crashed with SIGABRT \\(Aborted\\) in a timer callback\n$");
}

TEST_F(crash_test, abort_outside_plugin_code_is_the_hosts) {
  EXPECT_EXIT(
      {
        install_crash_reports();
        std::abort();
      },
      ::testing::KilledBySignal(SIGABRT), "^tau: crashed with SIGABRT \\(Aborted\\) in the host\n$");
}

TEST_F(crash_test, exit_in_plugin_code_is_reported_and_keeps_its_status) {
  owner_id plugin = register_owner("libquits.so");
  EXPECT_EXIT(
      {
        install_crash_reports();
        guarded_call(plugin, "process", [] { std::exit(7); });
      },
      ::testing::ExitedWithCode(7),
      "^tau: plugin 'libquits.so' called exit\\(\\) in its process hook; tau ends with the status it passed\n$");
}

TEST_F(crash_test, exit_from_the_host_says_nothing) {
  EXPECT_EXIT(
      {
        install_crash_reports();
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "^$");
}

TEST_F(crash_test, a_library_s_code_belongs_to_its_plugin_until_forgotten) {
  void* library = dlopen("libuv.so.1", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(library, nullptr);
  auto address = reinterpret_cast<uintptr_t>(dlsym(library, "uv_run"));
  owner_id plugin = register_owner("libuv-as-a-plugin.so");
  EXPECT_EQ(owner_at_address(address), host_owner);
  record_plugin_library(plugin, library);
  EXPECT_EQ(owner_at_address(address), plugin);
  EXPECT_EQ(owner_at_address(reinterpret_cast<uintptr_t>(&register_owner)), host_owner);
  forget_plugin_library(plugin);
  EXPECT_EQ(owner_at_address(address), host_owner);
  dlclose(library);
}
