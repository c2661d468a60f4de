// tau_compat/adapter.hpp: turns an upstream program's main() into a tau plugin.
//
// adapter/upstream_main.cpp includes the upstream source, then this header; the
// upstream main() stays a hidden function of the plugin. process() finds this
// plugin's command line in the --input bytes, calls main on the loop thread (its
// io_context::run() drives the shared loop, so the other plugins keep running),
// and turns a non-zero return into a plugin failure naming the code.
//
// Input: see args.hpp. A plugin without a line gets argv = { name }.
#pragma once

#include <tau/plugin.h>
#include <tau/tau.h>
#include <tau_compat/args.hpp>

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
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

}  // namespace tau_compat

static tau_task_id tau_compat_process(const uint8_t* data, size_t len) {
  const char* name = TAU_COMPAT_NAME;
  std::vector<std::string> args =
      tau_compat::arguments_for(name, std::string_view(reinterpret_cast<const char*>(data), len));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (!tau_on_loop_thread()) std::fprintf(stderr, "tau-compat: %s: process called off the loop thread\n", name);
  std::fprintf(stderr, "tau-compat: %s: calling main with %zu argument(s)\n", name, args.size() - 1);
  int rc = tau_compat::call_main(&main, static_cast<int>(args.size()), argv.data());
  std::fflush(stdout);
  std::fprintf(stderr, "tau-compat: %s: main returned %d\n", name, rc);
  if (rc != 0) throw std::runtime_error(std::string(name) + ": upstream main returned " + std::to_string(rc));
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT int plugin_init(PluginHooks* hooks) {
  // Upstream programs write with std::cout; keep their lines when tau is stopped
  // by a signal while main still runs.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  hooks->process = tau_compat_process;
  return 0;
}

extern "C" TAU_PLUGIN_EXPORT void plugin_destroy() { std::fflush(stdout); }
