"""Bad input around plugin builds: a build stopped by SIGINT/SIGTERM, a damaged build
cache, an unusable cache directory, and libraries `tau build` must refuse as
`tau --plugin` would."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
EXIT_CACHE_UNUSABLE = 2
EXIT_LOAD_FAILED = 3
EXIT_BUILD_FAILED = 4
NOBODY = 65534
HANG_GUARD = 300  # seconds; only against a hang, never a measure

PLUGIN_CPP = """\
#include <tau/plugin.h>
#include <cstdio>

static tau_task_id process(const uint8_t*, size_t) {
  std::puts("MESSAGE");
  return 0;
}

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
"""
TINY_PLUGIN = PLUGIN_CPP.replace("MESSAGE", "tiny plugin ran")

FAST_PROJECT = """\
cmake_minimum_required(VERSION 3.25)
project(slow LANGUAGES CXX)
add_library(slow MODULE plugin.cpp)
"""

# A step before the library compiles that sleeps for good: only an interrupt ends it.
SLOW_COMPILE_PROJECT = """\
cmake_minimum_required(VERSION 3.25)
project(slow LANGUAGES CXX)
add_custom_command(OUTPUT ${{CMAKE_CURRENT_BINARY_DIR}}/generated.hpp
                   COMMAND sleep {seconds}
                   COMMAND ${{CMAKE_COMMAND}} -E touch ${{CMAKE_CURRENT_BINARY_DIR}}/generated.hpp)
add_library(slow MODULE plugin.cpp ${{CMAKE_CURRENT_BINARY_DIR}}/generated.hpp)
"""

# The step ignores SIGINT and SIGTERM: ninja forwards the interrupt to it in vain.
STUBBORN_COMPILE_PROJECT = SLOW_COMPILE_PROJECT.replace(
    "COMMAND sleep {seconds}", "COMMAND sh -c \"trap '' INT TERM; exec sleep {seconds}\" VERBATIM")

SLOW_CONFIGURE_PROJECT = """\
cmake_minimum_required(VERSION 3.25)
project(slow LANGUAGES CXX)
if(NOT EXISTS ${{CMAKE_CURRENT_SOURCE_DIR}}/configure_fast)
  execute_process(COMMAND sleep {seconds})
endif()
add_library(slow MODULE plugin.cpp)
"""


def sleep_argument(seconds):
    """`sleep 987.PID`: sleeps 987 s, and no other test's sleep looks the same."""
    return f"{seconds}.{os.getpid()}"


def sleeping(argument):
    """Live processes running `sleep ARGUMENT`."""
    wanted = f"sleep\0{argument}\0".encode()
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cmdline").read_bytes() == wanted and \
                    "Z (zombie)" not in (proc / "status").read_text():
                found.append(int(proc.name))
        except OSError:
            pass  # ended meanwhile
    return found


def wait_until(condition, what):
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < deadline, f"hang guard: still waiting for {what}"
        time.sleep(0.05)


def write_project(path, cmakelists):
    path.mkdir(exist_ok=True)
    (path / "plugin.cpp").write_text(PLUGIN_CPP.replace("MESSAGE", "slow plugin ran"))
    (path / "CMakeLists.txt").write_text(cmakelists)
    return path


class Running:
    """tau started in the background; its stderr lines are collected as they come."""

    def __init__(self, tau, env, *args):
        self.proc = subprocess.Popen([str(tau.binary), *map(str, args)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True)
        self.reader.start()

    def said(self, text):
        return any(text in line for line in list(self.lines))

    def finish(self):
        out = self.proc.stdout.read()
        self.proc.wait(timeout=HANG_GUARD)
        self.reader.join(timeout=HANG_GUARD)
        return self.proc.returncode, out, "".join(self.lines)


def interrupt_while_sleeping(tau, env, project, phase, seconds, signum):
    """Runs `tau --plugin project`, waits for the build phase and for its `sleep`, sends
    signum; returns tau's exit status, stdout and stderr."""
    run = Running(tau, env, "--plugin", project)
    wait_until(lambda: run.said(f"tau: building plugin '{project}': {phase}"), f"the {phase} line")
    wait_until(lambda: sleeping(seconds), f"sleep {seconds}")
    run.proc.send_signal(signum)
    return run.finish()


def cache_files(env):
    """Every artifact and manifest of the build cache, by path, with their bytes."""
    root = pathlib.Path(env["TAU_CACHE_DIR"])
    return {p: p.read_bytes() for p in root.glob("*/*") if p.suffix in (".so", ".json")}


def test_sigint_while_compiling_keeps_the_last_good_build(tau, env, tmp_path, assert_left_clean):
    project = write_project(tmp_path / "slow", FAST_PROJECT)
    library = tau.build_plugin(project, env=env)
    kept = cache_files(env)
    assert pathlib.Path(library) in kept

    seconds = sleep_argument(987)
    (project / "CMakeLists.txt").write_text(SLOW_COMPILE_PROJECT.format(seconds=seconds))
    status, out, err = interrupt_while_sleeping(tau, env, project, "compiling", seconds, signal.SIGINT)
    assert status == 130, err
    assert f"tau: plugin '{project}': build interrupted by SIGINT; the last good build, if any, is kept\n" in err
    assert out == ""  # the plugin did not run
    assert sleeping(seconds) == []  # the compiler's process group was killed
    assert cache_files(env) == kept  # artifact and manifest untouched, no half-written entry

    # Back to the inputs of the last good build: it is served as it was, without a build.
    (project / "CMakeLists.txt").write_text(FAST_PROJECT)
    served = tau.run("--plugin", project, env=env, timeout=HANG_GUARD)
    assert served.returncode == 0, served.stderr
    assert served.stdout == "slow plugin ran\n"
    assert "building" not in served.stderr
    assert_left_clean()


def test_sigterm_while_compiling(tau, env, tmp_path, assert_left_clean):
    seconds = sleep_argument(987)
    project = write_project(tmp_path / "slow", SLOW_COMPILE_PROJECT.format(seconds=seconds))
    status, out, err = interrupt_while_sleeping(tau, env, project, "compiling", seconds, signal.SIGTERM)
    assert status == 143, err
    assert f"tau: plugin '{project}': build interrupted by SIGTERM; the last good build, if any, is kept\n" in err
    assert out == ""
    assert sleeping(seconds) == []
    assert_left_clean()


def test_a_build_step_that_ignores_the_signal_is_killed(tau, env, tmp_path, assert_left_clean):
    seconds = sleep_argument(985)
    project = write_project(tmp_path / "slow", STUBBORN_COMPILE_PROJECT.format(seconds=seconds))
    status, out, err = interrupt_while_sleeping(tau, env, project, "compiling", seconds, signal.SIGINT)
    assert status == 130, err
    assert f"tau: plugin '{project}': build interrupted by SIGINT; the last good build, if any, is kept\n" in err
    assert out == ""
    assert sleeping(seconds) == []  # killed after the grace, in the process group ninja gave it
    assert_left_clean()


def test_sigint_while_configuring_then_a_later_run_builds(tau, env, tmp_path, assert_left_clean):
    seconds = sleep_argument(986)
    project = write_project(tmp_path / "slow", SLOW_CONFIGURE_PROJECT.format(seconds=seconds))
    status, out, err = interrupt_while_sleeping(tau, env, project, "configuring", seconds, signal.SIGINT)
    assert status == 130, err
    assert f"tau: plugin '{project}': build interrupted by SIGINT; the last good build, if any, is kept\n" in err
    assert out == ""
    assert sleeping(seconds) == []

    (project / "configure_fast").touch()
    later = tau.run("--plugin", project, env=env, timeout=HANG_GUARD)
    assert later.returncode == 0, later.stderr
    assert later.stdout == "slow plugin ran\n"
    # What the interrupted configure left was not trusted: it configured again.
    assert f"tau: building plugin '{project}': configuring" in later.stderr
    assert_left_clean()


def test_a_signal_stops_the_builds_of_later_plugins(tau, env, tmp_path, assert_left_clean):
    seconds = sleep_argument(987)
    slow = write_project(tmp_path / "slow", SLOW_COMPILE_PROJECT.format(seconds=seconds))
    later = tmp_path / "later.cpp"
    later.write_text(TINY_PLUGIN)
    run = Running(tau, env, "--plugin", slow, "--plugin", later)
    wait_until(lambda: sleeping(seconds), f"sleep {seconds}")
    run.proc.send_signal(signal.SIGINT)
    status, out, err = run.finish()
    assert status == 130, err
    assert f"tau: plugin '{slow}': build interrupted by SIGINT" in err
    assert str(later) not in err  # neither built nor run
    assert out == ""
    assert_left_clean()


def tiny_source(tmp_path):
    source = tmp_path / "tiny.cpp"
    source.write_text(TINY_PLUGIN)
    return source


def entry_of(library):
    library = pathlib.Path(library)
    return library.parent, library.parent / "manifest.json"


@pytest.mark.parametrize("damage", ["truncated", "edited", "removed"])
def test_damaged_cached_library_is_rebuilt(tau, env, tmp_path, assert_left_clean, damage):
    source = tiny_source(tmp_path)
    library = pathlib.Path(tau.build_plugin(source, env=env))
    good = library.read_bytes()
    if damage == "truncated":
        library.write_bytes(b"")
    elif damage == "edited":
        middle = len(good) // 2
        library.write_bytes(good[:middle] + bytes([good[middle] ^ 0xFF]) + good[middle + 1:])
    else:
        library.unlink()

    r = tau.run("--plugin", source, env=env, timeout=HANG_GUARD)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "tiny plugin ran\n"
    reason = (f"the library {library.name} is missing" if damage == "removed"
              else "the library's size or hash differs from its manifest")
    assert f"tau: plugin '{source}': the cached build is damaged ({reason}); rebuilding\n" in r.stderr
    assert library.stat().st_size > 0

    again = tau.run("--plugin", source, env=env, timeout=HANG_GUARD)
    assert again.returncode == 0, again.stderr
    assert "damaged" not in again.stderr and "building" not in again.stderr
    assert_left_clean()


@pytest.mark.parametrize("manifest_text", ["{ not json", '{"artifact": 5, "inputs": []}'],
                         ids=["unparsable", "wrong_types"])
def test_damaged_manifest_is_rebuilt(tau, env, tmp_path, assert_left_clean, manifest_text):
    source = tiny_source(tmp_path)
    _, manifest = entry_of(tau.build_plugin(source, env=env))
    manifest.write_text(manifest_text)

    r = tau.run("--plugin", source, env=env, timeout=HANG_GUARD)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "tiny plugin ran\n"
    assert (f"tau: plugin '{source}': the cached build is damaged (its manifest cannot be read or parsed); "
            "rebuilding\n") in r.stderr
    assert "artifact_hash" in json.loads(manifest.read_text())
    assert_left_clean()


def test_source_vanishing_during_the_build(tau, env, tmp_path, assert_left_clean):
    source = tiny_source(tmp_path)
    wrapper = tmp_path / "cmake-then-remove-source"
    wrapper.write_text(f'#!/bin/sh\ncmake "$@"\nstatus=$?\ncase "$*" in *--build*) rm -f "{source}";; esac\n'
                       'exit $status\n')
    wrapper.chmod(0o755)
    r = tau.run("--plugin", source, env={**env, "TAU_CMAKE": str(wrapper)}, timeout=HANG_GUARD)
    assert r.returncode == EXIT_BUILD_FAILED, r.stderr
    assert (f"tau: plugin '{source}': the source file {source} vanished or became unreadable during the build; "
            "the build is not cached, the last good build, if any, is kept\n") in r.stderr
    assert r.stdout == ""
    assert_left_clean()


def test_cache_dir_below_a_regular_file(tau, env, tmp_path, assert_left_clean):
    source = tiny_source(tmp_path)
    (tmp_path / "a-file").write_text("not a directory")
    cache = tmp_path / "a-file" / "cache"
    r = tau.run("--plugin", source, env={**env, "TAU_CACHE_DIR": str(cache)}, timeout=HANG_GUARD)
    assert r.returncode == EXIT_CACHE_UNUSABLE
    assert r.stderr.splitlines() == [
        f"tau: plugin '{source}': the build cache directory {cache} cannot be created: Not a directory "
        "(set TAU_CACHE_DIR to a directory of your own)"]
    assert r.stdout == ""
    assert (tmp_path / "a-file").read_text() == "not a directory"
    assert_left_clean()


def test_read_only_cache_dir(tau, env, assert_left_clean):
    # Root writes anywhere: as root, tau runs as nobody against nobody's read-only dir.
    as_root = os.geteuid() == 0
    if as_root and shutil.which("setpriv") is None:
        pytest.skip("running as root, and setpriv (util-linux) is missing to run tau as another user")
    base = pathlib.Path(tempfile.mkdtemp(prefix="tau-readonly-"))
    try:
        base.chmod(0o755)
        source = tiny_source(base)
        cache = base / "cache"
        cache.mkdir(mode=0o500)
        cache.chmod(0o500)
        command = [str(tau.binary), "--plugin", str(source)]
        if as_root:
            for path in (base, source, cache):
                os.chown(path, NOBODY, NOBODY)
            command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] + command
        r = subprocess.run(command, env={**env, "TAU_CACHE_DIR": str(cache)}, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=HANG_GUARD)
        assert r.returncode == EXIT_CACHE_UNUSABLE, r.stderr
        assert r.stderr.splitlines() == [
            f"tau: plugin '{source}': the build cache directory {cache} is not writable: Permission denied "
            "(set TAU_CACHE_DIR to a directory of your own)"]
        assert list(cache.iterdir()) == []
    finally:
        shutil.rmtree(base)
    assert_left_clean()


def chown_to_nobody(path):
    if os.geteuid() != 0:
        pytest.skip("needs root to give a directory to another user (uid 65534)")
    os.chown(path, NOBODY, NOBODY)


def test_cache_dir_owned_by_another_user(tau, env, tmp_path, assert_left_clean):
    source = tiny_source(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    chown_to_nobody(cache)
    r = tau.run("--plugin", source, env={**env, "TAU_CACHE_DIR": str(cache)}, timeout=HANG_GUARD)
    assert r.returncode == EXIT_CACHE_UNUSABLE
    assert r.stderr.splitlines() == [
        f"tau: plugin '{source}': the build cache directory {cache} is owned by uid {NOBODY}, not by this user "
        f"(uid {os.geteuid()}); refusing to use it (set TAU_CACHE_DIR to a directory of your own)"]
    assert list(cache.iterdir()) == []  # not used
    assert cache.stat().st_uid == NOBODY
    assert_left_clean()


def test_cache_entry_owned_by_another_user(tau, env, tmp_path, assert_left_clean):
    source = tiny_source(tmp_path)
    cache_env = {**env, "TAU_CACHE_DIR": str(tmp_path / "cache")}
    library = pathlib.Path(tau.build_plugin(source, env=cache_env))
    entry, _ = entry_of(library)
    chown_to_nobody(entry)
    kept = library.read_bytes()
    r = tau.run("--plugin", source, env=cache_env, timeout=HANG_GUARD)
    assert r.returncode == EXIT_CACHE_UNUSABLE
    assert r.stderr.splitlines() == [
        f"tau: plugin '{source}': the build cache directory {entry} is owned by uid {NOBODY}, not by this user "
        f"(uid {os.geteuid()}); refusing to use it (set TAU_CACHE_DIR to a directory of your own)"]
    assert r.stdout == ""
    assert library.read_bytes() == kept
    assert_left_clean()


def refusal(stderr, source):
    lines = [line for line in stderr.splitlines() if line.startswith(f"tau: plugin '{source}': ")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_tau_build_refuses_an_abi_mismatch_as_tau_plugin_does(tau, env, assert_left_clean):
    source = REPO / "pytest" / "sources" / "abi_mismatch"
    built = tau.run("build", source, env=env, timeout=HANG_GUARD)
    assert built.returncode == EXIT_LOAD_FAILED, built.stderr
    assert built.stdout == ""
    line = refusal(built.stderr, source)
    assert "glibcxx_debug: plugin has on, host has off" in line
    assert "tau build" not in line  # the advice is not to run what just refused it

    run = tau.run("--plugin", source, env=env, timeout=HANG_GUARD)
    assert run.returncode == EXIT_LOAD_FAILED
    assert refusal(run.stderr, source) == line
    assert run.stdout == ""
    assert_left_clean()


NO_INIT_WITH_CONSTRUCTOR = """\
#include <fstream>

// Runs when the library is loaded: it must not be, to be refused.
static int loaded = [] {
  std::ofstream("MARKER") << "loaded";
  return 1;
}();

extern "C" __attribute__((visibility("default"))) int not_a_plugin() { return loaded; }
"""


def test_tau_build_refuses_a_library_without_plugin_init_without_loading_it(tau, env, tmp_path,
                                                                           assert_left_clean):
    marker = tmp_path / "loaded"
    source = tmp_path / "no_init.cpp"
    source.write_text(NO_INIT_WITH_CONSTRUCTOR.replace("MARKER", str(marker)))
    # A single source without plugin_init could be a program; it has no main either.
    expected = (f"tau: plugin '{source}': defines neither plugin_init nor main (a plugin defines extern \"C\" "
                "int plugin_init(PluginHooks*), declared in <tau/plugin.h>; a program defines main)")
    built = tau.run("build", source, env=env, timeout=HANG_GUARD)
    assert built.returncode == EXIT_LOAD_FAILED, built.stderr
    assert built.stdout == ""
    assert refusal(built.stderr, source) == expected

    run = tau.run("--plugin", source, env=env, timeout=HANG_GUARD)
    assert run.returncode == EXIT_LOAD_FAILED
    assert refusal(run.stderr, source) == expected
    assert not marker.exists()  # found in its symbol table, without running its code
    assert_left_clean()
