// The other plugin while one is reloaded: ticks every 20 ms and prints the loop's
// clock, so a test sees whether the loop ever stood still (a build on the loop
// thread would stall it).
#include <tau/plugin.h>
#include <tau/tau.h>

#include <cstdio>

static tau_timer_t* timer;

static void tick(void*) {
  std::printf("tick %llu\n", static_cast<unsigned long long>(tau_now_ms()));
  std::fflush(stdout);
}

static tau_task_id process(const uint8_t*, size_t) {
  tau_timer_start(&timer, 20, 20, tick, nullptr);
  return 0;
}

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}

extern "C" void plugin_destroy() { tau_timer_stop(timer); }
