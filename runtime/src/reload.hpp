// reload.hpp: rebuild source plugins and swap them in while the loop runs the
// others (SIGHUP, and --watch when their inputs change).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "plugin_compiler.hpp"
#include "plugin_loader.hpp"
#include "plugin_unload.hpp"

namespace tau::detail {

// A plugin the host runs: what the user named, and what is loaded for it now.
struct plugin_slot {
  std::string argument;
  plugin_source source;
  loaded_plugin loaded;  // library == nullptr while it is swapped, or after it failed to load
  std::pair<dev_t, ino_t> loaded_file{};  // the library file loaded (a rebuild that is a cache hit finds it)
  bool reloading = false;
  bool rebuild_again = false;  // asked while a rebuild ran
  std::thread build;
  std::chrono::steady_clock::time_point asked;
  double build_seconds = 0;
  std::vector<std::filesystem::path> inputs;  // watched (--watch)
  tau_timer_t* debounce = nullptr;
  class reloader* reloads = nullptr;  // for the debounce timer's callback
};

class reloader {
 public:
  // slots must outlive the reloader and keep their addresses. Every plugin loaded
  // (the first time and after each swap) gets input and is joined with on_root_done.
  reloader(std::vector<plugin_slot>& slots, const std::string& input, const load_options& options,
           tau_join_cb on_root_done);
  ~reloader();  // joins builds still running (an interrupted build ends quickly)

  // Rebuilds every source plugin off the loop thread; those whose library changed
  // are unloaded and loaded again, one line each. Loop thread.
  void reload_all();
  // Runs a loaded plugin's process hook and joins its root task.
  void start(plugin_slot& slot);
  // Owners of every plugin started so far, for the exit status.
  const std::vector<owner_id>& owners() const { return owners_; }
  // Watches the inputs of every source plugin (the files its build cache entry
  // records): a change rebuilds and swaps that plugin, debounced. The watches keep
  // the loop running until a shutdown signal. Loop thread.
  void watch();

 private:
  void rebuild(plugin_slot& slot);
  static void on_built(void* ctx);
  void swap(plugin_slot& slot, std::filesystem::path library, std::function<void()> done);
  void watch_inputs();
  void changed(const std::filesystem::path& file);
  static void on_settled(void* ctx);

  std::vector<plugin_slot>& slots_;
  const std::string& input_;
  load_options options_;
  tau_join_cb on_root_done_;
  std::vector<owner_id> owners_;
  bool watching_ = false;
  std::vector<handle_wrapper*> directory_watches_;
};

}  // namespace tau::detail
