// main.cpp: the tau host executable. Loads plugins, hands each its input, runs the
// shared loop until all their work is done, and reports what failed.
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <algorithm>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "build_cache.hpp"
#include "build_info.hpp"
#include "control.hpp"
#include "plugin_compiler.hpp"
#include "plugin_loader.hpp"
#include "process.hpp"
#include "reload.hpp"
#include "runtime.hpp"

namespace {

using namespace tau::detail;

// Exit codes.
constexpr int exit_ok = 0;
constexpr int exit_plugin_failed = 1;  // a task failed or plugin code threw
constexpr int exit_usage = 2;
constexpr int exit_cache_unusable = 2;  // an environment error, like a usage error: nothing runs
constexpr int exit_load_failed = 3;  // a plugin could not be loaded or initialized
constexpr int exit_build_failed = 4;  // a plugin source did not build

// How long plugin threads get to end after a shutdown signal woke them. A thread
// blocked outside the shim (a synchronous accept) cannot be woken: then tau exits
// without unloading plugins, as the process would end on the signal.
constexpr uint64_t shutdown_grace_ms = 2000;

int g_shutdown_signal = 0;
reloader* g_reloader = nullptr;

void stop_loop(void*) { uv_stop(loop()); }

// Runs after the cancels that abort_all_tasks posted; the flushes they posted run
// before stop_loop, so every aborted task is released before the loop stops.
void finish_shutdown(void*) { tau_post(stop_loop, nullptr); }

// The signal's line was written where it arrived (signal.cpp), which also ends the
// process on a second one.
void on_shutdown_signal(int signum) {
  if (g_shutdown_signal != 0) _exit(128 + signum);  // a second signal: give up at once
  g_shutdown_signal = signum;
  interrupt_builds(signum);  // plugin rebuilds in flight
  begin_shutdown();
  abort_all_tasks();
  tau_post(finish_shutdown, nullptr);
}

void on_reload_signal(int) {
  if (g_reloader != nullptr) g_reloader->reload_all();
}

void on_root_done(void* ctx, tau_task_id id, int status, const char* error) {
  auto* plugin = static_cast<loaded_plugin*>(ctx);
  if (status == TAU_TASK_FAILED) report_failure(plugin->owner, "task " + std::to_string(id) + " failed: " + error);
  tau_task_detach(id, 1);
}

// Splits an --args string as a POSIX shell splits words (blanks; '...', "..." and
// backslash escapes; no expansions). nullopt when a quote is left open.
std::optional<std::vector<std::string>> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string::npos) return std::nullopt;
      word += text.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= text.size()) return std::nullopt;
        if (text[i] == '"') break;
        if (text[i] == '\\' && i + 1 < text.size() && std::strchr("\"\\$`", text[i + 1]) != nullptr) ++i;
        word += text[i];
      }
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

// Empty when the whole file was read, else why not.
std::string read_input_file(const std::string& path, std::string& input) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "is a directory";
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::strerror(errno);
  input.assign(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) return "read error";
  return {};
}

// Two --plugin arguments that name one file (dlopen would hand out one library and
// run its plugin_init twice on the same globals). Empty when all differ.
std::string find_plugin_named_twice(const std::vector<std::string>& plugins) {
  std::map<std::pair<dev_t, ino_t>, std::string> seen;
  for (const std::string& plugin : plugins) {
    struct stat st {};
    if (stat(plugin.c_str(), &st) != 0) continue;  // the loader says why it cannot be read
    auto [it, inserted] = seen.emplace(std::pair{st.st_dev, st.st_ino}, plugin);
    if (!inserted)
      return "plugin '" + plugin + "' is the same file as plugin '" + it->second +
             "': a plugin is loaded once (give it one --plugin)";
  }
  return {};
}

// Builds (or finds in the cache) every plugin that is given as source. Returns the
// libraries to load, in order; a plugin that failed to build is left out. SIGINT or
// SIGTERM stops the builds (exit_code 128+N), and so does an unusable build cache
// (exit_cache_unusable): then it returns nullopt, and nothing may run.
struct built_plugin {
  plugin_source source;
  plugin_library library;
};

std::optional<std::vector<built_plugin>> build_plugins(const std::vector<std::string>& arguments, int& exit_code) {
  interrupt_scope interrupts;
  std::vector<built_plugin> libraries;
  for (const std::string& argument : arguments) {
    plugin_source source = classify_plugin(argument);
    build_error error;
    if (auto library = compile_plugin(source, error)) {
      libraries.push_back({source, {argument, library->string(), source.kind != plugin_kind::prebuilt}});
      continue;
    }
    std::fprintf(stderr, "tau: plugin '%s': %s\n", argument.c_str(), error.message.c_str());
    if (error.kind == build_failure::interrupted) {
      exit_code = 128 + interrupt_signal();
      return std::nullopt;
    }
    if (error.kind == build_failure::cache_unusable) {
      exit_code = exit_cache_unusable;
      return std::nullopt;
    }
    if (exit_code == exit_ok) exit_code = exit_build_failed;
  }
  if (int signum = interrupt_signal(); signum != 0) {  // after the last build finished
    std::fprintf(stderr, "tau: %s received while plugins were built; none is run\n", strsignal(signum));
    exit_code = 128 + signum;
    return std::nullopt;
  }
  return libraries;
}

// Programs start one after another: the next plugin starts once this program's
// threads have all been asleep for a while (its main parked in run(), or blocked),
// or have ended, or after a limit. So a server given before its client listens
// before the client connects. The loop serves the program meanwhile.
void let_program_settle(owner_id program) {
  struct settling {
    owner_id program;
    int asleep = 0;  // checks in a row that found its threads asleep
    bool over = false;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  } s{program};
  constexpr uint64_t check_every_ms = 5;
  static constexpr int asleep_checks = 10;  // 50 ms: longer than a wait for the loop to serve it
  static constexpr auto limit = std::chrono::seconds(2);
  tau_timer_t* check = nullptr;
  tau_timer_start(
      &check, check_every_ms, check_every_ms,
      [](void* ctx) {
        auto& s = *static_cast<settling*>(ctx);
        s.asleep = threads_asleep(s.program) ? s.asleep + 1 : 0;
        s.over = s.asleep >= asleep_checks || std::chrono::steady_clock::now() - s.start >= limit;
      },
      &s);
  while (!s.over && !shutting_down()) runtime_run_once();
  tau_timer_stop(check);
}

// Descriptor watches a plugin never stopped, even in plugin_destroy: a leaked
// socket. Not a failure (the process ends anyway), but worth a line.
void report_leaked_watches() {
  std::map<owner_id, size_t> leaked;
  for (owner_id owner : open_poll_owners()) ++leaked[owner];
  for (auto [owner, count] : leaked)
    std::fprintf(stderr, "tau: plugin '%s' left %zu descriptor watch%s open after plugin_destroy (a leaked socket?); tau closes the watch%s, not the descriptor%s\n",
                 owner_name(owner).c_str(), count, count == 1 ? "" : "es", count == 1 ? "" : "es", count == 1 ? "" : "s");
}

int run_plugins(const std::vector<std::string>& arguments, const std::vector<std::optional<std::vector<std::string>>>& program_args,
                const std::string& input, const load_options& options, double watchdog_seconds, bool watch,
                const std::string& control_path, const std::string& stdin_program) {
  int exit_code = exit_ok;
  std::optional<std::vector<built_plugin>> libraries = build_plugins(arguments, exit_code);
  if (!libraries) return exit_code;
  runtime_init();
  watchdog_start(static_cast<uint64_t>(watchdog_seconds * 1000));
  watch_host_signal(SIGINT, on_shutdown_signal);
  watch_host_signal(SIGTERM, on_shutdown_signal);
  watch_host_signal(SIGHUP, on_reload_signal, false);

  // Stable addresses (a deque grows without moving its entries): join callbacks
  // point at the entries, and so does a reload.
  std::deque<plugin_slot> plugins;
  bool may_run = true;
  for (const built_plugin& built : *libraries) {
    std::string error;
    if (auto plugin = load_plugin(built.library, options, error)) {
      plugin_slot& slot = plugins.emplace_back();
      slot.argument = built.library.name;
      slot.source = built.source;
      slot.loaded = std::move(*plugin);
      size_t index = std::find(arguments.begin(), arguments.end(), slot.argument) - arguments.begin();
      if (index < program_args.size() && program_args[index]) slot.args = *program_args[index];
      if (!slot.loaded.program && index < program_args.size() && program_args[index]) {
        std::fprintf(stderr,
                     "tau: plugin '%s' is not a program (it defines plugin_init): it takes --input, not arguments "
                     "(--args, or after --); nothing is run\n",
                     slot.argument.c_str());
        exit_code = exit_usage;
        may_run = false;
      }
    } else {
      std::fprintf(stderr, "tau: plugin '%s': %s\n", built.library.name.c_str(), error.c_str());
      if (exit_code == exit_ok) exit_code = exit_load_failed;
    }
  }

  reloader reload(plugins, input, options, on_root_done);
  g_reloader = &reload;
  // tau's stdin goes to one program: the one --stdin names, or the only one there is.
  if (may_run && !stdin_program.empty()) {
    std::string error;
    plugin_slot* chosen = reload.find(stdin_program, error);
    if (chosen != nullptr && !chosen->loaded.program)
      error = "plugin '" + chosen->argument + "' is not a program (it defines plugin_init)";
    if (chosen == nullptr || !error.empty()) {
      std::fprintf(stderr, "tau: --stdin %s: %s; nothing is run\n", stdin_program.c_str(), error.c_str());
      exit_code = exit_usage;
      may_run = false;
    } else {
      chosen->reads_stdin = true;
    }
  } else if (std::count_if(plugins.begin(), plugins.end(), [](const plugin_slot& s) { return s.loaded.program; }) == 1) {
    std::find_if(plugins.begin(), plugins.end(), [](const plugin_slot& s) { return s.loaded.program; })->reads_stdin =
        true;
  }
  // Listening before the plugins start: a tool may connect as soon as the line is out.
  control_socket control(reload, control_path);
  if (!control_path.empty() && may_run) {
    if (std::string problem = control.listen(); !problem.empty()) {
      std::fprintf(stderr, "tau: cannot listen on control socket '%s': %s; no plugin is run\n",
                   control_path.c_str(), problem.c_str());
      exit_code = exit_usage;
      may_run = false;
    } else {
      std::fprintf(stderr, "tau: control socket %s (commands: list, reload NAME, unload NAME, load PATH)\n",
                   control_path.c_str());
    }
  }
  for (plugin_slot& slot : plugins) {
    if (shutting_down() || !may_run) break;  // a signal arrived while an earlier process hook ran
    reload.start(slot);
    if (slot.loaded.program && &slot != &plugins.back()) let_program_settle(slot.loaded.owner);
  }
  if (watch && may_run && !shutting_down()) reload.watch();

  // A signal that arrived inside a process hook already stopped the loop once.
  if (may_run && !shutting_down()) runtime_run();
  if (g_shutdown_signal != 0 && !join_plugin_threads(shutdown_grace_ms)) {
    for (owner_id owner : running_thread_owners())
      report_failure(owner, "a thread of this plugin was still running " + std::to_string(shutdown_grace_ms / 1000) +
                                " s after shutdown (blocked outside the Asio shim?); exiting without unloading plugins");
    std::fflush(nullptr);
    _exit(128 + g_shutdown_signal);
  }

  if (g_shutdown_signal == 0 && tau_task_running_count() > 0) {
    for (const running_task& t : running_tasks())
      report_failure(t.owner, "task " + std::to_string(t.id) +
                                  " never finished: nothing left on the loop could wake it");
    abort_all_tasks();  // frees their frames before the plugins go away
    runtime_run();
  }
  g_reloader = nullptr;
  for (plugin_slot& slot : plugins) destroy_plugin(slot.loaded);
  // plugin_destroy may leave callbacks posted (objects it destroyed cancel their
  // operations) and blocking jobs may still run plugin code: both finish, and every
  // task record lets go of its plugin state, before any library is unmapped.
  runtime_quiesce();
  report_leaked_watches();
  for (owner_id owner : reload.owners())
    if (failure_count(owner) > 0 && exit_code == exit_ok) exit_code = exit_plugin_failed;
  if (failure_count(host_owner) > 0 && exit_code == exit_ok) exit_code = exit_plugin_failed;
  // When every plugin is a program, tau ends as a program would: with the first
  // non-zero status a main returned (its line named it), or 0.
  bool all_programs = !plugins.empty() && may_run &&
                      std::all_of(plugins.begin(), plugins.end(), [](const plugin_slot& s) { return s.loaded.program; });
  if (all_programs && (exit_code == exit_ok || exit_code == exit_plugin_failed)) {
    for (const program_exit& e : program_exits())
      if (e.status != 0) {
        exit_code = e.status;
        break;
      }
  }
  runtime_close();
  watchdog_stop();
  for (plugin_slot& slot : plugins) close_plugin_library(slot.loaded);
  close_refused_plugin_libraries();
  if (g_shutdown_signal != 0) return 128 + g_shutdown_signal;
  return exit_code;
}

int clean_cache(const std::vector<std::string>& sources) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (sources.empty()) {
    fs::path root = build_cache_root();
    fs::remove_all(root, ec);
    if (ec) {
      std::fprintf(stderr, "tau: cannot remove %s: %s\n", root.c_str(), ec.message().c_str());
      return exit_plugin_failed;
    }
    std::fprintf(stderr, "tau: removed the build cache %s\n", root.c_str());
    return exit_ok;
  }
  for (const std::string& source : sources) {
    plugin_source plugin = classify_plugin(source);
    if (plugin.kind == plugin_kind::prebuilt) {
      std::fprintf(stderr, "tau: plugin '%s': not a plugin source; nothing to clean\n", source.c_str());
      continue;
    }
    fs::path dir;
    try {
      dir = cache_entry(plugin.path, host_fingerprint()).dir();
    } catch (const cache_unusable& e) {
      std::fprintf(stderr, "tau: plugin '%s': %s\n", source.c_str(), e.what());
      return exit_cache_unusable;
    }
    fs::remove_all(dir, ec);
    std::fprintf(stderr, "tau: removed %s\n", dir.c_str());
  }
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  install_crash_reports();
  CLI::App app{"tau: a plugin host whose plugins share one single-threaded async runtime."};
  app.set_version_flag("--version", std::string("tau ") + tau_version());
  std::vector<std::string> plugins;
  std::string input;
  std::string input_file;
  bool info = false;
  load_options load;
  app.add_option("-p,--plugin", plugins,
                 "Plugin to load and run (repeatable): a CMake project directory, a C++ source file (.cpp, .cc, "
                 ".cxx, .c++) or a built shared library");
  auto* input_opt = app.add_option("--input", input, "Bytes handed to every plugin's process hook");
  std::vector<std::string> args_strings;
  auto* args_opt = app.add_option("--args", args_strings,
                                  "Arguments for the program given by the --plugin just before it, split as a shell "
                                  "splits words (a program is a source that defines main and no plugin_init)")
                       ->option_text("\"ARG...\"");
  app.add_option("--input-file", input_file, "Read the input bytes from a file")->excludes(input_opt);
  app.add_flag("--allow-unstamped", load.allow_unstamped,
               "Load plugins that carry no tau ABI stamp (built outside tau's plugin compiler)");
  double watchdog_seconds = 10;
  app.add_option("--watchdog", watchdog_seconds,
                 "Report a plugin callback that keeps the loop for SECONDS without returning, and again every "
                 "SECONDS while it does; a shutdown signal then exits at once (0: off)")
      ->option_text("SECONDS (default 10)")
      ->check(CLI::NonNegativeNumber);
  std::string control_path;
  app.add_option("--control", control_path,
                 "Listen on a Unix socket at PATH for commands, one per line: list, reload NAME, unload NAME, load "
                 "PATH. Runs until SIGINT/SIGTERM")
      ->option_text("PATH");
  bool watch = false;
  app.add_flag("--watch", watch,
               "Watch the sources of plugins given as source; when they change, rebuild (off the loop thread) and "
               "swap the plugin while the others keep running. Runs until SIGINT/SIGTERM");
  app.add_flag("--info", info, "Describe this build: versions, compiler and flags, ABI, cache");
  bool json = false;
  app.add_flag("--json", json,
               "With --info: one JSON object for tools, with the flags a plugin built without CMake "
               "needs (plugin_cflags, plugin_ldflags)")
      ->needs("--info");
  app.footer(
      "A plugin is a CMake project directory, a single C++ source file (both compiled with\n"
      "this host's compiler and flags, cached in the build cache), or a built shared library.\n"
      "A source that defines main and no plugin_init is a program: its main runs on a\n"
      "thread of its own, its handlers on the loop; `tau --plugin PROG -- ARG...` (or\n"
      "--args \"ARG...\" after its --plugin) gives it arguments.\n"
      "SIGHUP (and, with --watch, a change to their sources) rebuilds the source plugins\n"
      "off the loop thread and swaps those that changed, while the others keep running.\n"
      "With --control PATH, tools send commands to the socket (e.g. `echo 'reload NAME' |\n"
      "socat - UNIX-CONNECT:PATH`): each answer's last line starts with ok or error:.\n\n"
      "Exit status: 0 all plugins finished; 1 a task failed or plugin code threw;\n"
      "2 usage error, or the build cache is unusable; 3 a plugin could not be loaded or\n"
      "initialized; 4 a plugin did not build; 128+N on signal N. A second SIGINT/SIGTERM\n"
      "exits at once (128+N), without unloading plugins. A crash or exit() in plugin code\n"
      "is reported naming the plugin; the status stays the crash's (139 SIGSEGV, 134\n"
      "SIGABRT, ...) or exit()'s.");
  std::optional<std::vector<std::string>> trailing_args;
  std::string stdin_program;
  app.add_option("--stdin", stdin_program,
                 "The program that reads tau's stdin when several run (the only one does anyway); the others read "
                 "end-of-file from std::cin")
      ->option_text("NAME");
  std::vector<std::string> build_sources;
  auto* build = app.add_subcommand("build", "Compile plugin sources into the build cache without running them");
  build->add_option("source", build_sources, "CMake project directory or C++ source file")->required();
  std::vector<std::string> clean_sources;
  auto* clean = app.add_subcommand("clean", "Remove the build cache, or only the entries of the given sources");
  clean->add_option("source", clean_sources, "Plugin sources whose builds to remove");
  try {
    // What follows `--` goes to the last --plugin, a program, as its arguments.
    int own_argc = argc;
    for (int i = 1; i < argc; ++i)
      if (std::strcmp(argv[i], "--") == 0) {
        own_argc = i;
        trailing_args.emplace(argv + i + 1, argv + argc);
        break;
      }
    app.parse(own_argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }

  if (info) {
    json ? print_info_json(stdout) : print_info(stdout);
    return exit_ok;
  }
  if (*build) {
    int exit_code = exit_ok;
    auto libraries = build_plugins(build_sources, exit_code);
    if (!libraries) return exit_code;
    // What --plugin would refuse before loading is refused here too; what only
    // loading shows (plugin_init's answer, missing tau_* symbols) is not checked, as
    // loading runs the plugin's static constructors.
    for (const auto& [source, library] : *libraries) {
      std::string error;
      if (check_plugin_library(library, load, error)) {
        std::printf("%s\n", library.path.c_str());
      } else {
        std::fprintf(stderr, "tau: plugin '%s': %s\n", library.name.c_str(), error.c_str());
        if (exit_code == exit_ok) exit_code = exit_load_failed;
      }
    }
    return exit_code;
  }
  if (*clean) return clean_cache(clean_sources);
  if (plugins.empty() && control_path.empty()) {
    std::fprintf(stderr, "tau: no plugin given; use --plugin PATH (see --help)\n");
    return exit_usage;
  }
  // Each program's arguments: --args after its --plugin, or what follows `--` for the last one.
  std::vector<std::optional<std::vector<std::string>>> program_args(plugins.size());
  {
    size_t plugin_index = 0, args_index = 0;
    for (const CLI::Option* option : app.parse_order()) {
      if (option->get_name() == "--plugin") ++plugin_index;
      if (option != args_opt) continue;
      const std::string& text = args_strings[args_index++];
      if (plugin_index == 0) {
        std::fprintf(stderr, "tau: --args \"%s\" comes before any --plugin; give it right after the program's --plugin\n",
                     text.c_str());
        return exit_usage;
      }
      if (program_args[plugin_index - 1]) {
        std::fprintf(stderr, "tau: plugin '%s' is given --args twice\n", plugins[plugin_index - 1].c_str());
        return exit_usage;
      }
      auto words = split_words(text);
      if (!words) {
        std::fprintf(stderr, "tau: --args \"%s\": a quote is not closed\n", text.c_str());
        return exit_usage;
      }
      program_args[plugin_index - 1] = std::move(*words);
    }
    if (trailing_args) {
      if (plugins.empty()) {
        std::fprintf(stderr, "tau: arguments after -- are for a program, but no --plugin is given\n");
        return exit_usage;
      }
      if (program_args.back()) {
        std::fprintf(stderr, "tau: plugin '%s' is given both --args and arguments after --\n", plugins.back().c_str());
        return exit_usage;
      }
      program_args.back() = std::move(*trailing_args);
    }
  }
  if (std::string twice = find_plugin_named_twice(plugins); !twice.empty()) {
    std::fprintf(stderr, "tau: %s\n", twice.c_str());
    return exit_usage;
  }
  if (!input_file.empty()) {
    if (std::string problem = read_input_file(input_file, input); !problem.empty()) {
      std::fprintf(stderr, "tau: cannot read input file '%s': %s\n", input_file.c_str(), problem.c_str());
      return exit_usage;
    }
  }
  if (!control_path.empty()) {
    if (std::string problem = check_control_path(control_path); !problem.empty()) {
      std::fprintf(stderr, "tau: cannot use control socket '%s': %s\n", control_path.c_str(), problem.c_str());
      return exit_usage;
    }
  }
  return run_plugins(plugins, program_args, input, load, watchdog_seconds, watch, control_path, stdin_program);
}
