"""The shim's remaining Asio services: the resolver on the host's blocking pool,
signal_set on the host's signal watches, and system_executor / thread_pool on the
loop thread, with no thread of their own."""
import pathlib
import signal
import subprocess


REPO = pathlib.Path(__file__).resolve().parent.parent

ASIO = REPO / "pytest" / "sources" / "asio"


def undefined_symbols(library):
    return subprocess.run(["nm", "-D", "--undefined-only", library], capture_output=True, text=True,
                          check=True).stdout


def test_async_resolve_runs_on_the_blocking_pool(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_resolver.cpp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "destroyed in flight: handlers ran 0, handlers left alive 0",
        "resolve: localhost -> 127.0.0.1, all loopback: yes",
        "connect: accepted the resolved client: yes",
        "reverse: 1 entry, endpoint 127.0.0.1",
        "cancel: aborted or resolved",
        "unknown service: service_not_found",
        "handlers off the loop thread: 0",
    ]
    undefined = undefined_symbols(tau.build_plugin(ASIO / "asio_resolver.cpp", env=env))
    assert "tau_work_submit" in undefined and "pthread_create" not in undefined


def test_signal_set_on_the_host_signal_watches(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_signal_set.cpp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "raised from a timer: SIGUSR1 delivered",
        "queued while nobody waited: SIGUSR2 delivered to the next wait",
        "cancel: operation_aborted, slot: operation_aborted, destroy: operation_aborted",
        "two contexts: a=1 b=1, removed set got it: no",
        "add(-1): invalid_argument, add(4096): invalid_argument, add(SIGKILL): error",
        "watched SIGINT: delivered to the plugin",
        "host still running",
        "handlers off the loop thread: 0",
    ]
    assert "shutting down" not in r.stderr
    undefined = undefined_symbols(tau.build_plugin(ASIO / "asio_signal_set.cpp", env=env))
    assert "tau_signal_start" in undefined
    assert "sigaction" not in undefined and "pipe" not in undefined


def test_pending_signal_wait_keeps_the_host_for_signals_from_outside(tau, env):
    plugin = ASIO / "asio_signal_set.cpp"
    tau.build_plugin(plugin, env=env)  # so that the run below does not wait for the compiler
    proc = subprocess.Popen([str(tau.binary), "--plugin", str(plugin), "--input", "external"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "waiting for a signal from outside\n"
        proc.send_signal(signal.SIGUSR1)
        assert proc.stdout.readline() == "got SIGUSR1 from outside\n"
        assert proc.stdout.readline() == "waiting for a signal from outside\n"
        proc.send_signal(signal.SIGINT)  # watched by the plugin: not a shutdown
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.splitlines() == ["got SIGINT from outside", "handlers off the loop thread: 0"]
    assert "shutting down" not in err


def test_system_executor_runs_on_the_loop_thread(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_system_executor.cpp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "posted from process: dispatch post defer default never strand0 chained strand1 strand2 ",
        "posted from a handler: dispatch post defer bound (queued, not run inline: yes)",
        "join inside a handler: 3 of 3 handlers ran before it returned",
        "new threads: 0",
        "handlers off the loop thread: 0",
    ]


def test_thread_pool_runs_on_the_loop_thread(tau, env):
    r = tau.run_plugins(env, ASIO / "asio_thread_pool.cpp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "join from process: 9 of 9 handlers ran before it returned",
        "wait from process: timer fired: yes",
        "timer on a pool executor: fired on the loop thread: yes",
        "blocking.always: ran before execute returned: yes, inside the pool: yes",
        "join inside a handler: 3 of 3 handlers ran before it returned",
        "strand on the pool: 012",
        "new threads: 0",
        "handlers off the loop thread: 0",
    ]
    assert "pthread_create" not in undefined_symbols(tau.build_plugin(ASIO / "asio_thread_pool.cpp", env=env))
