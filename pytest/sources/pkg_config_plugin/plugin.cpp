// A plugin built through pkg-config, by a plain Makefile or by Meson (see Makefile,
// meson.build).
#include <tau/plugin.h>
#include <tau/tau.hpp>

#include <chrono>
#include <cstdio>

static tau::task<> greet() {
  co_await tau::sleep(std::chrono::milliseconds(1));
  std::printf("built without CMake\n");
}

static tau_task_id process(const uint8_t*, size_t) { return tau::spawn(greet).task_id(); }

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" void plugin_destroy() {}
