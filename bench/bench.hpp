// bench.hpp: what the benchmark files share: a row of the table (one piece of work
// done on tau, on native Asio and on raw libuv) and the sizes the run was asked for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tau::bench {

// One way of doing a row's work, from creating its loop to closing it. Returns a
// checksum that must equal the row's `expected`, so that no variant skips work.
using variant = std::function<uint64_t()>;

// One line of the table. An empty variant prints as "-".
struct row {
  std::string name;
  uint64_t expected = 0;
  variant tau;
  variant asio;
  variant uv;
};

// How much work each benchmark does; set from the command line.
struct sizes {
  size_t spawn_tasks = 200'000;
  size_t timers = 100'000;
  size_t posts = 1'000'000;
};

// One factory per benchmark file.
std::vector<row> spawn_rows(const sizes& n);
std::vector<row> timer_rows(const sizes& n);
std::vector<row> post_rows(const sizes& n);

}  // namespace tau::bench
