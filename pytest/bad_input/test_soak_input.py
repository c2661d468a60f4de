"""Bad input to the soak benchmark: its plugins' --input (soak_protocol.hpp parses it
for both flavours), a client with no server, and bench/soak's own options, including
more connections than the descriptor hard limit allows."""
import pathlib
import resource
import socket
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
PLUGINS = REPO / "bench" / "soak-plugins"
SOAK = REPO / "bench" / "soak"


@pytest.fixture(scope="module")
def soak_plugin(tau, env):
    """soak_NAME.cpp, compiled once per module so that stderr holds only the failure."""
    built = set()

    def plugin(name):
        source = PLUGINS / f"soak_{name}.cpp"
        if name not in built:
            tau.build_plugin(source, env=env)
            built.add(name)
        return source

    return plugin


def run_soak_plugin(tau, env, source, input):
    r = tau.run_plugins(env, source, input=input, timeout=120)
    return r, r.stderr.splitlines()


def free_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unknown_input_key(tau, env, soak_plugin, assert_left_clean):
    source = soak_plugin("tau")
    r, lines = run_soak_plugin(tau, env, source, "connections=10 conections=20")
    assert r.returncode == 1
    assert lines == [f"tau: plugin '{source}': process threw: soak_tau: unknown input key 'conections' (known: role, "
                     "connections, port, seconds, min_size, max_size, report_ms, connect_parallel, fault)"]
    assert r.stdout == ""
    assert_left_clean()


def test_zero_connections(tau, env, soak_plugin, assert_left_clean):
    source = soak_plugin("tau")
    r, lines = run_soak_plugin(tau, env, source, "connections=0")
    assert r.returncode == 1
    assert lines == [f"tau: plugin '{source}': process threw: soak_tau: 'connections' wants a whole number in "
                     "[1, 1000000], got '0'"]
    assert_left_clean()


def test_input_word_without_value(tau, env, soak_plugin, assert_left_clean):
    source = soak_plugin("tau")
    r, lines = run_soak_plugin(tau, env, source, "seconds=5 100")
    assert r.returncode == 1
    assert lines == [f"tau: plugin '{source}': process threw: soak_tau: input word '100' is not key=value"]
    assert_left_clean()


def test_message_sizes_the_wrong_way_round(tau, env, soak_plugin, assert_left_clean):
    source = soak_plugin("tau")
    r, lines = run_soak_plugin(tau, env, source, "min_size=4096 max_size=64")
    assert r.returncode == 1
    assert lines == [f"tau: plugin '{source}': process threw: soak_tau: min_size 4096 is above max_size 64"]
    assert_left_clean()


def test_message_smaller_than_its_header(tau, env, soak_plugin, assert_left_clean):
    source = soak_plugin("tau")
    r, lines = run_soak_plugin(tau, env, source, "min_size=8")
    assert r.returncode == 1
    assert lines == [f"tau: plugin '{source}': process threw: soak_tau: 'min_size' wants a whole number in "
                     "[24, 1048576], got '8'"]
    assert_left_clean()


def test_client_without_port(tau, env, soak_plugin, assert_left_clean):
    source = soak_plugin("tau")
    r, lines = run_soak_plugin(tau, env, source, "role=client connections=5")
    assert r.returncode == 1
    assert lines == [f"tau: plugin '{source}': process threw: soak_tau: role=client needs port=P (the server's port)"]
    assert_left_clean()


def test_unknown_role_asio(tau, env, soak_plugin, assert_left_clean):
    source = soak_plugin("asio")
    r, lines = run_soak_plugin(tau, env, source, "role=peer")
    assert r.returncode == 1
    assert lines == [f"tau: plugin '{source}': process threw: soak_asio: 'role' is both, server or client, got 'peer'"]
    assert_left_clean()


def test_client_with_no_server(tau, env, soak_plugin, assert_left_clean):
    source = soak_plugin("tau")
    port = free_port()
    r, lines = run_soak_plugin(tau, env, source, f"role=client port={port} connections=50 seconds=5")
    assert r.returncode == 1
    # Only the first failed connect is reported; the others in flight stop quietly.
    assert lines == [f"tau: plugin '{source}': task 1 failed: std::runtime_error: soak_tau: connection 1 of 50: "
                     f"connect to 127.0.0.1:{port}: Connection refused"]
    assert_left_clean()


def test_client_with_no_server_asio(tau, env, soak_plugin, assert_left_clean):
    source = soak_plugin("asio")
    port = free_port()
    r, lines = run_soak_plugin(tau, env, source, f"role=client port={port} connections=50 seconds=5")
    assert r.returncode == 1
    assert lines == [f"tau: plugin '{source}': posted callback threw: soak_asio: connection 1 of 50: "
                     f"connect to 127.0.0.1:{port}: Connection refused"]
    assert r.stdout.startswith("soak: summary reason=error ")
    assert_left_clean()


def run_script(tau, env, *args):
    r = subprocess.run([str(SOAK), "--tau", str(tau.binary), *map(str, args)], capture_output=True, text=True,
                       env=env, timeout=120, stdin=subprocess.DEVNULL)
    return r, r.stderr.splitlines()


def test_script_more_connections_than_the_hard_limit(tau, env, assert_left_clean):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard > 1_000_000:
        pytest.skip(f"the descriptor hard limit ({hard}) is beyond what a test should open")
    r, lines = run_script(tau, env, "--connections", hard)
    assert r.returncode == 2
    assert lines == [f"bench/soak: {hard} connections need {hard + 64} descriptors per process (server and "
                     f"clients apart), but the hard limit (ulimit -Hn) is {hard}: ask for a higher limit, or use "
                     f"--connections {hard - 64} or less"]
    assert r.stdout == ""
    assert_left_clean()


def test_script_one_process_beyond_the_hard_limit(tau, env, assert_left_clean):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard > 1_000_000:
        pytest.skip(f"the descriptor hard limit ({hard}) is beyond what a test should open")
    connections = hard // 2
    r, lines = run_script(tau, env, "--connections", connections, "--processes", 1)
    assert r.returncode == 2
    assert lines == [f"bench/soak: {connections} connections need {2 * connections + 64} descriptors with both ends "
                     f"in one process, but the hard limit (ulimit -Hn) is {hard}: ask for a higher limit, or use "
                     f"--connections {(hard - 64) // 2} or less"]
    assert_left_clean()


def test_script_zero_minutes(tau, env, assert_left_clean):
    r, lines = run_script(tau, env, "--minutes", 0, "--connections", 10)
    assert r.returncode == 2
    assert lines == ["bench/soak: --minutes must be above 0, got 0"]
    assert_left_clean()


def test_script_warm_up_as_long_as_the_run(tau, env, assert_left_clean):
    r, lines = run_script(tau, env, "--minutes", 1, "--warmup", 1, "--connections", 10)
    assert r.returncode == 2
    assert lines == ["bench/soak: --warmup must be at least 0 and less than --minutes (1), got 1"]
    assert_left_clean()


def test_script_tau_binary_missing(tau, env, tmp_path, assert_left_clean):
    missing = tmp_path / "no-such-tau"
    r = subprocess.run([str(SOAK), "--tau", str(missing), "--connections", "10"], capture_output=True, text=True,
                       env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [f"bench/soak: --tau {missing}: not an executable file"]
    assert_left_clean()
