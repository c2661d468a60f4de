// fs.hpp: whole-file reads and writes on the blocking pool, so the loop never
// waits on a disk. Failures throw tau::error (error.hpp) with the errno and the path.
//
// Aborting a task that awaits one of these leaves the call to finish on the pool;
// its result, an error included, is dropped without being reported.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "tau/blocking.hpp"
#include "tau/error.hpp"
#include "tau/task.hpp"

namespace tau {

namespace detail {

// What a file operation on the pool produced: a value, or an errno. Errors travel
// as values so that one nobody awaits any more is not reported as a task failure.
template <class T>
struct file_outcome {
  T value{};
  int error = 0;
};

template <class T>
T value_or_throw(file_outcome<T>&& outcome, const char* operation, const std::filesystem::path& path) {
  if (outcome.error != 0)
    throw tau::error(std::error_code(outcome.error, std::system_category()),
                     std::string(operation) + " '" + path.string() + "'");
  return std::move(outcome.value);
}

inline file_outcome<std::string> read_whole_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {{}, errno};
  std::string data;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) data.reserve(static_cast<size_t>(info.st_size));
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      data.append(chunk, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      int err = errno;
      ::close(fd);
      return {{}, err};
    }
  }
  ::close(fd);
  return {std::move(data), 0};
}

inline file_outcome<bool> write_whole_file(const std::filesystem::path& path, std::string_view data,
                                           int flags) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0666);
  if (fd < 0) return {false, errno};
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (errno != EINTR) {
      int err = errno;
      ::close(fd);
      return {false, err};
    }
  }
  if (::close(fd) < 0) return {false, errno};
  return {true, 0};
}

}  // namespace detail

namespace fs {

// Each job is a named local, never a temporary inside the co_await expression:
// GCC 12 destroys such a temporary's captures twice.

// The whole content of the file at path.
inline task<std::string> read_file(std::filesystem::path path) {
  auto job = spawn_blocking([path] { return detail::read_whole_file(path); });
  auto outcome = co_await job;
  co_return detail::value_or_throw(std::move(outcome), "read_file", path);
}

// Creates or truncates the file at path and writes data to it.
inline task<> write_file(std::filesystem::path path, std::string data) {
  auto job = spawn_blocking(
      [path, data = std::move(data)] { return detail::write_whole_file(path, data, O_TRUNC); });
  auto outcome = co_await job;
  detail::value_or_throw(std::move(outcome), "write_file", path);
}

// Appends data to the file at path, creating it when missing.
inline task<> append_file(std::filesystem::path path, std::string data) {
  auto job = spawn_blocking(
      [path, data = std::move(data)] { return detail::write_whole_file(path, data, O_APPEND); });
  auto outcome = co_await job;
  detail::value_or_throw(std::move(outcome), "append_file", path);
}

// Whether something exists at path (a dangling symlink does not).
inline task<bool> exists(std::filesystem::path path) {
  auto job = spawn_blocking([path]() -> detail::file_outcome<bool> {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) return {true, 0};
    if (errno == ENOENT || errno == ENOTDIR) return {false, 0};
    return {false, errno};
  });
  auto outcome = co_await job;
  co_return detail::value_or_throw(std::move(outcome), "exists", path);
}

// Removes the file at path; a missing file is an error (ENOENT).
inline task<> remove_file(std::filesystem::path path) {
  auto job = spawn_blocking([path]() -> detail::file_outcome<bool> {
    if (::unlink(path.c_str()) < 0) return {false, errno};
    return {true, 0};
  });
  auto outcome = co_await job;
  detail::value_or_throw(std::move(outcome), "remove_file", path);
}

}  // namespace fs
}  // namespace tau
