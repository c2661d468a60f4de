// plugin_unload.hpp: unload one plugin while the loop runs the others.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "plugin_loader.hpp"

namespace tau::detail {

struct unload_report {
  // The plugin did not wind down within the grace period (its tasks, threads or
  // blocking jobs kept running): it stays loaded, plugin_destroy not called.
  bool refused = false;
  std::string refusal;  // what still ran
  // The library is gone from the address space (checked in /proc/self/maps);
  // otherwise why it is not, as far as can be told.
  bool unmapped = false;
  std::string still_mapped_reason;
  // What the plugin left open after plugin_destroy and its static destructors
  // ("timer", "descriptor watch", ...), closed by the host.
  std::vector<const char*> closed_handles;
  double seconds = 0;
};

// Unloads plugin without stopping the loop: its shutdown watches fire (threads
// parked in the Asio shim wake up) and its tasks are aborted; once its tasks,
// threads and blocking jobs have ended (at most grace_ms), plugin_destroy runs and
// the callbacks it posted; then the library is unmapped (its static destructors
// run), and nothing left on the loop calls into it any more: posts into its code,
// its lookups, join callbacks and shutdown watches are dropped and its handles
// closed. done runs on the loop when it is over. Loop thread; plugin must outlive
// the unload.
void unload_plugin(loaded_plugin& plugin, uint64_t grace_ms, std::function<void(const unload_report&)> done);

}  // namespace tau::detail
