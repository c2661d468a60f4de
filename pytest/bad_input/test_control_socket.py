"""Catalogue: a bad control socket path (--control), and bad commands on it."""
import pathlib
import shutil
import socket

import pytest

from live_tau import Running, ask

EXIT_USAGE = 2
TICKER = pathlib.Path(__file__).resolve().parent.parent / "sources" / "reload" / "ticker.cpp"


@pytest.fixture
def ticker(tmp_path):
    shutil.copy(TICKER, tmp_path / "ticker.cpp")
    return tmp_path / "ticker.cpp"


def test_control_path_is_a_regular_file(tau, env, ticker, socket_dir, assert_left_clean):
    path = socket_dir / "notes.txt"
    path.write_text("keep me\n")
    r = tau.run("--control", path, "--plugin", ticker, env=env)
    assert r.returncode == EXIT_USAGE
    assert r.stderr == f"tau: cannot use control socket '{path}': a file that is not a socket is there; " \
                       "tau does not replace it\n"
    assert path.read_text() == "keep me\n"
    assert_left_clean()


def test_control_path_too_long(tau, env, ticker, socket_dir, assert_left_clean):
    path = socket_dir / ("s" * 120)
    r = tau.run("--control", path, "--plugin", ticker, env=env)
    assert r.returncode == EXIT_USAGE
    assert r.stderr == f"tau: cannot use control socket '{path}': the path is {len(str(path))} bytes long; " \
                       "a Unix socket's may be at most 107\n"
    assert_left_clean()


def test_control_socket_in_a_missing_directory(tau, env, ticker, socket_dir, assert_left_clean):
    path = socket_dir / "missing" / "tau.sock"
    r = tau.run("--control", path, "--plugin", ticker, env=env)
    assert r.returncode == EXIT_USAGE
    assert r.stderr == f"tau: cannot use control socket '{path}': its directory {path.parent}: " \
                       "No such file or directory\n"
    assert_left_clean()


def test_control_socket_another_tau_listens_on(tau, env, ticker, socket_dir, assert_left_clean):
    path = socket_dir / "tau.sock"
    first = Running(tau, env, ticker, options=("--control", path))
    try:
        first.wait_for("stderr", f"tau: control socket {path}")
        r = tau.run("--control", path, "--plugin", ticker, env=env)
        assert r.returncode == EXIT_USAGE
        assert r.stderr == f"tau: cannot use control socket '{path}': another process listens on it (another tau?)\n"
        assert ask(path, "list")[-1] == "ok 1 plugin"  # the first one still answers
    finally:
        assert first.stop() == 130
    assert_left_clean()


def test_a_stale_control_socket_is_replaced(tau, env, ticker, socket_dir, assert_left_clean):
    path = socket_dir / "tau.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))  # left behind by a process that ended without removing it
    run = Running(tau, env, ticker, options=("--control", path))
    try:
        run.wait_for("stderr", f"tau: control socket {path}")
        assert ask(path, "list")[-1] == "ok 1 plugin"
    finally:
        assert run.stop() == 130
    assert not path.exists()
    assert_left_clean()


def test_bad_control_commands(tau, env, ticker, socket_dir, assert_left_clean):
    path = socket_dir / "tau.sock"
    run = Running(tau, env, ticker, options=("--control", path))
    try:
        run.wait_for("stderr", f"tau: control socket {path}")
        usage = "(commands: list, reload NAME, unload NAME, load PATH, help)"
        answers = ask(path, "bogus", "reload", "reload nope", "list all", "", "unload ticker", "unload ticker",
                      "reload ticker")
        assert answers[:4] == [
            f"error: unknown command 'bogus' {usage}",
            f"error: reload needs a NAME {usage}",
            f"error: no plugin named 'nope' (plugins: {ticker})",
            "error: list takes no argument",
        ]
        assert answers[4].startswith("ok unloaded in ")  # the empty line gets no answer
        assert answers[5:] == [
            f"error: plugin '{ticker}' is not loaded",
            f"error: plugin '{ticker}' is unloaded (load it with: load {ticker})",
        ]
    finally:
        assert run.stop() == 130
    assert_left_clean()


def test_a_control_command_too_long(tau, env, ticker, socket_dir, assert_left_clean):
    path = socket_dir / "tau.sock"
    run = Running(tau, env, ticker, options=("--control", path))
    try:
        run.wait_for("stderr", f"tau: control socket {path}")
        assert ask(path, "load " + "x" * 5000) == ["error: a command is at most 4096 bytes; closing"]
        assert ask(path, "list")[-1] == "ok 1 plugin"  # tau still answers others
    finally:
        assert run.stop() == 130
    assert_left_clean()


def test_control_load_of_a_missing_file(tau, env, ticker, socket_dir, assert_left_clean):
    path = socket_dir / "tau.sock"
    missing = socket_dir / "missing.so"
    run = Running(tau, env, ticker, options=("--control", path))
    try:
        run.wait_for("stderr", f"tau: control socket {path}")
        assert ask(path, f"load {missing}") == ["error: does not load: cannot open: No such file or directory"]
        assert ask(path, "list")[-2].split("\t")[:2] == [str(missing), "failed"]
    finally:
        assert run.stop() == 130
    assert_left_clean()


def test_control_load_of_a_source_that_does_not_build(tau, env, ticker, socket_dir, assert_left_clean):
    path = socket_dir / "tau.sock"
    broken = ticker.with_name("broken.cpp")
    broken.write_text("this does not compile;\n")
    run = Running(tau, env, ticker, options=("--control", path))
    try:
        run.wait_for("stderr", f"tau: control socket {path}")
        answer = ask(path, f"load {broken}")
        assert answer == ["error: build failed (the compiler's output is above); the last good build, if any, is kept"]
        assert any("error:" in line and "broken.cpp" in line for line in run.lines["stderr"])
        seen = len(run.lines["stdout"])
        run.wait_for("stdout", "tick ", after=seen)  # the others run on
    finally:
        assert run.stop() == 130
    assert_left_clean()
