"""The bad-input catalogue: each test feeds tau one bad input, checks the message and
the exit code, then checks that nothing was left behind (assert_left_clean)."""
import os
import pathlib

import pytest

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
            state = next(line for line in (proc / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue  # ended meanwhile, or not ours to read
        if "Z (zombie)" in state:
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
