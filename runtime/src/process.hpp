// process.hpp: run a child process (cmake, ninja) to completion.
#pragma once

#include <string>
#include <vector>

namespace tau::detail {

// Runs argv[0] (searched on PATH) with argv; its stdout and stderr both go to our
// stderr, so plugin build output never mixes with the plugins' own stdout.
// Returns the exit status, 128+N when killed by signal N, or -1 when it could not
// be started.
int run_process(const std::vector<std::string>& argv);

// Same, but collects the child's stdout in out (stderr still goes to ours).
int capture_process(const std::vector<std::string>& argv, std::string& out);

}  // namespace tau::detail
