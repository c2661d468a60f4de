"""Plain Asio with threads of its own (pytest/sources/asio/asio_threads.cpp): threads
parked in io_context::run() while every handler runs on the loop thread."""
import pathlib
import re
import signal
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent

PLUGIN = REPO / "pytest" / "sources" / "asio" / "asio_threads.cpp"

# mode -> the lines the plugin prints before "handlers off the loop thread: 0".
MODES = {
    "parked-run": "parked-run: ran 20000, run() calls returned 20000 in all, stopped=1",
    "run-one": "run-one: ran 300, run_one() returned 1 300 times",
    "stop": "stop: 2 parked run() calls returned, stopped=1",
    "work-guard": "work-guard: reset on a thread, run() returned, stopped=1",
    "throw": "throw: returned, threw 'handler boom'",
    "future": "future: got 7 on a plugin thread, timer waited",
    "gated": "gated: a.run() ran 1, f ran after a.run(): no, b.run() ran 1, f ran: yes",
    "host-driven": "host-driven: f ran without run()",
    "destroy-off-loop": "destroy-off-loop: context destroyed, handlers called 0",
    "timers": "timers: cancel() returned 100, handlers aborted 100, short timer fired",
    "strand": "strand: ran 30000, overlapped: no",
    "thread-pool": "thread_pool: move-only function ran, seen=42",
    "sync-server": "sync-server: client got 'HELLO'",
}


@pytest.fixture(scope="module")
def threads_env(env):
    return {**env, "TAU_ASIO_SHIM_STATS": "1"}


@pytest.fixture(scope="module")
def built(tau, threads_env):
    return tau.build_plugin(PLUGIN, threads_env)


@pytest.mark.parametrize("mode", MODES)
def test_threads_mode(tau, threads_env, built, mode):
    r = tau.run_plugins(threads_env, PLUGIN, input=mode, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [MODES[mode], "handlers off the loop thread: 0", "destroyed"]
    # The shim's own count agrees: no handler ran off the loop thread.
    stats = [line for line in r.stderr.splitlines() if line.startswith("tau-asio-shim:")]
    assert all(" off_loop=0 " in line for line in stats), r.stderr


def test_parked_threads_are_counted_by_the_shim(tau, threads_env, built):
    r = tau.run_plugins(threads_env, PLUGIN, input="parked-run", timeout=120)
    assert r.returncode == 0, r.stderr
    # Each of the 4 runners parks unless, on a loaded machine, it calls run() only after
    # the work ran out (it then returns at once, as in Asio): at least one parks.
    stats = re.search(r"handlers=(\d+) off_loop=(\d+) parked_runs=(\d+)", r.stderr)
    assert stats, r.stderr
    assert stats[1] == "20000" and stats[2] == "0" and 1 <= int(stats[3]) <= 4, stats[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_signal_wakes_parked_threads(tau, threads_env, built, signum):
    proc = subprocess.Popen([str(tau.binary), "--plugin", str(PLUGIN), "--input", "sigterm"], env=threads_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "sigterm: parked\n"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    # Woken by the shutdown, not left for the host's grace period for threads it cannot wake.
    assert "still running" not in err
    assert out.splitlines() == ["sigterm: 3 run() calls returned", "handlers off the loop thread: 0", "destroyed"]


def test_plugin_destroy_stops_and_joins_threads_that_were_parked(tau, threads_env, built):
    proc = subprocess.Popen([str(tau.binary), "--plugin", str(PLUGIN), "--input", "destroy-joins"], env=threads_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "destroy-joins: parked\n"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert out.splitlines() == ["destroy-joins: stopped and joined 2 threads", "handlers off the loop thread: 0",
                                "destroyed"]


def test_a_thread_blocked_outside_the_shim_ends_the_run_after_a_grace_period(tau, env, tmp_path):
    source = tmp_path / "blocked.cpp"
    source.write_text("""
#include <tau/plugin.h>
#include <tau/tau.hpp>
#include <unistd.h>
#include <cstdio>
static int fds[2];
static tau_task_id process(const uint8_t*, size_t) {
  pipe(fds);
  return tau::spawn_thread([] {
    std::printf("blocked\\n");
    std::fflush(stdout);
    char c;
    read(fds[0], &c, 1);  // blocks for ever: nothing the host can wake
  }).task_id();
}
extern "C" int plugin_init(PluginHooks* hooks) { hooks->process = process; return 0; }
extern "C" void plugin_destroy() { std::printf("destroyed\\n"); }
""")
    tau.build_plugin(source, env)
    proc = subprocess.Popen([str(tau.binary), "--plugin", str(source)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "blocked\n"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "a thread of this plugin was still running 2 s after shutdown" in err
    assert f"plugin '{source}'" in err
    assert "destroyed" not in out  # not unloaded under a running thread


@pytest.mark.xfail(raises=subprocess.TimeoutExpired, strict=True,
                   reason="a thread a plugin starts itself is the host's in tau (t_thread_owner), so the drains it posts "
                          "run as the host's and a context created in one gets a host-owned shutdown watch: "
                          "tau_plugin_end does not wake the thread parked in its run(), and its work guard keeps tau "
                          "running (compat-suite cpprest_websocket_lazy_pool)")
def test_plugin_end_wakes_a_context_created_in_a_handler_a_plugin_thread_drove(tau, threads_env, built):
    r = tau.run_plugins(threads_env, PLUGIN, input="foreign-thread-context", timeout=10)
    assert r.returncode == 0, r.stderr
    assert "foreign-thread-context: pool created in a handler, its thread in run()" in r.stdout
