"""Unmodified Boost.Asio plugins on the shared loop, through tau's Asio shim."""
import pathlib
import signal
import socket
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent

ASIO = REPO / "pytest" / "sources" / "asio"


def test_core_features_run_on_the_loop_thread(tau, env):
    # Without the watchdog's thread the loop thread is the process's only one: the
    # shim started none.
    r = tau.run("--watchdog", "0", "--plugin", ASIO / "asio_core.cpp", env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "executors: dispatch post defer strand any",
        "timers: steady waited long enough, system and deadline fired, cancel aborted the wait, expiry changed",
        "tcp: 1048577 bytes echoed intact",
        "udp: got 'ping' from the other socket: yes",
        "local: 'unix', stream_descriptor: 'pipe'",
        "handlers off the loop thread: 0, threads: 1",
    ]


def test_the_shim_replaced_the_reactor(tau, env):
    built = tau.run("build", ASIO / "asio_core.cpp", env=env, timeout=300)
    assert built.returncode == 0, built.stderr
    undefined = subprocess.run(["nm", "-D", "--undefined-only", built.stdout.strip()], capture_output=True,
                               text=True, check=True).stdout
    assert "tau_poll_start" in undefined and "tau_post" in undefined
    assert "epoll_wait" not in undefined and "epoll_create" not in undefined


def test_run_from_process_drives_the_shared_loop(tau, env):
    r = tau.run_plugins(env, REPO / "plugins" / "hello", ASIO / "asio_run_in_process.cpp")
    assert r.returncode == 0, r.stderr
    # hello's task ran while the Asio plugin's process() was inside io_context::run().
    assert r.stdout.splitlines() == [
        "Hello from plugin!",
        "timer fired",
        "nested run refused: tau.asio",
        "run returned after 1 handler(s), stopped=1",
    ]


def test_work_posted_from_handlers_is_counted_and_kept_in_order(tau, env):
    # Handlers that post from inside a drain are counted privately (no atomic per
    # post); run() must still return exactly after the last one.
    r = tau.run_plugins(env, ASIO / "asio_work_accounting.cpp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "chains: run returned after 20000 handlers, order ABABABAB",
        "fan-out: 364 handlers ran, run returned after 364",
        "poll in a handler: ran 3, then 2, stopped=1",
    ]


def test_poll_outside_the_loop_polls_for_io_and_inside_runs_only_what_is_queued(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_poll.cpp", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "poll from process: accepted=1 after 1 handler(s)",
        "posted before polling: poll_one ran 1 (1 ran), poll ran 2 (3 ran)",
        "poll inside a handler: ran 0",
    ]


def test_poll_one_from_a_program_runs_one_handler_per_call(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_poll_one_program.cpp", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["poll_one from a program: 1 1 0, order ab, stopped=1"]


def test_a_context_whose_timers_are_done_lets_tau_exit(tau, env):
    # Its timerfd watch is paused once no deadline is left; paused, it no longer
    # keeps the loop alive, though the context lives until plugin_destroy.
    r = tau.run_plugins(env, ASIO / "asio_idle_timers.cpp", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["5 ms timer: fired", "hour timer: cancelled"]


def test_handler_exception_fails_the_plugin_not_the_host(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_handler_throws.cpp", REPO / "plugins" / "hello")
    assert r.returncode == 1
    assert r.stdout == "Hello from plugin!\n"
    assert f"plugin '{ASIO / 'asio_handler_throws.cpp'}'" in r.stderr and "handler failure" in r.stderr


def test_two_asio_plugins_talk_over_loopback(tau, env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = tau.run_plugins(env, ASIO / "asio_echo_server.cpp", ASIO / "asio_echo_client.cpp", input=str(port))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "server: listening"
    for i in (1, 2, 3):
        assert lines.index(f"client: send line {i}") < lines.index(f"server: echo line {i}") \
            < lines.index(f"client: got line {i}")
    assert lines[-1] == "server: client left"


def test_interrupt_with_asio_work_pending(tau, env):
    assert tau.run("build", ASIO / "asio_pending_at_sigint.cpp", env=env, timeout=300).returncode == 0
    proc = subprocess.Popen([str(tau.binary), "--plugin", str(ASIO / "asio_pending_at_sigint.cpp")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "waiting\n"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGINT, err
    assert out == "io_context deleted\n"


def test_deferred_parallel_group_and_channels(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_composition.cpp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "deferred: waited, chained value 42",
        "parallel_group: first=0, other cancelled",
        "awaitable_operators: both done",
        "channel: received sum 15 then closed",
    ]


def test_beast_http_client_against_beast_server(tau, env):
    r = tau.run_plugins(env, ASIO / "beast_http.cpp", timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "200 tau-beast-test: you asked for /one",
        "200 tau-beast-test: you asked for /two",
        "200 tau-beast-test: you asked for /three",
        "handlers off the loop thread: 0",
    ]


def test_use_future_drives_the_loop_outside_and_is_refused_inside(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_use_future.cpp", timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "outside the loop: future ready",
        "posted function returned 7",
        "inside the loop: refused (tau.asio)",
    ]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_ends_a_run_inside_a_process_hook(tau, env, signum):
    assert tau.run("build", ASIO / "asio_run_forever.cpp", env=env, timeout=300).returncode == 0
    proc = subprocess.Popen([str(tau.binary), "--plugin", str(ASIO / "asio_run_forever.cpp")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "serving\n"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert out == "run returned, stopped=1\ndestroyed\n"


def test_signal_ends_a_use_future_wait_inside_a_process_hook(tau, env):
    tau.build_plugin(ASIO / "asio_future_at_sigterm.cpp", env)
    proc = subprocess.Popen([str(tau.binary), "--plugin", str(ASIO / "asio_future_at_sigterm.cpp")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "waiting\n"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert out == "wait ended: tau.asio: the tau host is shutting down (SIGINT/SIGTERM): the wait can never end\n"


def test_timers_fire_in_deadline_order_after_cancels_and_moves(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_timer_order.cpp", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "fired 2400 in deadline order: yes; aborted 1200 (cancelled 600, moved 600)\n"
