"""Shared fixtures: where the built host and plugins are, and how to run tau."""
import os
import pathlib
import subprocess

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
