// reload.cpp: rebuild plugins and swap them in while the loop runs the others. The
// build runs on a thread of the host's own (the loop thread never compiles); the
// swap (snapshot, unload, load, restore, process) runs on the loop.
#include "reload.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <optional>
#include <sstream>
#include <utility>

namespace tau::detail {
namespace {

// How long a plugin's tasks, threads and blocking jobs get to end before its old
// build is unloaded; one that takes longer keeps running.
constexpr uint64_t unload_grace_ms = 2000;
// A save is often several events (an editor writes a temporary file, renames it,
// changes its mode); the rebuild starts once the inputs have been quiet this long.
constexpr uint64_t settle_ms = 150;

// One watched directory (uv_fs_event watches a directory's entries, which sees an
// editor's write-and-rename; a watch on the file would lose the replaced inode).
struct directory_watch : handle_wrapper {
  uv_fs_event_t handle{};
  std::filesystem::path dir;
  std::function<void(const std::filesystem::path&)> changed;
  void stop() override {
    uv_fs_event_stop(&handle);
    close_wrapped(this, &handle);
  }
};

void on_directory_event(uv_fs_event_t* handle, const char* filename, int, int status) {
  auto* w = wrapper_of<directory_watch>(handle->data);
  if (status == 0 && filename != nullptr) w->changed(w->dir / filename);
}

struct build_result {
  reloader* self;
  plugin_slot* slot;
  std::optional<std::filesystem::path> library;
  build_error error;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::pair<dev_t, ino_t> file_id(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}

// "2 timers and 1 descriptor watch"
std::string describe(const std::vector<const char*>& kinds) {
  std::map<std::string, size_t> counts;
  for (const char* kind : kinds) ++counts[kind];
  std::string text;
  size_t i = 0;
  for (const auto& [kind, count] : counts) {
    if (i > 0) text += ++i == counts.size() ? " and " : ", ";
    else ++i;
    text += std::to_string(count) + " " + kind;
    if (count > 1) text += kind.back() == 'h' ? "es" : "s";
  }
  return text;
}

std::string format(const char* fmt, auto... args) {
  char line[512];
  std::snprintf(line, sizeof line, fmt, args...);
  return line;
}

// What a command may call a plugin besides its --plugin argument: the file name,
// and that without its extension (and "lib", for a library): "server" for
// "src/server.cpp", "hello" for "build/libhello.so" and "plugins/hello/".
std::vector<std::string> short_names(const std::string& argument) {
  std::filesystem::path path(argument);
  if (!path.has_filename()) path = path.parent_path();
  std::string file = path.filename().string();
  std::string stem = path.stem().string();
  if (path.extension() == ".so" && stem.starts_with("lib") && stem.size() > 3) stem = stem.substr(3);
  return {file, stem};
}

// Lines about how an unload went that are worth a user's attention.
void report_unload(const plugin_slot& slot, const unload_report& report) {
  if (!report.closed_handles.empty())
    std::fprintf(stderr, "tau: plugin '%s' left %s open after plugin_destroy; tau closed %s\n", slot.argument.c_str(),
                 describe(report.closed_handles).c_str(), report.closed_handles.size() == 1 ? "it" : "them");
  if (!report.unmapped)
    std::fprintf(stderr, "tau: plugin '%s': the old build is still mapped after dlclose: %s\n", slot.argument.c_str(),
                 report.still_mapped_reason.c_str());
}

}  // namespace

reloader::reloader(std::deque<plugin_slot>& slots, const std::string& input, const load_options& options,
                   tau_join_cb on_root_done)
    : slots_(slots), input_(input), options_(options), on_root_done_(on_root_done) {}

reloader::~reloader() {
  for (plugin_slot& slot : slots_)
    if (slot.build.joinable()) slot.build.join();
  // The directory watches and debounce timers go with the loop (runtime_close).
}

void reloader::start(plugin_slot& slot) {
  loaded_plugin& plugin = slot.loaded;
  slot.loaded_file = file_id(plugin.path);
  owners_.push_back(plugin.owner);
  // A program gets, NUL-separated, whether it reads tau's stdin, then its argv: its
  // name, then its arguments (runtime/plugin/program_adapter.cpp).
  // Its name: a single source's, or the library's (a CMake project's executable target).
  std::string name = short_names(slot.source.kind == plugin_kind::single_file ? slot.argument : plugin.path)[1];
  std::string argv = (slot.reads_stdin ? "stdin" : "-") + std::string(1, '\0') + name;
  for (const std::string& arg : slot.args) argv += '\0' + arg;
  const std::string& input = plugin.program ? argv : input_;
  const auto* data = reinterpret_cast<const uint8_t*>(input.data());
  tau_task_id root = 0;
  guarded_call(plugin.owner, "process", [&] { root = plugin.hooks.process(data, input.size()); });
  if (root != 0 && tau_task_join(root, on_root_done_, &plugin) != 0)
    report_failure(plugin.owner, "process returned unknown task id " + std::to_string(root));
}

void reloader::reload_all() {
  size_t sources = 0;
  for (const plugin_slot& slot : slots_) sources += slot.source.kind != plugin_kind::prebuilt && !slot.unloaded;
  std::fprintf(stderr, "tau: SIGHUP: rebuilding %zu source plugin%s\n", sources, sources == 1 ? "" : "s");
  for (plugin_slot& slot : slots_)
    if (slot.source.kind != plugin_kind::prebuilt && !slot.unloaded) rebuild(slot);
}

void reloader::rebuild(plugin_slot& slot) {
  if (slot.busy) {
    slot.rebuild_again = true;
    return;
  }
  slot.busy = true;
  slot.asked = std::chrono::steady_clock::now();
  if (slot.build.joinable()) slot.build.join();  // the last build's thread, done
  tau_loop_hold();  // the loop waits for the build
  slot.build = std::thread([this, &slot] {
    auto* result = new build_result{this, &slot, {}, {}};
    result->library = compile_plugin(slot.source, result->error);
    if (tau_post(on_built, result) != 0) delete result;  // the host is closing
  });
}

void reloader::on_built(void* ctx) {
  std::unique_ptr<build_result> result(static_cast<build_result*>(ctx));
  plugin_slot& slot = *result->slot;
  reloader& self = *result->self;
  tau_loop_release();
  slot.build_seconds = seconds_since(slot.asked);
  auto done = [&self, &slot](bool ok, const std::string& text) {
    slot.busy = false;
    slot.force_swap = false;
    for (const reply_fn& reply : std::exchange(slot.replies, {})) reply(ok, text);
    if (std::exchange(slot.rebuild_again, false)) self.rebuild(slot);
    else if (self.watching_) self.watch_inputs();  // a build may read other files now
  };
  if (shutting_down()) return;
  if (!result->library) {
    // As at startup when nothing runs; else the running build stays.
    std::string text = slot.loaded.library != nullptr ? "rebuild failed: " + result->error.message : result->error.message;
    std::fprintf(stderr, "tau: plugin '%s': %s%s\n", slot.argument.c_str(), text.c_str(),
                 slot.loaded.library != nullptr ? "; the running build stays" : "");
    return done(false, text);
  }
  if (!slot.force_swap && slot.loaded.library != nullptr && file_id(result->library->string()) == slot.loaded_file) {
    std::fprintf(stderr, "tau: plugin '%s': unchanged\n", slot.argument.c_str());
    return done(true, "unchanged");
  }
  self.swap(slot, *result->library, std::move(done));
}

void reloader::watch() {
  watching_ = true;
  watch_inputs();
  size_t files = 0, plugins = 0;
  for (const plugin_slot& slot : slots_) {
    files += slot.inputs.size();
    plugins += !slot.inputs.empty();
  }
  std::fprintf(stderr, "tau: watching %zu files of %zu source plugin%s for changes\n", files, plugins,
               plugins == 1 ? "" : "s");
}

// Watches stay across rebuilds (a save during the swap is not missed); only the
// directories that came or went change.
void reloader::watch_inputs() {
  std::set<std::filesystem::path> dirs;
  for (plugin_slot& slot : slots_) {
    slot.inputs = slot.unloaded ? std::vector<std::filesystem::path>{} : plugin_inputs(slot.source);
    for (const auto& file : slot.inputs) dirs.insert(file.parent_path());
  }
  std::erase_if(directory_watches_, [&dirs](handle_wrapper* h) {
    auto* w = static_cast<directory_watch*>(h);
    if (dirs.erase(w->dir) > 0) return false;  // still wanted, and already watched
    w->stop();
    return true;
  });
  for (const auto& dir : dirs) {
    auto* w = new directory_watch;
    w->dir = dir;
    w->changed = [this](const std::filesystem::path& file) { changed(file); };
    uv_fs_event_init(loop(), &w->handle);
    w->handle.data = static_cast<handle_wrapper*>(w);
    if (int err = uv_fs_event_start(&w->handle, on_directory_event, dir.c_str(), 0); err != 0) {
      std::fprintf(stderr, "tau: cannot watch %s: %s\n", dir.c_str(), uv_strerror(err));
      close_wrapped(w, &w->handle);
      continue;
    }
    directory_watches_.push_back(w);
  }
}

void reloader::changed(const std::filesystem::path& file) {
  for (plugin_slot& slot : slots_) {
    if (std::find(slot.inputs.begin(), slot.inputs.end(), file) == slot.inputs.end()) continue;
    owner_scope host(host_owner);
    if (slot.debounce == nullptr) tau_timer_start(&slot.debounce, settle_ms, 0, on_settled, &slot);
    else tau_timer_restart(slot.debounce, settle_ms, 0);
    slot.reloads = this;
  }
}

void reloader::on_settled(void* ctx) {
  auto* slot = static_cast<plugin_slot*>(ctx);
  if (slot->unloaded) return;
  std::fprintf(stderr, "tau: plugin '%s': its sources changed; rebuilding\n", slot->argument.c_str());
  slot->reloads->rebuild(*slot);
}

void reloader::swap(plugin_slot& slot, std::filesystem::path library,
                    std::function<void(bool, const std::string&)> done) {
  auto start = std::chrono::steady_clock::now();
  auto load_new = [this, &slot, library, start, done](const unload_report* report) {
    if (report != nullptr && report->refused) {
      thaw_descriptor_watches(slot.loaded.owner);
      slot.handing_over.reset();
      std::fprintf(stderr, "tau: plugin '%s': not reloaded: the running build did not wind down (%s); it keeps running\n",
                   slot.argument.c_str(), report->refusal.c_str());
      return done(false, "not reloaded: the running build did not wind down (" + report->refusal + ")");
    }
    if (report != nullptr) report_unload(slot, *report);
    std::string error;
    auto plugin = load_plugin({slot.argument, library.string(), slot.source.kind != plugin_kind::prebuilt},
                              options_, error);
    if (!plugin) {
      std::fprintf(stderr, "tau: plugin '%s': the new build does not load: %s\n", slot.argument.c_str(), error.c_str());
      slot.loaded = {};
      slot.handing_over.reset();
      return done(false, (report != nullptr ? "the new build does not load: " : "does not load: ") + error);
    }
    slot.loaded = std::move(*plugin);
    restore_snapshot(slot.loaded, slot.argument, std::move(slot.handing_over));
    double swap_ms = seconds_since(start) * 1000;
    this->start(slot);
    std::string text = report != nullptr ? format("reloaded: build %.1f s, swap %.0f ms", slot.build_seconds, swap_ms)
                                         : format("loaded: build %.1f s, load %.0f ms", slot.build_seconds, swap_ms);
    std::fprintf(stderr, "tau: plugin '%s' %s\n", slot.argument.c_str(), text.c_str());
    done(true, text);
  };
  if (slot.loaded.library == nullptr) return load_new(nullptr);
  slot.handing_over = take_snapshot(slot.loaded);
  unload_plugin(slot.loaded, unload_grace_ms, [load_new](const unload_report& report) { load_new(&report); });
}

std::string reloader::list() const {
  std::string text;
  for (const plugin_slot& slot : slots_) {
    const char* state = slot.busy                         ? "busy"
                        : slot.unloaded                   ? "unloaded"
                        : slot.loaded.library != nullptr ? "loaded"
                                                          : "failed";
    text += slot.argument + "\t" + state + "\t" + (slot.loaded.library != nullptr ? slot.loaded.path : "-") + "\n";
  }
  return text + std::to_string(slots_.size()) + (slots_.size() == 1 ? " plugin" : " plugins");
}

plugin_slot* reloader::find(const std::string& name, std::string& error) {
  for (plugin_slot& slot : slots_)
    if (slot.argument == name) return &slot;
  std::vector<plugin_slot*> matches;
  std::string names;
  for (plugin_slot& slot : slots_) {
    auto shorts = short_names(slot.argument);
    if (std::find(shorts.begin(), shorts.end(), name) != shorts.end()) matches.push_back(&slot);
    names += (names.empty() ? "" : ", ") + slot.argument;
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) error = "no plugin named '" + name + "' (plugins: " + (names.empty() ? "none" : names) + ")";
  else error = "'" + name + "' names " + std::to_string(matches.size()) + " plugins: give the path as --plugin did";
  return nullptr;
}

void reloader::reload(plugin_slot& slot, reply_fn reply) {
  if (slot.unloaded) return reply(false, "plugin '" + slot.argument + "' is unloaded (load it with: load " + slot.argument + ")");
  slot.replies.push_back(std::move(reply));
  slot.force_swap = true;
  rebuild(slot);  // after a rebuild in flight, when one runs
}

void reloader::unload(plugin_slot& slot, reply_fn reply) {
  if (slot.busy) return reply(false, "plugin '" + slot.argument + "' is being rebuilt or swapped; try again after that");
  if (slot.loaded.library == nullptr) return reply(false, "plugin '" + slot.argument + "' is not loaded");
  slot.busy = true;
  unload_plugin(slot.loaded, unload_grace_ms, [this, &slot, reply](const unload_report& report) {
    slot.busy = false;
    if (report.refused) {
      std::fprintf(stderr, "tau: plugin '%s': not unloaded: it did not wind down (%s); it keeps running\n",
                   slot.argument.c_str(), report.refusal.c_str());
      return reply(false, "not unloaded: it did not wind down (" + report.refusal + ")");
    }
    report_unload(slot, report);
    slot.unloaded = true;
    std::string text = format("unloaded in %.0f ms", report.seconds * 1000);
    std::fprintf(stderr, "tau: plugin '%s' %s\n", slot.argument.c_str(), text.c_str());
    if (watching_) watch_inputs();
    reply(true, text);
  });
}

void reloader::load(const std::string& argument, reply_fn reply) {
  auto id = file_id(argument);
  for (plugin_slot& slot : slots_) {
    if (slot.argument != argument && (id == std::pair<dev_t, ino_t>{} || file_id(slot.argument) != id)) continue;
    if (slot.busy || slot.loaded.library != nullptr)
      return reply(false, "plugin '" + slot.argument + "' is already loaded (reload it with: reload " + slot.argument + ")");
    slot.unloaded = false;
    slot.replies.push_back(std::move(reply));
    return rebuild(slot);
  }
  plugin_slot& slot = slots_.emplace_back();
  slot.argument = argument;
  slot.source = classify_plugin(argument);
  slot.replies.push_back(std::move(reply));
  rebuild(slot);
}

}  // namespace tau::detail
