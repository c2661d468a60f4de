// Tests of fs.hpp: whole-file operations on the blocking pool.
#include "tau/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

#include "runtime_fixture.hpp"
#include "tau/task.hpp"
#include "tau/time.hpp"

using namespace std::chrono_literals;
namespace stdfs = std::filesystem;

namespace {

// Each test gets an empty directory of its own.
class fs_test : public runtime_test {
 protected:
  void SetUp() override {
    runtime_test::SetUp();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = stdfs::temp_directory_path() / ("tau_fs_test_" + std::to_string(::getpid()) + "_" + info->name());
    stdfs::remove_all(dir_);
    stdfs::create_directories(dir_);
  }
  void TearDown() override {
    stdfs::remove_all(dir_);
    runtime_test::TearDown();
  }

  stdfs::path dir_;
};

// The what() of the tau::error that running t throws, or "" when none.
template <class T>
std::string error_of(tau::task<T> t, std::errc expected) {
  try {
    tau::block_on(std::move(t));
  } catch (const tau::error& e) {
    EXPECT_EQ(e.code(), expected) << e.what();
    return e.what();
  }
  return "";
}

}  // namespace

TEST_F(fs_test, write_append_read_and_remove_round_trip) {
  stdfs::path file = dir_ / "notes.txt";
  std::string content = tau::block_on([&]() -> tau::task<std::string> {
    EXPECT_FALSE(co_await tau::fs::exists(file));
    co_await tau::fs::write_file(file, "first line\n");
    co_await tau::fs::append_file(file, "second line\n");
    EXPECT_TRUE(co_await tau::fs::exists(file));
    std::string text = co_await tau::fs::read_file(file);
    co_await tau::fs::write_file(file, "replaced");  // truncates
    text += co_await tau::fs::read_file(file);
    co_await tau::fs::remove_file(file);
    EXPECT_FALSE(co_await tau::fs::exists(file));
    co_return text;
  });
  EXPECT_EQ(content, "first line\nsecond line\nreplaced");
}

TEST_F(fs_test, binary_content_survives_unchanged) {
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 1000);
  stdfs::path file = dir_ / "blob.bin";
  std::string back = tau::block_on([&]() -> tau::task<std::string> {
    co_await tau::fs::write_file(file, data);
    co_return co_await tau::fs::read_file(file);
  });
  EXPECT_TRUE(back == data);
  EXPECT_EQ(stdfs::file_size(file), data.size());
}

TEST_F(fs_test, missing_file_error_names_the_path) {
  stdfs::path missing = dir_ / "missing.txt";
  std::string what = error_of(tau::fs::read_file(missing), std::errc::no_such_file_or_directory);
  EXPECT_NE(what.find("read_file '" + missing.string() + "'"), std::string::npos) << what;

  what = error_of(tau::fs::remove_file(missing), std::errc::no_such_file_or_directory);
  EXPECT_NE(what.find("remove_file '" + missing.string() + "'"), std::string::npos) << what;

  stdfs::path in_missing_dir = dir_ / "no" / "such" / "dir.txt";
  what = error_of(tau::fs::write_file(in_missing_dir, "x"), std::errc::no_such_file_or_directory);
  EXPECT_NE(what.find(in_missing_dir.string()), std::string::npos) << what;
}

TEST_F(fs_test, reading_a_directory_is_an_error) {
  std::string what = error_of(tau::fs::read_file(dir_), std::errc::is_a_directory);
  EXPECT_NE(what.find(dir_.string()), std::string::npos) << what;
}

// Opening a FIFO for reading blocks until a writer opens it. The writer here is a
// task on the loop, so the read can only finish if it runs off the loop thread.
TEST_F(fs_test, work_runs_off_the_loop_thread_and_resumes_on_it) {
  stdfs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto test_thread = std::this_thread::get_id();
  int polls = 0;
  std::string got = tau::block_on([&]() -> tau::task<std::string> {
    auto reader = tau::spawn([&]() -> tau::task<std::string> {
      std::string data = co_await tau::fs::read_file(fifo);
      EXPECT_TRUE(tau_on_loop_thread());
      EXPECT_EQ(std::this_thread::get_id(), test_thread);
      co_return data;
    });
    int fd;
    // ENXIO until the reader's open() on the pool is waiting for a writer.
    while ((fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0 && errno == ENXIO &&
           polls < 5000) {
      ++polls;
      co_await tau::sleep(1ms);
    }
    EXPECT_GE(fd, 0) << "the reader never opened the fifo";
    EXPECT_EQ(::write(fd, "through a fifo", 14), 14);
    ::close(fd);
    co_return co_await reader;
  });
  EXPECT_EQ(got, "through a fifo");
}

// An aborted caller leaves the call to finish on the pool; its error is dropped,
// not reported as a failed task.
TEST_F(fs_test, aborted_read_reports_no_failure) {
  auto h = tau::spawn(
      [&]() -> tau::task<std::string> { co_return co_await tau::fs::read_file(dir_ / "missing"); });
  h.abort();  // runs after the task's first step submitted the read
  tau::detail::runtime_run();
  EXPECT_EQ(tau_task_status(h.task_id()), TAU_TASK_ABORTED);
  EXPECT_EQ(tau::detail::failure_count(tau::detail::host_owner), 0u);
  EXPECT_EQ(tau_task_running_count(), 0u);
}
