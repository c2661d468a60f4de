"""Loading plugins: good ones run, also beside bad ones (the bad ones themselves are
in bad_input/)."""
import time

EXIT_PLUGIN_FAILED = 1
EXIT_LOAD_FAILED = 3


def test_hello_prints_after_its_sleep(tau):
    start = time.monotonic()
    r = tau.run("--plugin", tau.plugin("hello"))
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from plugin!\n"
    assert elapsed >= 0.1  # it sleeps 100 ms before printing


def test_good_plugin_beside_bad_ones_still_runs(tau):
    r = tau.run("--plugin", tau.test_plugin("init_fails"), "--plugin", tau.plugin("hello"),
                "--plugin", tau.test_plugin("task_throws"))
    assert r.stdout == "Hello from plugin!\n"
    assert r.returncode == EXIT_LOAD_FAILED  # the load failure is the first that counts
    assert "plugin_init failed with code 7" in r.stderr
    assert "deliberate failure in task" in r.stderr


def test_good_plugin_beside_a_failing_task(tau):
    r = tau.run("--plugin", tau.plugin("hello"), "--plugin", tau.test_plugin("task_throws"))
    assert r.stdout == "Hello from plugin!\n"
    assert r.returncode == EXIT_PLUGIN_FAILED


def test_only_the_loop_thread_runs_plugin_code(tau):
    r = tau.run("--plugin", tau.test_plugin("thread_probe"))
    assert r.returncode == 0, r.stderr
    assert "on_loop=7 off_loop=0 blocking_job_on_loop=0" in r.stdout
    assert "after destroy: on_loop=8 off_loop=0" in r.stdout


def test_the_seeds_plain_entry_points_load(tau, env, tmp_path):
    # No TAU_PLUGIN_EXPORT: plugin.h declares both with default visibility, so these
    # definitions are exported although plugins build with -fvisibility=hidden.
    source = tmp_path / "seed_style.cpp"
    source.write_text("""
#include <tau/plugin.h>
#include <cstdio>
static tau_task_id process(const uint8_t*, size_t) { std::printf("seed-style plugin ran\\n"); return 0; }
extern "C" int plugin_init(PluginHooks* hooks) { hooks->process = process; return 0; }
extern "C" void plugin_destroy() { std::printf("seed-style plugin destroyed\\n"); }
""")
    r = tau.run_plugins(env, source)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "seed-style plugin ran\nseed-style plugin destroyed\n"



def test_a_plugin_that_starts_no_thread_runs_in_a_single_threaded_process(tau, env, tmp_path):
    # The watchdog is a process, not a thread (watchdog.cpp): so glibc keeps its
    # single-threaded fast paths (malloc, mutexes, shared_ptr counts) for the plugin.
    source = tmp_path / "single_threaded.cpp"
    source.write_text("""
#include <tau/plugin.h>
#include <sys/single_threaded.h>
#include <dirent.h>
#include <cstdio>
static int threads() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}
static tau_task_id process(const uint8_t*, size_t) {
  std::printf("threads=%d single_threaded=%d\\n", threads(), int(__libc_single_threaded));
  return 0;
}
extern "C" int plugin_init(PluginHooks* hooks) { hooks->process = process; return 0; }
extern "C" void plugin_destroy() {}
""")
    r = tau.run("--watchdog", "10", "--plugin", source, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "threads=1 single_threaded=1\n"
