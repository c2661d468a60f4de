// error.hpp: the exceptions of tau's C++ API.
//
// Every operation of the API that fails throws tau::error, a std::system_error:
// code() is the std::error_code (errno values in std::system_category(), the other
// codes of tau.h, UV_EAI_* and TAU_E_*, in tau_category()), tau_code() the negative
// code of tau.h, what() says what failed and why. The classes below it are outcomes
// with names of their own (an aborted task, a deadline), and misuse (two tasks
// awaiting one receiver) throws std::logic_error.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>

#include "tau/tau.h"

namespace tau {

// Codes that are not errno values: the negative codes of tau.h from
// -TAU_ERRNO_LIMIT down (a failed lookup's UV_EAI_*, TAU_E_*), named by
// tau_strerror, and eof.
class tau_error_category final : public std::error_category {
 public:
  // A stream ended before read_exact filled its buffer (libuv's UV_EOF, so that
  // tau_strerror names it too).
  static constexpr int eof = -4095;

  const char* name() const noexcept override { return "tau"; }
  std::string message(int code) const override {
    return code == eof ? "unexpected end of stream" : tau_strerror(code);
  }
};

inline const std::error_category& tau_category() noexcept {
  static const tau_error_category category;
  return category;
}

namespace detail {

// A negative code of tau.h as an error_code: errno values in the system category,
// the rest in tau's.
inline std::error_code code_of(int rc) noexcept {
  return -rc < TAU_ERRNO_LIMIT ? std::error_code(-rc, std::system_category())
                               : std::error_code(rc, tau_category());
}

}  // namespace detail

// An operation of tau's C++ API failed.
class error : public std::system_error {
 public:
  // A tau_* call returned code (negative); what names the operation.
  error(int code, const std::string& what) : std::system_error(detail::code_of(code), what) {}
  // Anything else: a system call's errno (std::system_category()), or eof.
  error(std::error_code code, const std::string& what) : std::system_error(code, what) {}

  // The code as tau.h numbers it: -errno, UV_EAI_*, TAU_E_*, or
  // tau_error_category::eof.
  int tau_code() const noexcept {
    return code().category() == tau_category() ? code().value() : -code().value();
  }
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
