// workload_options.hpp: what asio_workloads.cpp (native and shim) and uv_workloads.cpp
// share: the key=value options, their parser, and the timed-run line bench/run-shim
// reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <ctime>

namespace tau::bench {

// What a run does; every entry parses the same key=value words.
struct options {
  size_t posts = 1'000'000;   // chained posts
  size_t timers = 100'000;    // timers in flight
  size_t conns = 64;          // echo client connections
  size_t rounds = 1000;       // echo round trips per connection
  size_t msg = 64;            // echo message bytes
  size_t parked = 1'000'000;  // handlers posted from a thread while 4 threads are in run()
  size_t lateness = 10'000;   // timers whose lateness is measured (asio_workloads only)
  int warmup = 1;             // untimed passes first
  int reps = 1;               // timed passes
  std::string only = "posts,timers,echo";

  bool wants(const char* workload) const {
    std::string w = "," + only + ",";
    return w.find(std::string(",") + workload + ",") != std::string::npos;
  }
  uint64_t echo_bytes() const { return static_cast<uint64_t>(conns) * rounds * msg; }
};

inline bool parse_word(options& o, const std::string& word) {
  auto eq = word.find('=');
  if (eq == std::string::npos) return false;
  std::string key = word.substr(0, eq);
  std::string value = word.substr(eq + 1);
  if (key == "only") {
    o.only = value;
    return true;
  }
  char* end = nullptr;
  unsigned long long n = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || end == nullptr || *end != '\0') return false;
  if (key == "posts") o.posts = n;
  else if (key == "timers") o.timers = n;
  else if (key == "conns") o.conns = n;
  else if (key == "rounds") o.rounds = n;
  else if (key == "msg") o.msg = n;
  else if (key == "parked") o.parked = n;
  else if (key == "lateness") o.lateness = n;
  else if (key == "warmup") o.warmup = static_cast<int>(n);
  else if (key == "reps") o.reps = static_cast<int>(n);
  else return false;
  return true;
}

// Whitespace-separated key=value words; false (with a message) on a bad one.
inline bool parse(options& o, const std::string& text) {
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t'; };
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    size_t j = i;
    while (j < text.size() && !space(text[j])) ++j;
    if (j > i && !parse_word(o, text.substr(i, j - i))) {
      std::fprintf(stderr, "workloads: bad option '%s'\n", text.substr(i, j - i).c_str());
      return false;
    }
    i = j;
  }
  if (o.msg == 0 || o.msg > 4096) {
    std::fprintf(stderr, "workloads: msg must be 1..4096\n");
    return false;
  }
  if (o.wants("echo") && (o.conns == 0 || o.rounds == 0)) {
    std::fprintf(stderr, "workloads: echo needs conns and rounds of at least 1\n");
    return false;
  }
  return true;
}

// CPU time of the process (all its threads), in ms.
inline double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Runs f() (which returns its checksum) and, when print, reports one line:
//   asio_workloads side=S workload=W ms=WALL cpu_ms=CPU check=C expected=E [EXTRA]
// ms is wall-clock time; cpu_ms the CPU time (user + system) spent meanwhile, which
// a busy machine disturbs less. extra holds more key=value words, which f may fill in.
template <typename F>
void timed(const char* side, const char* workload, uint64_t expected, bool print, F&& f,
           const std::string& extra = {}) {
  double cpu_start = cpu_ms();
  auto start = std::chrono::steady_clock::now();
  uint64_t check = f();
  auto end = std::chrono::steady_clock::now();
  double cpu = cpu_ms() - cpu_start;
  if (!print) return;
  std::printf("asio_workloads side=%s workload=%s ms=%.3f cpu_ms=%.3f check=%llu expected=%llu%s%s\n", side,
              workload, std::chrono::duration<double, std::milli>(end - start).count(), cpu,
              static_cast<unsigned long long>(check), static_cast<unsigned long long>(expected),
              extra.empty() ? "" : " ", extra.c_str());
  std::fflush(stdout);
}

}  // namespace tau::bench
