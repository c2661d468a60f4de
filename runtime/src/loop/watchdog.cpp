// watchdog.cpp: notices when the loop thread has sat in one plugin callback for a
// period, and says which. The loop thread only publishes what it runs (a few
// atomic stores per callback); a thread of the watchdog's own samples that.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "runtime.hpp"

using namespace tau::detail;

namespace {

// What the loop thread runs, as a sequence lock: the generation is odd while the
// owner and what change, and moves on with every change.
std::atomic<uint64_t> g_generation{0};
std::atomic<owner_id> g_owner{host_owner};
std::atomic<const char*> g_what{nullptr};

// What the watchdog last reported stuck: its generation (0: nothing) and code.
std::atomic<uint64_t> g_stuck_generation{0};
std::atomic<owner_id> g_stuck_owner{host_owner};
std::atomic<const char*> g_stuck_what{nullptr};

struct sample {
  uint64_t generation;
  running_code code;
};

// Returns false when the loop thread was changing it.
bool take_sample(sample& s) {
  s.generation = g_generation.load(std::memory_order_acquire);
  // Acquire loads: an owner or what written after the generation went odd makes
  // the second load below see that odd generation or a later one.
  s.code = {g_owner.load(std::memory_order_acquire), g_what.load(std::memory_order_acquire)};
  return s.generation % 2 == 0 && g_generation.load(std::memory_order_relaxed) == s.generation;
}

struct watchdog {
  std::chrono::milliseconds period;
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  std::thread thread;
};
// Heap-allocated: a plugin's exit() runs static destructors while the thread runs.
watchdog* g_watchdog = nullptr;

void report_stuck(const sample& s, std::chrono::milliseconds stuck_for) {
  g_stuck_owner.store(s.code.owner, std::memory_order_relaxed);
  g_stuck_what.store(s.code.what, std::memory_order_relaxed);
  g_stuck_generation.store(s.generation, std::memory_order_release);
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", double(stuck_for.count()) / 1000);
  report_line line;
  line << "tau: ";
  line.plugin(s.code.owner) << " has been running ";
  line.code(s.code.what) << " for " << seconds
                         << " s without returning to the loop (a busy loop or a blocking call?)";
  line.write();
}

void watch(watchdog* w) {
  pthread_setname_np(pthread_self(), "tau:watchdog");
  using clock = std::chrono::steady_clock;
  // Samples four times a period: a callback is reported between one period and a
  // quarter more after it began, then once every period.
  auto tick = std::max(w->period / 4, std::chrono::milliseconds(1));
  uint64_t seen = UINT64_MAX;
  clock::time_point since;
  int reported = 0;
  std::unique_lock lock(w->mutex);
  while (!w->wake.wait_for(lock, tick, [w] { return w->stop; })) {
    sample s{};
    if (!take_sample(s)) continue;
    auto now = clock::now();
    if (s.generation != seen) {
      seen = s.generation;
      since = now;
      reported = 0;
      continue;
    }
    if (s.code.what == nullptr || s.code.owner == host_owner) continue;
    if (now - since < w->period * (reported + 1)) continue;
    ++reported;
    report_stuck(s, w->period * reported);
  }
}

}  // namespace

namespace tau::detail {

void watchdog_note(running_code code) {
  uint64_t generation = g_generation.load(std::memory_order_relaxed);
  // Release stores rather than fences (GCC's ThreadSanitizer has no fences); on
  // x86-64 all four are plain moves.
  g_generation.store(generation + 1, std::memory_order_relaxed);
  g_owner.store(code.owner, std::memory_order_release);
  g_what.store(code.what, std::memory_order_release);
  g_generation.store(generation + 2, std::memory_order_release);
}

void watchdog_start(uint64_t period_ms) {
  if (g_watchdog != nullptr || period_ms == 0) return;
  g_watchdog = new watchdog{std::chrono::milliseconds(period_ms), {}, {}, false, {}};
  g_watchdog->thread = std::thread(watch, g_watchdog);
}

void watchdog_stop() {
  if (g_watchdog == nullptr) return;
  {
    std::lock_guard lock(g_watchdog->mutex);
    g_watchdog->stop = true;
  }
  g_watchdog->wake.notify_one();
  g_watchdog->thread.join();
  delete g_watchdog;
  g_watchdog = nullptr;
  g_stuck_generation.store(0, std::memory_order_relaxed);
}

bool loop_stuck(running_code& code) {
  uint64_t stuck = g_stuck_generation.load(std::memory_order_acquire);
  if (stuck == 0 || stuck != g_generation.load(std::memory_order_relaxed)) return false;
  code = {g_stuck_owner.load(std::memory_order_relaxed), g_stuck_what.load(std::memory_order_relaxed)};
  return true;
}

}  // namespace tau::detail
