// Tests of poll.cpp: descriptor readiness through tau_poll_*.
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "runtime_fixture.hpp"
#include "tau/tau.h"

namespace {

struct pipe_fds {
  int read_end = -1, write_end = -1;
  pipe_fds() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~pipe_fds() {
    close(read_end);
    close(write_end);
  }
};

struct watch {
  tau_poll_t* poll = nullptr;
  int fd = -1;
  int calls = 0;
  int last_events = 0;
  int last_status = 0;
  std::string read;
};

void drain_and_stop(void* ctx, int status, int events) {
  auto* w = static_cast<watch*>(ctx);
  EXPECT_TRUE(tau_on_loop_thread());
  ++w->calls;
  w->last_status = status;
  w->last_events = events;
  char buf[64];
  ssize_t n;
  while ((n = ::read(w->fd, buf, sizeof buf)) > 0) w->read.append(buf, size_t(n));
  tau_poll_update(w->poll, 0);
}

}  // namespace

using poll_test = runtime_test;

TEST_F(poll_test, readable_when_data_arrives) {
  pipe_fds p;
  watch w;
  w.fd = p.read_end;
  ASSERT_EQ(tau_poll_start(&w.poll, p.read_end, TAU_READABLE, drain_and_stop, &w), 0);
  ASSERT_EQ(::write(p.write_end, "ping", 4), 4);
  tau::detail::runtime_run();
  EXPECT_EQ(w.calls, 1);
  EXPECT_EQ(w.last_status, 0);
  EXPECT_EQ(w.last_events & TAU_READABLE, TAU_READABLE);
  EXPECT_EQ(w.read, "ping");
  tau_poll_stop(w.poll);
}

TEST_F(poll_test, paused_watch_does_not_keep_the_loop_alive) {
  pipe_fds p;
  watch w;
  w.fd = p.read_end;
  ASSERT_EQ(tau_poll_start(&w.poll, p.read_end, TAU_READABLE, drain_and_stop, &w), 0);
  ASSERT_EQ(tau_poll_update(w.poll, 0), 0);
  ASSERT_EQ(::write(p.write_end, "x", 1), 1);
  tau::detail::runtime_run();  // returns at once: nothing is watched
  EXPECT_EQ(w.calls, 0);
  ASSERT_EQ(tau_poll_update(w.poll, TAU_READABLE), 0);
  tau::detail::runtime_run();
  EXPECT_EQ(w.calls, 1);
  tau_poll_stop(w.poll);
}

TEST_F(poll_test, writable_pipe_reports_writable) {
  pipe_fds p;
  watch w;
  w.fd = p.write_end;
  ASSERT_EQ(tau_poll_start(&w.poll, p.write_end, TAU_WRITABLE,
                           [](void* ctx, int, int events) {
                             auto* w = static_cast<watch*>(ctx);
                             ++w->calls;
                             w->last_events = events;
                             tau_poll_update(w->poll, 0);
                           },
                           &w),
            0);
  tau::detail::runtime_run();
  EXPECT_EQ(w.calls, 1);
  EXPECT_EQ(w.last_events & TAU_WRITABLE, TAU_WRITABLE);
  tau_poll_stop(w.poll);
}

TEST_F(poll_test, regular_file_is_refused_with_an_error) {
  char path[] = "/tmp/tau_poll_testXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  tau_poll_t* poll = nullptr;
  int rc = tau_poll_start(&poll, fd, TAU_READABLE, drain_and_stop, nullptr);
  EXPECT_LT(rc, 0);
  EXPECT_EQ(poll, nullptr);
  close(fd);
  unlink(path);
}

TEST_F(poll_test, stop_before_any_event) {
  pipe_fds p;
  watch w;
  w.fd = p.read_end;
  ASSERT_EQ(tau_poll_start(&w.poll, p.read_end, TAU_READABLE, drain_and_stop, &w), 0);
  tau_poll_stop(w.poll);
  ASSERT_EQ(::write(p.write_end, "x", 1), 1);
  tau::detail::runtime_run();
  EXPECT_EQ(w.calls, 0);
}

TEST_F(poll_test, stop_from_another_thread_is_inert_at_once_and_frees_the_descriptor_number) {
  pipe_fds p;
  watch w;
  w.fd = p.read_end;
  ASSERT_EQ(tau_poll_start(&w.poll, p.read_end, TAU_READABLE, drain_and_stop, &w), 0);
  ASSERT_EQ(::write(p.write_end, "ping", 4), 4);
  int number = p.read_end;
  std::thread([&] {
    tau_poll_stop(w.poll);
    // Closed and reused at once, as Asio does after deregistering.
    ::close(p.read_end);
    p.read_end = ::dup(p.write_end);
  }).join();
  ASSERT_EQ(p.read_end, number);
  // The loop has not applied the stop yet; a new watch on the same number works.
  watch w2;
  w2.fd = p.read_end;
  EXPECT_EQ(tau_poll_start(&w2.poll, p.read_end, TAU_WRITABLE, drain_and_stop, &w2), 0);
  tau::detail::runtime_run();
  EXPECT_EQ(w.calls, 0);  // inert: never called after the stop
  EXPECT_EQ(w2.calls, 1);
  EXPECT_EQ(w2.last_events & TAU_WRITABLE, TAU_WRITABLE);
  tau_poll_stop(w2.poll);
}
