"""Reloading a source plugin while the others run: SIGHUP rebuilds every source
plugin off the loop thread, unloads the old build of each that changed (its
leftovers closed, its library unmapped) and loads the new one."""
import pathlib
import re
import shutil
import socket
import signal
import time

import pytest

from live_tau import Running

SOURCES = pathlib.Path(__file__).resolve().parent / "sources" / "reload"


@pytest.fixture
def plugins(tmp_path):
    """Copies of the sources, so the test can edit them."""
    for name in ("ticker.cpp", "server.cpp"):
        shutil.copy(SOURCES / name, tmp_path / name)
    return tmp_path / "ticker.cpp", tmp_path / "server.cpp"


def edit(path, old, new):
    path.write_text(path.read_text().replace(old, new))


def assert_swapped_without_stalling(run, library_name, old_library, build_seconds):
    """Only the new build of the library is mapped (the old one is gone, not merely
    deleted), and the ticker kept ticking while it was rebuilt: the loop never stood
    still for anything like the build's length."""
    now = run.mappings_of(library_name)
    assert len(now) == 1 and now != old_library, (old_library, now)
    assert not any(deleted for _, deleted in now)
    ticks = [int(line.split()[1]) for line in run.lines["stdout"] if line.startswith("tick ")]
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert build_seconds > 0.5, "the build is too quick to tell"
    assert max(gaps) < build_seconds * 1000 / 2, (max(gaps), build_seconds)


def test_sighup_reloads_the_edited_plugin_while_the_other_keeps_ticking(tau, env, plugins):
    ticker, server = plugins
    for p in plugins:
        tau.build_plugin(p, env)
    run = Running(tau, env, ticker, server)
    try:
        run.wait_for("stdout", "server version 1")
        old_library = run.mappings_of("libserver.so")
        assert len(old_library) == 1
        edit(server, "#define VERSION 1", "#define VERSION 2")
        run.proc.send_signal(signal.SIGHUP)
        reloaded = run.wait_for("stderr", "tau: plugin '" + str(server) + "' reloaded: build ")
        new_at = run.wait_for("stdout", "server version 2")
        # The old build ran its plugin_destroy before the new one started.
        assert run.wait_for("stdout", "server version 1 destroyed") < new_at
        err = run.lines["stderr"]
        assert f"tau: plugin '{ticker}': unchanged" in err
        assert "tau: building plugin '" + str(server) + "': compiling" in err
        build_seconds = float(re.search(r"build ([0-9.]+) s, swap ([0-9]+) ms", err[reloaded])[1])
        assert_swapped_without_stalling(run, "libserver.so", old_library, build_seconds)
    finally:
        code = run.stop()
    assert code == 130, "\n".join(run.lines["stderr"][-60:])
    # Its static destructors (run at dlclose) closed what the old build left running.
    assert not any("tau closed" in line for line in run.lines["stderr"]), run.lines["stderr"]


def test_a_build_error_keeps_the_running_build(tau, env, plugins):
    ticker, server = plugins
    tau.build_plugin(server, env)
    run = Running(tau, env, server)
    try:
        run.wait_for("stdout", "server version 1")
        edit(server, "#define VERSION 1", "#define VERSION 1\nthis does not compile;")
        run.proc.send_signal(signal.SIGHUP)
        failed = run.wait_for("stderr", f"tau: plugin '{server}': rebuild failed: build failed")
        assert any("error:" in line for line in run.lines["stderr"][:failed])
        seen = len(run.lines["stdout"])
        run.wait_for("stdout", "server version 1", after=seen)  # still serving
        # Fixed: the next SIGHUP reloads it.
        edit(server, "this does not compile;", "#undef VERSION\n#define VERSION 3")
        run.proc.send_signal(signal.SIGHUP)
        run.wait_for("stdout", "server version 3")
    finally:
        code = run.stop()
    assert code == 130, "\n".join(run.lines["stderr"][-60:])


def test_leftover_handles_are_closed_and_named(tau, env, tmp_path):
    """A plugin that leaves a tau timer running past plugin_destroy."""
    leaky = tmp_path / "leaky.cpp"
    leaky.write_text(
        '#include <tau/plugin.h>\n#include <tau/tau.h>\n#include <cstdio>\n#define VERSION 1\n'
        'static tau_timer_t* timer;\n'
        'static void say(void*) { std::printf("leaky %d\\n", VERSION); std::fflush(stdout); }\n'
        'static tau_task_id process(const uint8_t*, size_t) {\n'
        '  tau_timer_start(&timer, 0, 50, say, nullptr);\n  return 0;\n}\n'
        'extern "C" int plugin_init(PluginHooks* hooks) {\n  hooks->process = process;\n  return 0;\n}\n')
    tau.build_plugin(leaky, env)
    run = Running(tau, env, leaky)
    try:
        run.wait_for("stdout", "leaky 1")
        edit(leaky, "#define VERSION 1", "#define VERSION 2")
        run.proc.send_signal(signal.SIGHUP)
        run.wait_for("stdout", "leaky 2")
        at = run.wait_for("stderr", f"tau: plugin '{leaky}' left 1 timer open after plugin_destroy; tau closed it")
        # Nothing of the old build runs any more.
        seen = len(run.lines["stdout"])
        time.sleep(0.3)
        assert "leaky 1" not in run.lines["stdout"][seen:]
        assert at >= 0
    finally:
        code = run.stop()
    assert code == 130, "\n".join(run.lines["stderr"][-60:])


def test_sighup_with_nothing_changed_reloads_nothing(tau, env, plugins):
    ticker, _ = plugins
    tau.build_plugin(ticker, env)
    run = Running(tau, env, ticker)
    try:
        run.wait_for("stdout", "tick ")
        run.proc.send_signal(signal.SIGHUP)
        run.wait_for("stderr", f"tau: plugin '{ticker}': unchanged")
    finally:
        code = run.stop()
    assert code == 130, "\n".join(run.lines["stderr"][-60:])
    assert not any("reloaded" in line for line in run.lines["stderr"])


def test_watch_reloads_a_plugin_when_its_source_is_saved(tau, env, plugins):
    """--watch: a save (in place, or an editor's write-and-rename) rebuilds and swaps
    only the plugin whose inputs changed."""
    ticker, server = plugins
    for p in plugins:
        tau.build_plugin(p, env)
    run = Running(tau, env, "--watch", ticker, server)
    try:
        run.wait_for("stderr", "tau: watching ")
        assert "of 2 source plugins for changes" in run.lines["stderr"][-1]
        run.wait_for("stdout", "server version 1")
        edit(server, "#define VERSION 1", "#define VERSION 2")  # in place
        run.wait_for("stderr", f"tau: plugin '{server}': its sources changed; rebuilding")
        run.wait_for("stdout", "server version 2")
        replacement = server.with_suffix(".new")
        replacement.write_text(server.read_text().replace("#define VERSION 2", "#define VERSION 3"))
        replacement.rename(server)  # as editors save
        run.wait_for("stdout", "server version 3")
        first = run.wait_for("stderr", "reloaded: build ")
        run.wait_for("stderr", "reloaded: build ", after=first + 1)
        err = run.lines["stderr"]
        assert not any(str(ticker) + "'" in line and "rebuilding" in line for line in err)
    finally:
        code = run.stop()
    assert code == 130, "\n".join(run.lines["stderr"][-60:])


class LineClient:
    """A client of the hand-over server: a line out, the answer back."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rwb")

    def ask(self, line):
        self.file.write(line.encode() + b"\n")
        self.file.flush()
        return self.file.readline().decode().rstrip("\n")

    def close(self):
        self.file.close()
        self.sock.close()


@pytest.fixture
def handover(tmp_path):
    for name in ("ticker.cpp", "handover_server.cpp"):
        shutil.copy(SOURCES / name, tmp_path / name)
    return tmp_path / "ticker.cpp", tmp_path / "handover_server.cpp"


def port_of(line):
    return int(line.rsplit(" ", 1)[1])


def test_watch_hands_the_listener_and_a_connected_client_to_the_new_build(tau, env, handover):
    """The issue's test: A ticks, B serves a connected client. B is edited while tau
    runs with --watch: B's new code answers on the same connection and port within
    seconds, A never paused for the build, and B's old library is unmapped."""
    ticker, server = handover
    for p in handover:
        tau.build_plugin(p, env)
    run = Running(tau, env, "--watch", ticker, server)
    client = None
    try:
        run.wait_for("stderr", "tau: watching ")
        port = port_of(run.lines["stdout"][run.wait_for("stdout", "server version 1 listening on port")])
        client = LineClient(port)
        assert client.ask("before") == "v1: before"
        old_library = run.mappings_of("libhandover_server.so")
        assert len(old_library) == 1
        edited = time.monotonic()
        edit(server, "#define VERSION 1", "#define VERSION 2")
        restored = run.wait_for("stdout", "server version 2 restored with 1 connection(s)")
        latency = time.monotonic() - edited
        assert port_of(run.lines["stdout"][restored]) == port
        # The same connection, now served by the new build.
        assert client.ask("after") == "v2: after"
        # New connections reach the new build on the same port.
        other = LineClient(port)
        assert other.ask("new") == "v2: new"
        other.close()
        err = run.lines["stderr"]
        reloaded = err[run.wait_for("stderr", f"tau: plugin '{server}' reloaded: build ")]
        build_seconds = float(re.search(r"build ([0-9.]+) s, swap ([0-9]+) ms", reloaded)[1])
        assert latency < build_seconds + 10, (latency, build_seconds)
        assert_swapped_without_stalling(run, "libhandover_server.so", old_library, build_seconds)
        print(f"reload latency (save to new code answering): {latency:.2f} s; {reloaded}")
    finally:
        if client:
            client.close()
        code = run.stop()
    assert code == 130, "\n".join(run.lines["stderr"][-60:])


def test_a_new_build_without_restore_drops_the_state_and_says_so(tau, env, handover):
    _, server = handover
    tau.build_plugin(server, env)
    run = Running(tau, env, server)
    try:
        port = port_of(run.lines["stdout"][run.wait_for("stdout", "server version 1 listening on port")])
        client = LineClient(port)
        assert client.ask("x") == "v1: x"
        edit(server, "  hooks->restore = restore;\n", "")
        edit(server, "#define VERSION 1", "#define VERSION 2")
        run.proc.send_signal(signal.SIGHUP)
        run.wait_for("stderr", f"tau: plugin '{server}': the new build has no restore hook; the state its old build "
                               "handed over (0 bytes, 2 descriptors) is dropped")
        # The new build starts afresh: a port of its own; the old connection is closed.
        new_port = port_of(run.lines["stdout"][run.wait_for("stdout", "server version 2 listening on port")])
        assert new_port != port
        assert client.file.readline() == b""
        client.close()
    finally:
        code = run.stop()
    assert code == 130, "\n".join(run.lines["stderr"][-60:])
