// process.hpp: run a child process (cmake, ninja) to completion, and stop it when
// tau is interrupted while it runs.
#pragma once

#include <string>
#include <vector>

namespace tau::detail {

// Runs argv[0] (searched on PATH) with argv, in a process group of its own; its
// stdout and stderr both go to our stderr, so plugin build output never mixes with
// the plugins' own stdout. Returns the exit status, 128+N when killed by signal N,
// or -1 when it could not be started (or was not started because tau was
// interrupted).
int run_process(const std::vector<std::string>& argv);

// Same, but collects the child's stdout in out (stderr still goes to ours).
int capture_process(const std::vector<std::string>& argv, std::string& out);

// While it lives, SIGINT and SIGTERM do not end tau: the first one is recorded
// (interrupt_signal) and forwarded to the process group of the running child,
// which gets a short grace to end before the group is killed. For the plugin
// builds, which run before the loop (and its signal handling) exists.
class interrupt_scope {
 public:
  interrupt_scope();
  ~interrupt_scope();  // restores the previous dispositions
  interrupt_scope(const interrupt_scope&) = delete;
  interrupt_scope& operator=(const interrupt_scope&) = delete;
};

// The signal that arrived inside an interrupt_scope, or 0.
int interrupt_signal();

// Interrupts builds running on other threads (plugin rebuilds while the loop runs),
// as a signal inside an interrupt_scope would; every later build is refused.
void interrupt_builds(int signum);

}  // namespace tau::detail
