// reload.hpp: rebuild plugins and swap them in while the loop runs the others
// (SIGHUP, --watch when their inputs change, and the control socket's commands).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "plugin_compiler.hpp"
#include "plugin_loader.hpp"
#include "plugin_state.hpp"
#include "plugin_unload.hpp"

namespace tau::detail {

// The answer to a command: ok, and what to say (one line, or several).
using reply_fn = std::function<void(bool ok, const std::string& text)>;

// A plugin the host runs: what the user named, and what is loaded for it now.
struct plugin_slot {
  std::string argument;
  std::vector<std::string> args;  // a program's arguments (argv[1...])
  bool reads_stdin = false;       // the program that reads tau's stdin (--stdin)
  plugin_source source;
  loaded_plugin loaded;  // library == nullptr while it is swapped, after it failed to load, or unloaded
  std::pair<dev_t, ino_t> loaded_file{};  // the library file loaded (a rebuild that is a cache hit finds it)
  bool unloaded = false;                   // by the control socket's unload: not rebuilt, not watched
  bool busy = false;                       // a rebuild, swap or unload runs
  bool rebuild_again = false;              // a rebuild asked while one ran
  bool force_swap = false;                 // swap even when the build is unchanged (reload NAME)
  std::vector<reply_fn> replies;           // told when the running rebuild and swap are over
  std::unique_ptr<tau_state> handing_over;  // the old build's snapshot, for the new one's restore
  std::thread build;
  std::chrono::steady_clock::time_point asked;
  double build_seconds = 0;
  std::vector<std::filesystem::path> inputs;  // watched (--watch)
  tau_timer_t* debounce = nullptr;
  class reloader* reloads = nullptr;  // for the debounce timer's callback
};

class reloader {
 public:
  // slots must outlive the reloader (a deque: entries keep their addresses as it
  // grows). Every plugin loaded (the first time and after each swap) gets input and
  // is joined with on_root_done.
  reloader(std::deque<plugin_slot>& slots, const std::string& input, const load_options& options,
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

  // The control socket's commands. Loop thread; reply runs on the loop thread once
  // the command is over (a build and a swap can take a while).
  // One line per plugin: its name, state and library.
  std::string list() const;
  // The plugin a command names: the --plugin argument, or its file name, or its
  // name without the extension and a "lib" prefix, when that is unique. nullptr and
  // why not otherwise.
  plugin_slot* find(const std::string& name, std::string& error);
  // Rebuilds (a source) and swaps it, even when its build is unchanged.
  void reload(plugin_slot& slot, reply_fn reply);
  // Unloads it; it stays listed, and `load` with its argument loads it again.
  void unload(plugin_slot& slot, reply_fn reply);
  // Builds (a source) and loads a plugin, as --plugin would.
  void load(const std::string& argument, reply_fn reply);

 private:
  void rebuild(plugin_slot& slot);
  static void on_built(void* ctx);
  void swap(plugin_slot& slot, std::filesystem::path library, std::function<void(bool, const std::string&)> done);
  void watch_inputs();
  void changed(const std::filesystem::path& file);
  static void on_settled(void* ctx);

  std::deque<plugin_slot>& slots_;
  const std::string& input_;
  load_options options_;
  tau_join_cb on_root_done_;
  std::vector<owner_id> owners_;
  bool watching_ = false;
  std::vector<handle_wrapper*> directory_watches_;
};

}  // namespace tau::detail
