"""bench/soak end to end, in short runs: both flavours (tau.hpp, Asio on the shim) pass
with their table; server and clients also run as two processes; each fault the
plugins can inject (a flipped byte, a connection closed early, memory kept) fails the
run with its reason; SIGINT stops a run cleanly."""
import pathlib
import re
import signal
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent

SOAK = REPO / "bench" / "soak"
FLAVOURS = ["tau", "asio"]


@pytest.fixture(scope="module")
def env(env):
    """The module's environment; under AddressSanitizer without its quarantine, which
    holds freed memory back (up to 256 MiB) and so grows RSS in a short run by design."""
    options = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "quarantine_size_mb=0"]))
    return {**env, "ASAN_OPTIONS": options}


def soak(tau, env, *args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([str(SOAK), "--tau", str(tau.binary), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout, stdin=subprocess.DEVNULL)


def table(stdout: str, flavour: str) -> dict[str, list[str]]:
    """The rows of one flavour's table: label -> cells."""
    lines = stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(f"soak {flavour} ("))
    rows = {}
    for line in lines[first + 1:]:
        if not line.startswith("  "):
            break
        rows[line[2:36].strip()] = line[36:].split()  # labels are 34 wide
    return rows


@pytest.fixture(scope="module", autouse=True)
def built_plugins(tau, env):
    """Both plugins compiled once, so that no run below includes a build."""
    for flavour in FLAVOURS:
        tau.build_plugin(REPO / "bench" / "soak-plugins" / f"soak_{flavour}.cpp", env=env)


def test_short_soak_of_both_flavours_passes(tau, env):
    r = soak(tau, env, "--minutes", 0.1, "--connections", 200)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "bench/soak: pass (tau, asio)"
    for flavour in FLAVOURS:
        rows = table(r.stdout, flavour)
        assert rows["result"] == ["pass"]
        start_fds, _, end_fds = rows["open fds at start / end"]
        # Both ends of every connection by the end (at the start sample the server may
        # still be accepting), and none opened on the way.
        assert 2 * 200 <= int(end_fds) < 2 * 200 + 64 and int(start_fds) <= int(end_fds)
        assert int(rows["round trips"][0]) > 0
        verified = int(rows["bytes verified (each way)"][0])
        assert verified > 0 and rows["bytes echoed by the server"] == [str(verified)]
        assert rows["lost / corrupt bytes"] == ["0", "/", "0"]
        assert rows["connections dropped"] == ["0"]
        assert re.fullmatch(r"[+-]\d+\.\d%", rows["RSS growth after warm-up"][0])


def test_server_and_clients_in_two_processes(tau, env):
    r = soak(tau, env, "--minutes", 0.1, "--connections", 100, "--flavour", "tau", "--processes", 2)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "server and clients in two tau processes" in r.stdout
    rows = table(r.stdout, "tau")
    assert rows[""] == ["server", "clients"]
    # At the end: the start sample is taken once the clients are connected, when the
    # server may not have accepted every connection yet (under ASan on a loaded machine).
    for fds in (rows["open fds at start / end"][2], rows["open fds at start / end"][5]):
        assert 100 <= int(fds) < 200  # one end of each connection per process
    assert rows["bytes echoed by the server"] == rows["bytes verified (each way)"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_flipped_byte_fails_the_run(tau, env, flavour):
    r = soak(tau, env, "--minutes", 0.05, "--connections", 20, "--flavour", flavour, "--fault", "corrupt")
    assert r.returncode == 1, r.stdout + r.stderr
    rows = table(r.stdout, flavour)
    assert rows["lost / corrupt bytes"] == ["0", "/", "1"]
    assert rows["failed verifications"] == ["1"]
    assert " ".join(rows["result"]) == "FAIL: verify failures: 1; corrupt bytes: 1"
    assert r.stdout.splitlines()[-1] == f"bench/soak: FAIL ({flavour})"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_connection_closed_early_fails_the_run(tau, env, flavour):
    r = soak(tau, env, "--minutes", 0.05, "--connections", 20, "--flavour", flavour, "--fault", "drop")
    assert r.returncode == 1, r.stdout + r.stderr
    rows = table(r.stdout, flavour)
    lost = int(rows["lost / corrupt bytes"][0])
    assert lost >= 32  # at least the smallest message, sent and never echoed
    assert rows["connections dropped"] == ["1"]
    assert f"lost bytes: {lost}; dropped: 1" in " ".join(rows["result"])


def test_memory_kept_after_the_warm_up_fails_the_run(tau, env):
    # The plugin keeps 1 MiB per progress line (every 400 ms in a 12 s run): far
    # beyond 10% of a few MiB after the 1.2 s warm-up.
    r = soak(tau, env, "--minutes", 0.2, "--connections", 20, "--flavour", "tau", "--fault", "leak")
    assert r.returncode == 1, r.stdout + r.stderr
    rows = table(r.stdout, "tau")
    growth = float(rows["RSS growth after warm-up"][0].rstrip("%"))
    assert growth > 10
    assert " ".join(rows["result"]).startswith(f"FAIL: RSS of tau grew {growth:.1f}% after the warm-up")
    assert rows["lost / corrupt bytes"] == ["0", "/", "0"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_sigint_stops_the_run_cleanly(tau, env, flavour):
    proc = subprocess.Popen([str(SOAK), "--tau", str(tau.binary), "--minutes", "5", "--connections", "100",
                             "--flavour", flavour], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, stdin=subprocess.DEVNULL)
    try:
        for line in proc.stdout:
            if f"{flavour}: t=" in line:  # connected and echoing
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGINT, out + err
    rows = table(out, flavour)
    assert rows["result"] == ["pass"]  # every client finished its round trip and closed
    assert rows["connections dropped"] == ["0"] and rows["lost / corrupt bytes"] == ["0", "/", "0"]
    assert "[interrupted]" in out and out.splitlines()[-1] == "bench/soak: interrupted"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_plugin_stops_on_sigterm_with_a_summary(tau, env, flavour):
    proc = subprocess.Popen([str(tau.binary), "--plugin", str(REPO / "bench" / "soak-plugins" / f"soak_{flavour}.cpp"),
                             "--input", "connections=10 seconds=600 report_ms=100"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.startswith("soak: progress"):
                break
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    summary = out.splitlines()[-1]
    assert summary.startswith("soak: summary reason=signal ")
    fields = dict(word.split("=") for word in summary.split()[2:])
    assert fields["open"] == "0" and fields["serving"] == "0"
    assert fields["bytes"] == fields["echoed"] and int(fields["round_trips"]) > 0
    for key in ("verify_failures", "corrupt_bytes", "lost_bytes", "dropped", "errors", "server_errors"):
        assert fields[key] == "0", summary
