"""Shared fixtures: where the built host and plugins are, and how to run tau."""
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(os.environ.get("TAU_BUILD_DIR", REPO / "build")).resolve()


class Tau:
    """Runs the built tau binary."""

    def __init__(self, build: pathlib.Path):
        self.build = build
        self.binary = build / "bin" / "tau"

    def plugin(self, name: str) -> pathlib.Path:
        """An example plugin from plugins/NAME."""
        return self.build / "plugins" / f"lib{name}.so"

    def test_plugin(self, name: str) -> pathlib.Path:
        """A test plugin from pytest/plugins/NAME."""
        return self.build / "test-plugins" / f"libtest_{name}.so"

    def run(self, *args, timeout=60, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.binary), *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)

    def run_plugins(self, env, *plugins, input=None, timeout=300) -> subprocess.CompletedProcess:
        """tau --plugin P1 --plugin P2 ... [--input INPUT], in environment env"""
        args = [arg for p in plugins for arg in ("--plugin", p)]
        if input is not None:
            args += ["--input", input]
        return self.run(*args, env=env, timeout=timeout)

    def build_plugin(self, source, env=None) -> str:
        """tau build SOURCE; returns the built library's path."""
        built = self.run("build", source, env=env, timeout=300)
        assert built.returncode == 0, built.stderr
        return built.stdout.strip()

    def start(self, *args) -> subprocess.Popen:
        return subprocess.Popen([str(self.binary), *map(str, args)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


@pytest.fixture
def socket_dir():
    """A short directory for a control socket (a Unix socket's path has at most 107
    bytes; pytest's tmp_path can be longer)."""
    d = tempfile.mkdtemp(prefix="tau-control-")
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The environment with a build cache of the test module's own, so that each
    plugin source compiles once per module."""
    return {**os.environ, "TAU_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


@pytest.fixture(scope="session")
def tau() -> Tau:
    t = Tau(BUILD)
    if not t.binary.exists():
        pytest.fail(f"{t.binary} does not exist: build first (cmake --preset default && cmake --build build)")
    return t


# ---- the bad-input catalogue (bad_input/): nothing left behind ----------------
TINY_PLUGIN = """\
#include <tau/plugin.h>
#include <cstdio>

static tau_task_id process(const uint8_t*, size_t) {
  std::puts("tiny plugin ran");
  return 0;
}

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
"""


def stray_processes(tau, env) -> list[str]:
    """Processes still running that this test left: a tau of this build, or anything
    (a compiler) working in the test's build cache."""
    cache = env.get("TAU_CACHE_DIR", "")
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            exe = os.readlink(proc / "exe")
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines() if ":" in line)
        except OSError:
            continue  # ended meanwhile, or not ours to read
        if "Z (zombie)" in status.get("State", ""):
            continue
        # Killed and on its way out: tau's watchdog process gets a SIGKILL when tau
        # ends (PR_SET_PDEATHSIG), and may not have run since.
        pending = int(status.get("SigPnd", "0"), 16) | int(status.get("ShdPnd", "0"), 16)
        if pending & (1 << (signal.SIGKILL - 1)):
            continue
        if exe == str(tau.binary) or (cache and cache in cmdline):
            found.append(f"{proc.name}: {cmdline.strip()}")
    return found


@pytest.fixture
def assert_left_clean(tau, env, tmp_path_factory):
    """Call it after the bad input: no stray process, and the build cache still builds
    and serves a plugin."""

    def check():
        assert stray_processes(tau, env) == []
        source = tmp_path_factory.mktemp("tiny") / "tiny.cpp"
        source.write_text(TINY_PLUGIN)
        run = tau.run("--plugin", source, env=env, timeout=300)
        assert run.returncode == 0, run.stderr
        assert run.stdout == "tiny plugin ran\n"

    return check
