// shutdown.cpp: shutdown watches, the one way the host reaches threads that wait
// outside the loop (threads parked in the Asio shim's io_context::run()), and the
// thread-safe shutdown query.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "runtime.hpp"

struct tau_shutdown_watch {
  tau_callback cb;
  void* ctx;
  tau::detail::owner_id owner;
  // A fired watch stays registered (inert) until its owner stops it, so that the
  // pointer the owner holds never names another watch.
  bool fired;
};

using namespace tau::detail;

namespace {

// Guards the watches and the ended owners. Held while callbacks run, so that
// tau_shutdown_watch_stop returning means the callback is not running.
std::mutex g_mutex;
std::vector<tau_shutdown_watch*> g_watches;
std::vector<owner_id> g_ended_owners;
std::atomic<bool> g_host_shutdown{false};
// Programs whose main returned, in the order they did.
std::mutex g_exits_mutex;
std::vector<program_exit> g_program_exits;

bool owner_ended(owner_id owner) {
  return owner != host_owner &&
         std::find(g_ended_owners.begin(), g_ended_owners.end(), owner) != g_ended_owners.end();
}

// Fires the watches of one owner, or of all when all is set.
void fire(owner_id owner, bool all) {
  std::lock_guard lock(g_mutex);
  for (tau_shutdown_watch* w : g_watches) {
    if (w->fired || (!all && w->owner != owner)) continue;
    w->fired = true;
    guarded_call(w->owner, "shutdown watch", [&] { w->cb(w->ctx); });
  }
}

void on_plugin_end(void* ctx) {
  auto owner = static_cast<owner_id>(reinterpret_cast<uintptr_t>(ctx));
  fire(owner, false);
}

}  // namespace

namespace tau::detail {

void begin_shutdown() {
  g_host_shutdown.store(true);
  fire(host_owner, true);
}

bool shutting_down() { return g_host_shutdown.load(); }

void end_owner(owner_id owner) {
  if (owner == host_owner) return;
  {
    std::lock_guard lock(g_mutex);
    if (owner_ended(owner)) return;
    g_ended_owners.push_back(owner);
  }
  fire(owner, false);
}

void forget_shutdown_watches_of(owner_id owner) {
  std::lock_guard lock(g_mutex);
  std::erase_if(g_watches, [owner](tau_shutdown_watch* w) {
    if (w->owner != owner) return false;
    delete w;
    return true;
  });
}

std::vector<program_exit> program_exits() {
  std::lock_guard lock(g_exits_mutex);
  return g_program_exits;
}

void shutdown_reset() {
  {
    std::lock_guard lock(g_exits_mutex);
    g_program_exits.clear();
  }
  std::lock_guard lock(g_mutex);
  for (tau_shutdown_watch* w : g_watches) delete w;
  g_watches.clear();
  g_ended_owners.clear();
  g_host_shutdown.store(false);
}

}  // namespace tau::detail

extern "C" {

int tau_shutting_down(void) {
  if (g_host_shutdown.load() || !runtime_open()) return 1;
  std::lock_guard lock(g_mutex);
  return owner_ended(current_owner()) ? 1 : 0;
}

int tau_shutdown_watch_start(tau_shutdown_watch_t** out, tau_callback cb, void* ctx) {
  if (out == nullptr || cb == nullptr) return UV_EINVAL;
  owner_id owner = current_owner();
  std::lock_guard lock(g_mutex);
  if (g_host_shutdown.load() || !runtime_open() || owner_ended(owner)) return TAU_E_SHUTDOWN;
  *out = new tau_shutdown_watch{cb, ctx, owner, false};
  g_watches.push_back(*out);
  return 0;
}

void tau_shutdown_watch_stop(tau_shutdown_watch_t* watch) {
  if (watch == nullptr) return;
  std::lock_guard lock(g_mutex);
  auto it = std::find(g_watches.begin(), g_watches.end(), watch);
  if (it == g_watches.end()) return;
  g_watches.erase(it);
  delete watch;
}

void tau_program_exit(int status) {
  owner_id owner = current_owner();
  if (owner == host_owner) return;
  {
    std::lock_guard lock(g_exits_mutex);
    g_program_exits.push_back({owner, status});
  }
  tau_plugin_end();
}

void tau_plugin_end(void) {
  owner_id owner = current_owner();
  if (owner == host_owner) return;
  if (on_loop_thread()) {
    end_owner(owner);
    return;
  }
  {
    std::lock_guard lock(g_mutex);
    if (owner_ended(owner)) return;
    g_ended_owners.push_back(owner);
  }
  tau_post(on_plugin_end, reinterpret_cast<void*>(static_cast<uintptr_t>(owner)));
}

}  // extern "C"
