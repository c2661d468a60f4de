// Faults on demand, for the crash, exit() and watchdog tests: the input names one
// (segv_process, segv_timer, segv_posted, segv_thread, segv_blocking, abort, fpe,
// exit, spin). The faulting functions are not checked by UBSan (a sanitized host
// builds its plugins sanitized), so that they fault in the hardware as they would
// in a plain build.
#include <tau/plugin.h>
#include <tau/tau.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

int* volatile g_null = nullptr;
volatile int g_zero = 0;
volatile int g_dividend = 1;  // a constant 1 / x would compile to a comparison
volatile bool g_spin = true;

__attribute__((no_sanitize("undefined"))) void write_through_null(void*) { *g_null = 1; }

__attribute__((no_sanitize("undefined"))) void divide_by_zero() {
  volatile int quotient = g_dividend / g_zero;
  (void)quotient;
}

void say(const char* line) {
  std::printf("%s\n", line);
  std::fflush(stdout);
}

tau_task_id process(const uint8_t* data, size_t len) {
  std::string fault(reinterpret_cast<const char*>(data), len);
  if (fault == "segv_process") {
    write_through_null(nullptr);
  } else if (fault == "segv_timer") {
    tau_timer_t* timer = nullptr;
    tau_timer_start(&timer, 1, 0, write_through_null, nullptr);
  } else if (fault == "segv_posted") {
    tau_post(write_through_null, nullptr);
  } else if (fault == "segv_thread") {
    tau_thread_spawn(write_through_null, nullptr, nullptr);
  } else if (fault == "segv_blocking") {
    tau_work_submit(write_through_null, nullptr, nullptr);
  } else if (fault == "abort") {
    std::abort();
  } else if (fault == "fpe") {
    divide_by_zero();
  } else if (fault == "exit") {
    std::exit(7);
  } else if (fault == "spin") {
    say("spinning");
    while (g_spin) {
    }
  } else {
    std::fprintf(stderr, "faults: unknown fault '%s'\n", fault.c_str());
  }
  return 0;
}

}  // namespace

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
