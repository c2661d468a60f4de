// plugin_state.cpp: reload hand-over. The tau_state_* half of tau.h, and the calls
// into the snapshot and restore hooks.
#include "plugin_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

tau_state::~tau_state() {
  for (int fd : fds) ::close(fd);
}

namespace tau::detail {
namespace {

// The state the running snapshot hook writes to; calls with another are refused.
tau_state* g_writing = nullptr;

std::string plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

std::unique_ptr<tau_state> take_snapshot(const loaded_plugin& plugin) {
  if (plugin.hooks.snapshot == nullptr) return nullptr;
  auto state = std::make_unique<tau_state>();
  g_writing = state.get();
  bool returned = guarded_call(plugin.owner, "snapshot", [&] { plugin.hooks.snapshot(state.get()); });
  g_writing = nullptr;
  if (!returned || (state->bytes.empty() && state->fds.empty())) return nullptr;
  freeze_descriptor_watches(plugin.owner, state->original_fds);
  return state;
}

void restore_snapshot(const loaded_plugin& plugin, const std::string& name, std::unique_ptr<tau_state> state) {
  if (state == nullptr) return;
  if (plugin.hooks.restore == nullptr) {
    std::fprintf(stderr,
                 "tau: plugin '%s': the new build has no restore hook; the state its old build handed over (%s, "
                 "%s) is dropped\n",
                 name.c_str(), plural(state->bytes.size(), "byte").c_str(),
                 plural(state->fds.size(), "descriptor").c_str());
    return;
  }
  std::vector<int> fds = std::move(state->fds);  // the plugin's from now on
  state->fds.clear();
  const auto* data = reinterpret_cast<const uint8_t*>(state->bytes.data());
  guarded_call(plugin.owner, "restore",
               [&] { plugin.hooks.restore(data, state->bytes.size(), fds.data(), fds.size()); });
}

}  // namespace tau::detail

using namespace tau::detail;

extern "C" {

int tau_state_write(tau_state_t* state, const void* data, size_t len) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (state == nullptr || state != g_writing || (data == nullptr && len > 0)) return UV_EINVAL;
  state->bytes.append(static_cast<const char*>(data), len);
  return 0;
}

int tau_state_add_fd(tau_state_t* state, int fd) {
  if (!on_loop_thread()) return TAU_E_WRONG_THREAD;
  if (state == nullptr || state != g_writing) return UV_EINVAL;
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return -errno;
  state->fds.push_back(copy);
  state->original_fds.push_back(fd);
  return static_cast<int>(state->fds.size() - 1);
}

}  // extern "C"
