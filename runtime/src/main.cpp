// main.cpp: the tau host executable. Loads plugins, hands each its input, runs the
// shared loop until all their work is done, and reports what failed.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include "build_info.hpp"
#include "plugin_loader.hpp"
#include "runtime.hpp"

namespace {

using namespace tau::detail;

// Exit codes.
constexpr int exit_ok = 0;
constexpr int exit_plugin_failed = 1;  // a task failed or plugin code threw
constexpr int exit_usage = 2;
constexpr int exit_load_failed = 3;  // a plugin could not be loaded or initialized

int g_shutdown_signal = 0;

void stop_loop(void*) { uv_stop(loop()); }

// Runs after the cancels that abort_all_tasks posted; the flushes they posted run
// before stop_loop, so every aborted task is released before the loop stops.
void finish_shutdown(void*) { tau_post(stop_loop, nullptr); }

void on_shutdown_signal(int signum) {
  if (g_shutdown_signal != 0) _exit(128 + signum);  // a second signal: give up at once
  g_shutdown_signal = signum;
  std::fprintf(stderr, "tau: %s received: cancelling tasks and shutting down\n", strsignal(signum));
  abort_all_tasks();
  tau_post(finish_shutdown, nullptr);
}

void on_root_done(void* ctx, tau_task_id id, int status, const char* error) {
  auto* plugin = static_cast<loaded_plugin*>(ctx);
  if (status == TAU_TASK_FAILED) report_failure(plugin->owner, "task " + std::to_string(id) + " failed: " + error);
  tau_task_detach(id, 1);
}

bool read_input_file(const std::string& path, std::string& input) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  input.assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

int run_plugins(const std::vector<std::string>& paths, const std::string& input, const load_options& options) {
  runtime_init();
  watch_host_signal(SIGINT, on_shutdown_signal);
  watch_host_signal(SIGTERM, on_shutdown_signal);

  int exit_code = exit_ok;
  // Stable addresses: join callbacks point at the entries.
  std::vector<loaded_plugin> plugins;
  plugins.reserve(paths.size());
  for (const std::string& path : paths) {
    std::string error;
    if (auto plugin = load_plugin(path, options, error)) {
      plugins.push_back(std::move(*plugin));
    } else {
      std::fprintf(stderr, "tau: plugin '%s': %s\n", path.c_str(), error.c_str());
      exit_code = exit_load_failed;
    }
  }

  const auto* data = reinterpret_cast<const uint8_t*>(input.data());
  for (loaded_plugin& plugin : plugins) {
    tau_task_id root = 0;
    guarded_call(plugin.owner, "process", [&] { root = plugin.hooks.process(data, input.size()); });
    if (root != 0 && tau_task_join(root, on_root_done, &plugin) != 0)
      report_failure(plugin.owner, "process returned unknown task id " + std::to_string(root));
  }

  runtime_run();

  if (g_shutdown_signal == 0 && tau_task_running_count() > 0) {
    for (const running_task& t : running_tasks())
      report_failure(t.owner, "task " + std::to_string(t.id) +
                                  " never finished: nothing left on the loop could wake it");
    abort_all_tasks();  // frees their frames before the plugins go away
    runtime_run();
  }
  for (loaded_plugin& plugin : plugins) unload_plugin(plugin);
  for (const loaded_plugin& plugin : plugins)
    if (failure_count(plugin.owner) > 0 && exit_code == exit_ok) exit_code = exit_plugin_failed;
  if (failure_count(host_owner) > 0 && exit_code == exit_ok) exit_code = exit_plugin_failed;
  runtime_close();
  if (g_shutdown_signal != 0) return 128 + g_shutdown_signal;
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tau: a plugin host whose plugins share one single-threaded async runtime."};
  app.set_version_flag("--version", std::string("tau ") + tau_version());
  std::vector<std::string> plugins;
  std::string input;
  std::string input_file;
  bool info = false;
  load_options load;
  app.add_option("-p,--plugin", plugins, "Plugin to load and run (repeatable): a built shared library");
  auto* input_opt = app.add_option("--input", input, "Bytes handed to every plugin's process hook");
  app.add_option("--input-file", input_file, "Read the input bytes from a file")->excludes(input_opt);
  app.add_flag("--allow-unstamped", load.allow_unstamped,
               "Load plugins that carry no tau ABI stamp (built outside tau's plugin compiler)");
  app.add_flag("--info", info, "Describe this build: versions, compiler and flags, ABI, cache");
  app.footer(
      "Exit status: 0 all plugins finished; 1 a task failed or plugin code threw;\n"
      "2 usage error; 3 a plugin could not be loaded or initialized; 128+N on signal N.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }

  if (info) {
    print_info(stdout);
    return exit_ok;
  }
  if (plugins.empty()) {
    std::fprintf(stderr, "tau: no plugin given; use --plugin PATH (see --help)\n");
    return exit_usage;
  }
  if (!input_file.empty() && !read_input_file(input_file, input)) {
    std::fprintf(stderr, "tau: cannot read input file '%s'\n", input_file.c_str());
    return exit_usage;
  }
  return run_plugins(plugins, input, load);
}
