// plugin_unload.cpp: unload one plugin while the loop runs the others. A sequence
// of loop callbacks: wind down, plugin_destroy, drain, static destructors, drain,
// unmap.
#include "plugin_unload.hpp"

#include <dlfcn.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

// glibc runs (and forgets) the static destructors a DSO registered; dlclose later
// finds none left.
extern "C" void __cxa_finalize(void* dso_handle);

namespace tau::detail {
namespace {

// How often a wind-down is checked on.
constexpr uint64_t check_period_ms = 5;
// Rounds of posted callbacks after plugin_destroy: what it posted, and what those post.
constexpr int drain_rounds = 3;

struct unload {
  loaded_plugin* plugin = nullptr;
  uint64_t grace_ms = 0;
  std::function<void(const unload_report&)> done;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point phase_start = start;
  tau_timer_t* check = nullptr;
  bool destroyed = false;
  bool finalized = false;
  int drained = 0;
  unload_report report;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

bool mapped(const std::string& path) {
  std::error_code ec;
  std::string canonical = std::filesystem::canonical(path, ec).string();
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);)
    if (line.size() >= canonical.size() && line.compare(line.size() - canonical.size(), canonical.size(), canonical) == 0)
      return true;
  return false;
}

void finish(std::unique_ptr<unload> u) {
  u->report.seconds = seconds_since(u->start);
  owner_scope host(host_owner);
  u->done(u->report);
}

void unmap(std::unique_ptr<unload> u) {
  loaded_plugin& plugin = *u->plugin;
  owner_id owner = plugin.owner;
  {
    // Static destructors not run yet (a plugin not built by tau) run now, as its code.
    callback_scope scope(owner, "static destructors");
    dlclose(plugin.library);
  }
  plugin.library = nullptr;
  // While its address range is still recorded: posts into its code.
  drop_posts_into(owner);
  forget_plugin_library(owner);
  forget_tasks_of(owner);
  cancel_lookups_of(owner);
  forget_shutdown_watches_of(owner);
  u->report.closed_handles = close_handles_of(owner);
  u->report.unmapped = !mapped(plugin.path);
  if (!u->report.unmapped) {
    size_t unique = unique_symbols(plugin.path);
    u->report.still_mapped_reason =
        unique > 0 ? "it defines " + std::to_string(unique) +
                         " STB_GNU_UNIQUE symbol(s), which the dynamic linker never unloads (build it with "
                         "-fno-gnu-unique, as tau's plugin compiler does)"
                   : "the dynamic linker keeps it: a thread_local with a destructor that its code created on a "
                     "thread still running (the loop thread), or a library loaded since that depends on it";
  }
  finish(std::move(u));
}

void on_drain(void* ctx);

void on_check(void* ctx) {
  auto* u = static_cast<unload*>(ctx);
  loaded_plugin& plugin = *u->plugin;
  owner_activity activity = activity_of(plugin.owner);
  if (!activity.idle()) {
    if (seconds_since(u->phase_start) * 1000 < static_cast<double>(u->grace_ms)) return;
    tau_timer_stop(u->check);
    std::unique_ptr<unload> owned(u);
    owned->report.refused = true;
    owned->report.refusal = std::to_string(activity.tasks) + " task(s), " + std::to_string(activity.threads) +
                            " thread(s) and " + std::to_string(activity.jobs) + " blocking job(s) still running after " +
                            std::to_string(u->grace_ms) + " ms";
    finish(std::move(owned));
    return;
  }
  tau_timer_stop(u->check);
  u->check = nullptr;
  if (!u->destroyed) {
    u->destroyed = true;
    destroy_plugin(plugin);
  } else if (!u->finalized) {
    // Its static destructors, while its code is still mapped: what they cancel and
    // post (an io_context in a static closing its sockets) runs in the drain.
    u->finalized = true;
    if (auto* handle = static_cast<void* const*>(dlsym(plugin.library, "tau_plugin_dso_handle"))) {
      callback_scope scope(plugin.owner, "static destructors");
      __cxa_finalize(*handle);
    }
  }
  u->drained = 0;
  tau_post(on_drain, u);
}

// Runs after the callbacks posted before it; a few rounds, then the plugin must
// still be idle (plugin_destroy may have started a blocking job or a thread).
void on_drain(void* ctx) {
  auto* u = static_cast<unload*>(ctx);
  if (++u->drained < drain_rounds) {
    tau_post(on_drain, u);
    return;
  }
  if (!activity_of(u->plugin->owner).idle() || !u->finalized) {
    u->phase_start = std::chrono::steady_clock::now();
    tau_timer_start(&u->check, u->finalized ? check_period_ms : 0, check_period_ms, on_check, u);
    return;
  }
  unmap(std::unique_ptr<unload>(u));
}

}  // namespace

void unload_plugin(loaded_plugin& plugin, uint64_t grace_ms, std::function<void(const unload_report&)> done) {
  owner_scope host(host_owner);  // the unload's own callbacks are the host's
  auto* u = new unload;
  u->plugin = &plugin;
  u->grace_ms = grace_ms;
  u->done = std::move(done);
  end_owner(plugin.owner);
  abort_tasks_of(plugin.owner);
  cancel_lookups_of(plugin.owner);
  tau_timer_start(&u->check, 0, check_period_ms, on_check, u);
}

}  // namespace tau::detail
