// tau_compat/adapter.hpp: turns an upstream program's main() into a tau plugin.
//
// adapter/upstream_main.cpp includes the upstream source, then this header; the
// upstream main() stays a hidden function of the plugin. process() finds this
// plugin's command line in the --input bytes and runs main on a thread of the
// plugin's own (tau_thread_spawn): its io_context::run() parks that thread while the
// handlers run on the loop, and its blocking calls (sync I/O, future.get(), join)
// block only that thread. process returns a task that completes when main returns;
// a non-zero return (or an exception) fails it, naming the code. When main has
// returned, the plugin's work is over (tau_plugin_end): threads it left parked in
// run() wake up.
//
// A plugin named in $TAU_COMPAT_MAIN_ON_LOOP (blank-separated names) runs main on
// the loop thread instead, inside process, as before there were plugin threads:
// run() then drives the shared loop from there.
//
// Input: see args.hpp. A plugin without a line gets argv = { name }.
#pragma once

#include <tau/plugin.h>
#include <tau/tau.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tau_compat/args.hpp>
#include <type_traits>
#include <vector>

#ifndef TAU_COMPAT_NAME
#error "TAU_COMPAT_NAME (the plugin's name) must be defined"
#endif

namespace tau_compat {

// Calls main(argc, argv) or main(), whichever the upstream program declares.
template <class F>
int call_main(F* upstream, int argc, char** argv) {
  if constexpr (std::is_invocable_v<F*, int, char**>)
    return upstream(argc, argv);
  else
    return upstream();
}

// One run of the upstream main: its arguments, and how it ended.
struct program {
  std::vector<std::string> args;
  std::vector<char*> argv;
  tau_task_id task = 0;
  int rc = 0;
  std::string failure;  // empty when main returned 0

  void run() {
    const char* name = TAU_COMPAT_NAME;
    std::fprintf(stderr, "tau-compat: %s: calling main with %zu argument(s)%s\n", name, args.size() - 1,
                 tau_on_loop_thread() ? " on the loop thread" : "");
    try {
      rc = call_main(&main, static_cast<int>(args.size()), argv.data());
      if (rc != 0) failure = std::string(name) + ": upstream main returned " + std::to_string(rc);
    } catch (const std::exception& e) {
      failure = std::string(name) + ": upstream main threw: " + e.what();
    } catch (...) {
      failure = std::string(name) + ": upstream main threw a non-standard exception";
    }
    std::fflush(stdout);
    std::fprintf(stderr, "tau-compat: %s: main returned %d\n", name, rc);
  }

  static void on_thread(void* ctx) {
    static_cast<program*>(ctx)->run();
    tau_plugin_end();
  }

  static void on_joined(void* ctx, int) {
    auto* p = static_cast<program*>(ctx);
    tau_task_complete(p->task, p->failure.empty() ? TAU_TASK_OK : TAU_TASK_FAILED, p->failure.c_str());
    delete p;
  }
};

inline bool main_on_loop(const char* name) {
  const char* names = std::getenv("TAU_COMPAT_MAIN_ON_LOOP");
  std::istringstream in(names != nullptr ? names : "");
  for (std::string n; in >> n;)
    if (n == name) return true;
  return false;
}

}  // namespace tau_compat

static tau_task_id tau_compat_process(const uint8_t* data, size_t len) {
  const char* name = TAU_COMPAT_NAME;
  if (!tau_on_loop_thread())
    std::fprintf(stderr, "tau-compat: %s: process called off the loop thread\n", name);
  auto* p = new tau_compat::program;
  p->args = tau_compat::arguments_for(name, std::string_view(reinterpret_cast<const char*>(data), len));
  for (std::string& a : p->args) p->argv.push_back(a.data());
  p->argv.push_back(nullptr);
  if (tau_compat::main_on_loop(name)) {
    p->run();
    std::string failure = std::move(p->failure);
    delete p;
    if (!failure.empty()) throw std::runtime_error(failure);
    return 0;
  }
  tau_task_id task = p->task = tau_task_new(nullptr, nullptr);
  if (int rc = tau_thread_spawn(&tau_compat::program::on_thread, &tau_compat::program::on_joined, p);
      rc != 0) {
    tau_task_complete(task, TAU_TASK_FAILED,
                      (std::string("cannot start main's thread: ") + tau_strerror(rc)).c_str());
    delete p;
  }
  return task;
}

extern "C" int plugin_init(PluginHooks* hooks) {
  // Upstream programs write with std::cout; keep their lines when tau is stopped
  // by a signal while main still runs.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  hooks->process = tau_compat_process;
  return 0;
}

extern "C" void plugin_destroy() { std::fflush(stdout); }
