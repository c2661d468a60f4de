"""Builds plugins with tau's own plugin compiler (`tau build DIR`), several at once,
in the suite's persistent build cache."""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import pathlib
import re
import subprocess
import time

from .config import Config

# A cold build of libtorrent (about 140 files) takes 15-20 minutes on 2 cores.
BUILD_TIMEOUT = float(os.environ.get("TAU_COMPAT_BUILD_TIMEOUT", 3600))


@dataclasses.dataclass
class Build:
    dir: pathlib.Path
    ok: bool
    library: pathlib.Path | None
    seconds: float
    compiled: bool  # False: served from the cache
    first_error: str = ""
    log: str = ""  # the build's output (stderr, and stdout when it failed)
    command: list[str] = dataclasses.field(default_factory=list)  # for the case's log
    exit_code: int | None = None  # None: it did not finish


def first_compiler_error(log: str) -> str:
    """The first line of the compiler's output that says error, else tau's own."""
    for line in log.splitlines():
        if re.search(r"\berror\b:", line) or "fatal error" in line:
            return line.strip()
    for line in log.splitlines():
        if line.startswith("tau:") and ("failed" in line or "cannot" in line):
            return line.strip()
    return log.strip().splitlines()[-1] if log.strip() else "build failed without output"


def build_env(config: Config) -> dict:
    return {**os.environ, "TAU_CACHE_DIR": str(config.cache), "TAU_COMPAT_SOURCES": str(config.sources)}


def build_one(config: Config, plugin_dir: pathlib.Path) -> Build:
    start = time.monotonic()
    command = [str(config.tau), "build", str(plugin_dir)]
    try:
        r = subprocess.run(command, capture_output=True,
                           text=True, timeout=BUILD_TIMEOUT, env=build_env(config), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Build(plugin_dir, False, None, time.monotonic() - start, True,
                     f"build did not finish in {BUILD_TIMEOUT:.0f}s", command=command)
    seconds = time.monotonic() - start
    compiled = "compiling" in r.stderr
    if r.returncode != 0:
        log = r.stdout + r.stderr
        return Build(plugin_dir, False, None, seconds, compiled, first_compiler_error(log), log, command, r.returncode)
    library = pathlib.Path(r.stdout.strip().splitlines()[-1])
    return Build(plugin_dir, True, library, seconds, compiled, log=r.stderr, command=command, exit_code=0)


def build_all(config: Config, dirs: list[pathlib.Path], progress=None) -> dict[pathlib.Path, Build]:
    """Builds every plugin once; config.jobs at a time (each build is one CMake +
    Ninja run and mostly one compiler process)."""
    results: dict[pathlib.Path, Build] = {}
    unique = list(dict.fromkeys(dirs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=config.jobs) as pool:
        futures = {pool.submit(build_one, config, d): d for d in unique}
        for f in concurrent.futures.as_completed(futures):
            b = f.result()
            results[b.dir] = b
            if progress:
                progress(b)
    return results
