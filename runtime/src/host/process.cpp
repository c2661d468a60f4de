// process.cpp: run a child process (cmake, ninja) to completion, and stop it when
// tau is interrupted while it runs.
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace tau::detail {
namespace {

// How long an interrupted child's process group gets to end (ninja removes its
// partial outputs) before it is killed.
constexpr std::chrono::milliseconds stop_grace{3000};

volatile sig_atomic_t g_interrupt_signal = 0;
// The process group of the running child, 0 when none runs.
std::atomic<pid_t> g_child_group{0};
static_assert(std::atomic<pid_t>::is_always_lock_free, "read in a signal handler");
// The handler writes a byte into it: a wait for a child cannot miss the signal.
int g_wake_pipe[2] = {-1, -1};
struct sigaction g_previous_sigint, g_previous_sigterm;

void on_interrupt(int signum) {
  int saved_errno = errno;
  if (g_interrupt_signal == 0) g_interrupt_signal = signum;
  if (pid_t group = g_child_group.load(); group > 0) kill(-group, signum);
  char byte = 0;
  if (g_wake_pipe[1] >= 0) (void)!write(g_wake_pipe[1], &byte, 1);
  errno = saved_errno;
}

// Waits until fd is readable; false when tau was interrupted first.
bool wait_readable(int fd) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {g_wake_pipe[0], POLLIN, 0}};
  for (;;) {
    if (g_interrupt_signal != 0) return false;
    int ready = poll(fds, 2, -1);
    if (ready > 0 && fds[0].revents != 0) return g_interrupt_signal == 0;
    if (ready < 0 && errno != EINTR) return true;  // the caller's read or waitpid reports it
  }
}

struct process_info {
  pid_t parent = 0;
  pid_t group = 0;
  bool running = false;  // not a zombie (ended, not yet reaped by its parent)
};

std::map<pid_t, process_info> list_processes() {
  std::map<pid_t, process_info> processes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat) || stat.rfind(')') == std::string::npos) continue;  // not a process, or ended
    // "pid (comm) state ppid pgrp ...": comm may hold anything, so parse after its ')'.
    std::istringstream fields(stat.substr(stat.rfind(')') + 1));
    char state = 0;
    process_info info;
    if (fields >> state >> info.parent >> info.group) {
      info.running = state != 'Z' && state != 'X';
      processes[std::atoi(stat.c_str())] = info;
    }
  }
  return processes;
}

// The process groups of an interrupted build: the child's, and those of the
// descendants of their members (ninja runs each job in a group of its own, and
// forwards the interrupt to them). Returns whether a process of them still runs.
bool scan_build_groups(std::set<pid_t>& groups) {
  auto processes = list_processes();
  for (size_t known = 0; known != groups.size();) {
    known = groups.size();
    for (const auto& [pid, info] : processes) {
      auto parent = processes.find(info.parent);
      if (parent != processes.end() && groups.count(parent->second.group)) groups.insert(info.group);
    }
  }
  for (const auto& [pid, info] : processes)
    if (info.running && groups.count(info.group)) return true;
  return false;
}

// Waits until no process of the build's groups runs, for at most limit; false on
// timeout.
bool wait_build_ended(std::set<pid_t>& groups, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (scan_build_groups(groups)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// The child's group was sent the interrupting signal: gives the build (ninja
// outlives cmake --build, to remove its partial outputs) stop_grace to end, then
// kills what is left of it. The caller reaps the leader afterwards: until then its
// id, the group's, cannot be reused.
void stop_group(pid_t leader) {
  std::set<pid_t> groups{leader};
  if (wait_build_ended(groups, stop_grace)) return;
  for (pid_t group : groups) kill(-group, SIGKILL);
  wait_build_ended(groups, stop_grace);  // SIGKILL is delivered asynchronously
}

pid_t spawn_child(const std::vector<std::string>& argv, int stdout_fd, int close_fd) {
  if (g_interrupt_signal != 0) return -1;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  if (close_fd >= 0) posix_spawn_file_actions_addclose(&actions, close_fd);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // A group of its own, so an interrupt reaches every process of the build (ninja,
  // the compilers, custom commands) and the group can be killed as a whole.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  g_child_group = pid;
  if (g_interrupt_signal != 0) kill(-pid, g_interrupt_signal);  // arrived before the group was known
  return pid;
}

int wait_for(pid_t pid) {
  // glibc 2.36's <sys/pidfd.h> lacks extern "C": call the kernel directly.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  bool interrupted = pidfd >= 0 && !wait_readable(pidfd);
  if (pidfd >= 0) close(pidfd);
  if (interrupted) stop_group(pid);
  int status = 0;
  while (waitpid(pid, &status, 0) != pid) {
    if (errno != EINTR) {
      g_child_group = 0;
      return -1;
    }
    if (g_interrupt_signal != 0 && !interrupted) {  // without a pidfd to wait on
      interrupted = true;
      stop_group(pid);
    }
  }
  g_child_group = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

int run_process(const std::vector<std::string>& argv) {
  pid_t pid = spawn_child(argv, STDERR_FILENO, -1);
  return pid < 0 ? -1 : wait_for(pid);
}

int capture_process(const std::vector<std::string>& argv, std::string& out) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = spawn_child(argv, fds[1], fds[0]);
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return -1;
  }
  char buf[65536];
  while (wait_readable(fds[0])) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) out.append(buf, size_t(n));
    else if (n == 0 || errno != EINTR) break;
  }
  close(fds[0]);
  return wait_for(pid);
}

interrupt_scope::interrupt_scope() {
  if (pipe2(g_wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_wake_pipe[0] = g_wake_pipe[1] = -1;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking wait (flock) returns EINTR
  sigaction(SIGINT, &action, &g_previous_sigint);
  sigaction(SIGTERM, &action, &g_previous_sigterm);
}

interrupt_scope::~interrupt_scope() {
  sigaction(SIGINT, &g_previous_sigint, nullptr);
  sigaction(SIGTERM, &g_previous_sigterm, nullptr);
  for (int& fd : g_wake_pipe) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

int interrupt_signal() { return g_interrupt_signal; }

void interrupt_builds(int signum) { on_interrupt(signum); }

}  // namespace tau::detail
