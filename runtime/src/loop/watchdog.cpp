// watchdog.cpp: notices when the loop thread has sat in one plugin callback for a
// period, and says which. The loop thread only publishes what it runs (a few
// atomic stores per callback) into memory it shares with a watchdog process, forked
// at start, that samples it.
//
// A process rather than a thread: while a process has one thread, glibc takes its
// single-threaded paths (no atomic operations in malloc's arena lock, in
// pthread_mutex_lock, in shared_ptr's counts). A host with a thread of its own
// denied every plugin those, and a plugin that starts no thread now runs them as a
// native single-threaded program does: 9% of the Asio shim's timer benchmark.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <new>

#include "runtime.hpp"

using namespace tau::detail;

namespace {

// What the loop thread runs, as a sequence lock: the generation is odd while the
// owner and what change, and moves on with every change. Then what the watchdog
// last reported stuck: its generation (0: nothing) and code. Addresses are the
// same in both processes, and what names a string of the host's own image.
struct shared_state {
  std::atomic<uint64_t> generation{0};
  std::atomic<owner_id> owner{host_owner};
  std::atomic<const char*> what{nullptr};
  std::atomic<uint64_t> stuck_generation{0};
  std::atomic<owner_id> stuck_owner{host_owner};
  std::atomic<const char*> stuck_what{nullptr};
};
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<const char*>::is_always_lock_free,
              "shared between processes: only lock-free atomics work there");

// Constant-initialized, so set before any dynamic initializer asks for memory.
bool g_memory_private = false;

shared_state& g_shared = *new (memory_shared_with_watchdog(sizeof(shared_state))) shared_state;

// The watchdog process (0: none running), and the socket that tells it to end: a
// socket rather than a pipe, so that telling one that died raises no SIGPIPE.
pid_t g_watchdog_pid = 0;
int g_stop_socket = -1;

struct sample {
  uint64_t generation;
  running_code code;
};

// Returns false when the loop thread was changing it.
bool take_sample(sample& s) {
  s.generation = g_shared.generation.load(std::memory_order_acquire);
  // Acquire loads: an owner or what written after the generation went odd makes
  // the second load below see that odd generation or a later one.
  s.code = {g_shared.owner.load(std::memory_order_acquire), g_shared.what.load(std::memory_order_acquire)};
  return s.generation % 2 == 0 && g_shared.generation.load(std::memory_order_relaxed) == s.generation;
}

// The line first, then the record loop_stuck reads: whoever sees the record and
// stops the watchdog finds the line written.
void report_stuck(const sample& s, std::chrono::milliseconds stuck_for) {
  char seconds[32];
  *std::to_chars(seconds, seconds + sizeof seconds - 1, double(stuck_for.count()) / 1000).ptr = '\0';
  report_line line;
  line << "tau: ";
  line.plugin(s.code.owner) << " has been running ";
  line.code(s.code.what) << " for " << seconds
                         << " s without returning to the loop (a busy loop or a blocking call?)";
  line.write();
  g_shared.stuck_owner.store(s.code.owner, std::memory_order_relaxed);
  g_shared.stuck_what.store(s.code.what, std::memory_order_relaxed);
  g_shared.stuck_generation.store(s.generation, std::memory_order_release);
}

// The watchdog process: ends when told (stop_socket readable or closed) or when its
// parent does. Only async-signal-safe calls here: a parent with threads (a test
// binary under a sanitizer) forked it.
[[noreturn]] void watch(std::chrono::milliseconds period, pid_t parent, int stop_socket, int ready_pipe) {
  prctl(PR_SET_NAME, "tau:watchdog");
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  char byte = 1;
  if (write(ready_pipe, &byte, 1) != 1) _exit(1);
  close(ready_pipe);
  // Keep no descriptor of the host's alive but stderr (a pipe's reader would wait
  // for our copy of its end), and no handler of the host's: a Ctrl-C reaches the
  // whole process group, and it is the host's to act on.
  constexpr int kept_stop_socket = STDERR_FILENO + 1;
  dup2(stop_socket, kept_stop_socket);
  if (stop_socket == STDERR_FILENO) close(STDERR_FILENO);  // the host had no stderr
  for (int signum = 1; signum < NSIG; ++signum) {
    bool ignore = signum == SIGINT || signum == SIGTERM || signum == SIGHUP || signum == SIGQUIT || signum == SIGPIPE;
    struct sigaction action{};
    action.sa_handler = ignore ? SIG_IGN : SIG_DFL;
    sigaction(signum, &action, nullptr);
  }
  close_range(0, STDERR_FILENO - 1, 0);
  close_range(kept_stop_socket + 1, ~0U, 0);

  using clock = std::chrono::steady_clock;
  // Samples four times a period: a callback is reported between one period and a
  // quarter more after it began, then once every period.
  auto tick = std::max(period / 4, std::chrono::milliseconds(1));
  uint64_t seen = UINT64_MAX;
  clock::time_point since;
  int reported = 0;
  pollfd stop{kept_stop_socket, POLLIN, 0};
  for (;;) {
    int ready = poll(&stop, 1, static_cast<int>(tick.count()));
    if (ready > 0) _exit(0);
    sample s{};
    if (ready < 0 || !take_sample(s)) continue;
    auto now = clock::now();
    if (s.generation != seen) {
      seen = s.generation;
      since = now;
      reported = 0;
      continue;
    }
    if (s.code.what == nullptr || s.code.owner == host_owner) continue;
    if (now - since < period * (reported + 1)) continue;
    ++reported;
    report_stuck(s, period * reported);
  }
}

}  // namespace

namespace tau::detail {

void* memory_shared_with_watchdog(size_t size) {
  void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory != MAP_FAILED) return memory;
  // Private memory still serves this process; no watchdog starts.
  g_memory_private = true;
  return ::operator new(size);
}

void watchdog_note(running_code code) {
  uint64_t generation = g_shared.generation.load(std::memory_order_relaxed);
  // Release stores rather than fences (GCC's ThreadSanitizer has no fences); on
  // x86-64 all four are plain moves.
  g_shared.generation.store(generation + 1, std::memory_order_relaxed);
  g_shared.owner.store(code.owner, std::memory_order_release);
  g_shared.what.store(code.what, std::memory_order_release);
  g_shared.generation.store(generation + 2, std::memory_order_release);
}

void watchdog_start(uint64_t period_ms) {
  if (g_watchdog_pid != 0 || period_ms == 0) return;
  if (g_memory_private) {
    report_line line;
    line << "tau: no watchdog (the system refused memory shared with it)";
    line.write();
    return;
  }
  // stop: host to watchdog, to end it; ready: watchdog to host, once it watches.
  int stop[2];
  int ready[2];
  auto refused = [](const char* why) {
    report_line line;
    line << "tau: no watchdog (" << why << ")";
    line.write();
  };
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stop) != 0) return refused(std::strerror(errno));
  if (pipe2(ready, O_CLOEXEC) != 0) {
    int error = errno;
    close(stop[0]);
    close(stop[1]);
    return refused(std::strerror(error));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(stop[1]);
    close(ready[0]);
    watch(std::chrono::milliseconds(period_ms), parent, stop[0], ready[1]);
  }
  int fork_error = errno;
  close(stop[0]);
  close(ready[1]);
  char byte = 0;
  ssize_t got = -1;
  if (pid > 0)
    while ((got = read(ready[0], &byte, 1)) < 0 && errno == EINTR) {
    }
  close(ready[0]);
  if (got != 1) {
    close(stop[1]);
    if (pid > 0) waitpid(pid, nullptr, 0);
    return refused(pid < 0 ? std::strerror(fork_error) : "its process ended at start");
  }
  g_watchdog_pid = pid;
  g_stop_socket = stop[1];
}

void watchdog_stop() {
  if (g_watchdog_pid == 0) return;
  // The byte wakes the watchdog, which ends after the line it may be writing
  // (closing alone would not do while a plugin's forked child holds the socket).
  char byte = 0;
  if (send(g_stop_socket, &byte, 1, MSG_NOSIGNAL) != 1) kill(g_watchdog_pid, SIGKILL);
  close(g_stop_socket);
  while (waitpid(g_watchdog_pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  g_watchdog_pid = 0;
  g_stop_socket = -1;
  g_shared.stuck_generation.store(0, std::memory_order_relaxed);
}

bool loop_stuck(running_code& code) {
  uint64_t stuck = g_shared.stuck_generation.load(std::memory_order_acquire);
  if (stuck == 0 || stuck != g_shared.generation.load(std::memory_order_relaxed)) return false;
  code = {g_shared.stuck_owner.load(std::memory_order_relaxed), g_shared.stuck_what.load(std::memory_order_relaxed)};
  return true;
}

}  // namespace tau::detail
