"""Loading plugins: good ones run, bad ones get a one-line reason and an exit code."""
import time

EXIT_PLUGIN_FAILED = 1
EXIT_LOAD_FAILED = 3


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line of reason, got: {stderr!r}"
    return lines[0]


def test_hello_prints_after_its_sleep(tau):
    start = time.monotonic()
    r = tau.run("--plugin", tau.plugin("hello"))
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from plugin!\n"
    assert elapsed >= 0.1  # it sleeps 100 ms before printing


def test_missing_file(tau, tmp_path):
    path = tmp_path / "nope.so"
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_LOAD_FAILED
    line = one_line(r.stderr)
    assert str(path) in line and "No such file" in line


def test_not_an_elf_file(tau, tmp_path):
    path = tmp_path / "text.so"
    path.write_text("this is not a shared object\n")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_LOAD_FAILED
    assert one_line(r.stderr) == f"tau: plugin '{path}': not an ELF shared object"


def test_elf_executable_is_not_a_plugin(tau):
    r = tau.run("--plugin", tau.binary)
    assert r.returncode == EXIT_LOAD_FAILED
    assert one_line(r.stderr) == (f"tau: plugin '{tau.binary}': an ELF file, but not a shared library "
                                  "(build it as a MODULE or SHARED library)")


def test_library_without_plugin_init(tau):
    path = tau.test_plugin("no_init")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_LOAD_FAILED
    line = one_line(r.stderr)
    assert str(path) in line and "does not export plugin_init" in line


def test_plugin_init_returning_nonzero(tau):
    path = tau.test_plugin("init_fails")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_LOAD_FAILED
    assert one_line(r.stderr) == f"tau: plugin '{path}': plugin_init failed with code 7"


def test_task_that_throws_fails_its_plugin_not_the_host(tau):
    path = tau.test_plugin("task_throws")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_PLUGIN_FAILED
    line = one_line(r.stderr)
    assert str(path) in line
    assert "failed: std::runtime_error: deliberate failure in task" in line


def test_task_that_can_never_finish_is_reported(tau):
    path = tau.test_plugin("task_stalls")
    r = tau.run("--plugin", path)
    assert r.returncode == EXIT_PLUGIN_FAILED
    assert "never finished" in one_line(r.stderr)


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


def test_a_refused_plugin_stays_mapped_for_what_its_init_started(tau, env, tmp_path):
    # plugin_init starts a timer, then refuses: the timer still fires (into code
    # that must still be mapped), and tau reports the refusal with exit 3.
    source = tmp_path / "refuses_after_starting.cpp"
    source.write_text("""
#include <tau/plugin.h>
#include <cstdio>
static tau_timer_t* timer;
static void on_timer(void*) { std::printf("timer of the refused plugin fired\\n"); std::fflush(stdout); }
extern "C" int plugin_init(PluginHooks*) { tau_timer_start(&timer, 20, 0, on_timer, nullptr); return 7; }
""")
    tau.build_plugin(source, env)
    r = tau.run_plugins(env, source, tau.plugin("hello"))
    assert r.returncode == EXIT_LOAD_FAILED, r.stderr
    assert r.stdout == "timer of the refused plugin fired\nHello from plugin!\n"
    assert one_line(r.stderr) == f"tau: plugin '{source}': plugin_init failed with code 7"


def test_a_throwing_destroy_of_a_refused_plugin_is_reported(tau, env, tmp_path):
    source = tmp_path / "destroy_throws.cpp"
    source.write_text("""
#include <tau/plugin.h>
#include <stdexcept>
extern "C" int plugin_init(PluginHooks*) { return 0; }  // sets no process hook
extern "C" void plugin_destroy() { throw std::runtime_error("destroy failed"); }
""")
    tau.build_plugin(source, env)
    r = tau.run_plugins(env, source)
    assert r.returncode == EXIT_LOAD_FAILED, r.stderr
    assert r.stderr.splitlines() == [f"tau: plugin '{source}': plugin_destroy threw: destroy failed",
                                     f"tau: plugin '{source}': plugin_init did not set hooks->process"]
