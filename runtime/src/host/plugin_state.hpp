// plugin_state.hpp: the state a plugin's running build hands to the build that
// replaces it on a reload (the snapshot and restore hooks of plugin.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "plugin_loader.hpp"

struct tau_state {
  tau_state() = default;
  tau_state(const tau_state&) = delete;
  tau_state& operator=(const tau_state&) = delete;
  ~tau_state();  // closes the descriptors nobody took

  std::string bytes;
  std::vector<int> fds;           // duplicates, this state's own until restore takes them
  std::vector<int> original_fds;  // the old build's, whose watches are frozen
};

namespace tau::detail {

// Runs the plugin's snapshot hook, if it has one. nullptr when it has none, handed
// over nothing, or threw (reported against it). Loop thread.
std::unique_ptr<tau_state> take_snapshot(const loaded_plugin& plugin);

// Gives state to the new build's restore hook, or says why it is dropped (no
// restore hook; name is the plugin's, for the line). Loop thread.
void restore_snapshot(const loaded_plugin& plugin, const std::string& name, std::unique_ptr<tau_state> state);

}  // namespace tau::detail
