"""Reloading a source plugin while the others run: SIGHUP rebuilds every source
plugin off the loop thread, unloads the old build of each that changed (its
leftovers closed, its library unmapped) and loads the new one."""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

SOURCES = pathlib.Path(__file__).resolve().parent / "sources" / "reload"


class Running:
    """tau in the background, its output lines collected as they come."""

    def __init__(self, tau, env, *plugins):
        args = [arg for p in plugins for arg in ((p,) if p == "--watch" else ("--plugin", str(p)))]
        self.proc = subprocess.Popen([str(tau.binary), *args], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = {"stdout": [], "stderr": []}
        self.changed = threading.Condition()
        self.readers = [threading.Thread(target=self._read, args=(name,), daemon=True) for name in self.lines]
        for r in self.readers:
            r.start()

    def _read(self, name):
        for line in getattr(self.proc, name):
            with self.changed:
                self.lines[name].append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, name, text, timeout=120, after=0):
        """The index of the first line from index `after` on that contains text."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for i, line in enumerate(self.lines[name][after:], after):
                    if text in line:
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and all(not r.is_alive() for r in self.readers):
                    raise AssertionError(f"no {text!r} in {name} within {timeout}s:\n" + "\n".join(self.lines[name]))
                self.changed.wait(min(left, 0.5))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        for r in self.readers:
            r.join(timeout=10)
        return self.proc.returncode

    def mappings_of(self, library_name):
        """The distinct files mapped under that name: (inode, deleted?)."""
        found = set()
        for line in pathlib.Path(f"/proc/{self.proc.pid}/maps").read_text().splitlines():
            if library_name in line:
                fields = line.split()
                found.add((fields[4], line.endswith("(deleted)")))
        return found


@pytest.fixture
def plugins(tmp_path):
    """Copies of the sources, so the test can edit them."""
    for name in ("ticker.cpp", "server.cpp"):
        shutil.copy(SOURCES / name, tmp_path / name)
    return tmp_path / "ticker.cpp", tmp_path / "server.cpp"


def edit(path, old, new):
    path.write_text(path.read_text().replace(old, new))


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
        # Only the new library is mapped: the old one is gone (not merely deleted).
        now = run.mappings_of("libserver.so")
        assert len(now) == 1 and now != old_library, (old_library, now)
        assert not any(deleted for _, deleted in now)
        # The ticker kept ticking while the server was rebuilt: the loop never stood
        # still for anything like the build's length.
        ticks = [int(line.split()[1]) for line in run.lines["stdout"] if line.startswith("tick ")]
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        assert build_seconds > 0.5, "the server's build is too quick to tell"
        assert max(gaps) < build_seconds * 1000 / 2, (max(gaps), build_seconds)
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
