// error.hpp: the exceptions of tau's C++ API.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "tau/tau.h"

namespace tau {

// A tau_* call failed; code() is its negative error code.
class error : public std::runtime_error {
 public:
  error(int code, const std::string& what)
      : std::runtime_error(what + ": " + tau_strerror(code)), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// Joining a task that was aborted.
class task_aborted : public std::runtime_error {
 public:
  task_aborted() : std::runtime_error("task was aborted") {}
};

// Joining a task that failed with only a message (a task started through the C ABI).
class task_failed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// tau::timeout or tau::timeout_at ran out before the task finished.
class timed_out : public std::runtime_error {
 public:
  timed_out() : std::runtime_error("deadline has elapsed") {}
};

// A buffered_reader found no delimiter within its line limit.
class line_too_long : public std::runtime_error {
 public:
  explicit line_too_long(size_t limit)
      : std::runtime_error("no delimiter within " + std::to_string(limit) + " bytes"), limit_(limit) {}
  size_t limit() const noexcept { return limit_; }

 private:
  size_t limit_;
};

namespace detail {

inline int check(int code, const char* what) {
  if (code < 0) throw error(code, what);
  return code;
}

}  // namespace detail
}  // namespace tau
