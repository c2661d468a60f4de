// main.cpp: runs every row of every benchmark, each variant best-of-R after warm-up,
// and prints one table: tau, native Asio and raw libuv side by side; with --json FILE
// also writes the same cells as JSON (bench/run gathers them into bench/results.json).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "bench.hpp"

namespace {

using tau::bench::row;
using tau::bench::variant;

constexpr double not_run = -1.0;
// A variant that returned the wrong checksum: it lost or skipped work.
constexpr double wrong = -2.0;
bool any_wrong = false;

struct timing {
  double tau = not_run;
  double asio = not_run;
  double uv = not_run;
};

// Milliseconds one call of v took, not_run, or wrong (reported on stderr).
double time_once(const row& r, const char* side, const variant& v) {
  if (!v) return not_run;
  auto start = std::chrono::steady_clock::now();
  uint64_t checksum = v();
  auto end = std::chrono::steady_clock::now();
  if (checksum != r.expected) {
    std::fprintf(stderr, "tau_bench: %s / %s returned %llu, expected %llu\n", r.name.c_str(), side,
                 static_cast<unsigned long long>(checksum), static_cast<unsigned long long>(r.expected));
    any_wrong = true;
    return wrong;
  }
  return std::chrono::duration<double, std::milli>(end - start).count();
}

// The best time so far; one wrong run makes the cell wrong for good.
double keep_best(double best, double t) {
  if (best == wrong || t == wrong) return wrong;
  if (t == not_run) return best;
  return best == not_run ? t : std::min(best, t);
}

std::string cell(double ms) {
  if (ms == not_run) return "-";
  if (ms == wrong) return "WRONG";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", ms);
  return buf;
}

std::string ratio(double num, double den) {
  if (num <= 0 || den <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", num / den);
  return buf;
}

// Keys in the order written, as in the table.
using json = nlohmann::ordered_json;

// x rounded to `places` decimals (the JSON need not carry the clock's noise).
double rounded(double x, int places) {
  double scale = std::pow(10.0, places);
  return std::round(x * scale) / scale;
}

// A cell as JSON: its milliseconds, or null when the side did not run or was wrong.
json json_ms(double ms) { return ms >= 0 ? json(rounded(ms, 3)) : json(nullptr); }

json json_ratio(double num, double den) {
  return num > 0 && den > 0 ? json(rounded(num / den, 4)) : json(nullptr);
}

// One row of the table as JSON: the sides' ms, the ratios, and the sides that were WRONG.
json json_row(const row& r, const timing& best) {
  json wrong_sides = json::array();
  using side_ms = std::pair<const char*, double>;
  for (auto [side, ms] : {side_ms{"tau", best.tau}, side_ms{"asio", best.asio}, side_ms{"libuv", best.uv}})
    if (ms == wrong) wrong_sides.push_back(side);
  return {{"name", r.name},
          {"ms", {{"tau", json_ms(best.tau)}, {"asio", json_ms(best.asio)}, {"libuv", json_ms(best.uv)}}},
          {"ratios",
           {{"tau/asio", json_ratio(best.tau, best.asio)}, {"tau/libuv", json_ratio(best.tau, best.uv)}}},
          {"wrong", wrong_sides}};
}

}  // namespace

int main(int argc, char** argv) {
  tau::bench::sizes n;
  int reps = 5;
  int warmup = 1;
  std::string filter;
  std::string only;
  std::string json_path;

  CLI::App app{"tau benchmarks: tau vs native Boost.Asio vs raw libuv, one thread each"};
  app.add_option("--reps", reps, "timed runs per variant; the best is reported")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed runs per variant first")->check(CLI::NonNegativeNumber);
  app.add_option("--spawn-tasks", n.spawn_tasks, "tasks per spawn+join run");
  app.add_option("--timers", n.timers, "timers in flight per timer run");
  app.add_option("--posts", n.posts, "callbacks per post run");
  app.add_option("--filter", filter, "run only rows whose name contains this");
  app.add_option("--only", only, "run only one side (for profiling)")
      ->check(CLI::IsMember({"tau", "asio", "libuv"}));
  app.add_option("--json", json_path, "also write the table as JSON to this file");
  CLI11_PARSE(app, argc, argv);

  std::vector<row> rows;
  for (auto* make : {&tau::bench::spawn_rows, &tau::bench::timer_rows, &tau::bench::post_rows})
    for (row& r : make(n))
      if (r.name.find(filter) != std::string::npos) rows.push_back(std::move(r));
  if (!only.empty()) {
    for (row& r : rows) {
      if (only != "tau") r.tau = nullptr;
      if (only != "asio") r.asio = nullptr;
      if (only != "libuv") r.uv = nullptr;
    }
  }

  std::printf("tau_bench: %s; best of %d after %d warm-up run(s); milliseconds, lower is better\n",
              TAU_BENCH_BUILD, reps, warmup);
  std::printf("%-36s %10s %10s %10s %10s %10s\n", "benchmark", "tau", "asio", "libuv", "tau/asio",
              "tau/libuv");
  json json_rows = json::array();
  for (const row& r : rows) {
    for (int i = 0; i < warmup; ++i) {
      time_once(r, "tau", r.tau);
      time_once(r, "asio", r.asio);
      time_once(r, "libuv", r.uv);
    }
    // Interleaved, so that a slow moment of the machine hits every side alike.
    timing best;
    for (int i = 0; i < reps; ++i) {
      best.tau = keep_best(best.tau, time_once(r, "tau", r.tau));
      best.asio = keep_best(best.asio, time_once(r, "asio", r.asio));
      best.uv = keep_best(best.uv, time_once(r, "libuv", r.uv));
    }
    std::printf("%-36s %10s %10s %10s %10s %10s\n", r.name.c_str(), cell(best.tau).c_str(),
                cell(best.asio).c_str(), cell(best.uv).c_str(), ratio(best.tau, best.asio).c_str(),
                ratio(best.tau, best.uv).c_str());
    std::fflush(stdout);
    json_rows.push_back(json_row(r, best));
  }
  if (!json_path.empty()) {
    json table = {{"build", TAU_BENCH_BUILD},
                  {"reps", reps},
                  {"warmup", warmup},
                  {"sizes", {{"spawn_tasks", n.spawn_tasks}, {"timers", n.timers}, {"posts", n.posts}}},
                  {"rows", json_rows}};
    std::ofstream out(json_path);
    out << table.dump(2) << '\n';
    if (!out) {
      std::fprintf(stderr, "tau_bench: cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  if (any_wrong) {
    std::fprintf(stderr, "tau_bench: some variants returned a wrong checksum (cells marked WRONG)\n");
    return 1;
  }
  return 0;
}
