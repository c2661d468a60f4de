"""Plugins built without CMake: a plain Makefile or Meson through pkg-config (tau.pc,
in the build tree and in an installed dist/), or a compiler command with the flags of
`tau --info --json`. The host loads them only if their ABI stamp is its own."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

from test_abi_stamp import records_of

REPO = pathlib.Path(__file__).resolve().parent.parent
PLUGIN_SOURCE = REPO / "pytest" / "sources" / "pkg_config_plugin"
EXIT_LOAD_FAILED = 3


def pkg_config(pc_dir, *args):
    r = subprocess.run(["pkg-config", *args, "tau"], env={**os.environ, "PKG_CONFIG_PATH": str(pc_dir)},
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def make(pc_dir, tmp_path):
    """Copies the plugin to tmp_path and runs make there; returns the library."""
    project = tmp_path / "pkg_config_plugin"
    shutil.copytree(PLUGIN_SOURCE, project)
    r = subprocess.run(["make"], cwd=project, env={**os.environ, "PKG_CONFIG_PATH": str(pc_dir)},
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return project / "libmade.so"


def meson(pc_dir, tmp_path):
    """Copies the plugin to tmp_path and builds it with Meson there; returns the library."""
    project = tmp_path / "pkg_config_plugin"
    shutil.copytree(PLUGIN_SOURCE, project)
    env = {**os.environ, "PKG_CONFIG_PATH": str(pc_dir), "CXX": pkg_config(pc_dir, "--variable=cxx")}
    for command in (["meson", "setup", "build"], ["meson", "compile", "-C", "build"]):
        r = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
    return project / "build" / "libmade.so"


def run_plugin(binary, library, env):
    return subprocess.run([str(binary), "--plugin", str(library)], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_build_tree_has_a_tau_pc(tau):
    pc_dir = tau.build / "lib" / "pkgconfig"
    assert pkg_config(pc_dir, "--modversion") == json.loads(tau.run("--info", "--json").stdout)["version"]
    cflags = pkg_config(pc_dir, "--cflags").split()
    assert cflags[cflags.index("-include") + 1] == "tau/abi_stamp_record.h"
    assert cflags.index(str(REPO / "shim/include")) < cflags.index(str(REPO / "runtime/include"))
    assert "-shared" in pkg_config(pc_dir, "--libs").split()


def test_tau_pc_gives_the_flags_of_info_json(tau):
    info = json.loads(tau.run("--info", "--json").stdout)
    pc_dir = tau.build / "lib" / "pkgconfig"
    assert sorted(pkg_config(pc_dir, "--cflags").split()) == sorted(info["plugin_cflags"])
    assert sorted(pkg_config(pc_dir, "--libs").split()) == sorted(info["plugin_ldflags"])
    assert pkg_config(pc_dir, "--variable=cxx") == info["compiler_path"]


def test_makefile_plugin_loads_and_runs(tau, env, tmp_path):
    library = make(tau.build / "lib" / "pkgconfig", tmp_path)
    record, = records_of(library)
    assert record["source"] == "plugin.cpp"
    r = run_plugin(tau.binary, library, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "built without CMake\n"


def test_meson_plugin_loads_and_runs(tau, env, tmp_path):
    library = meson(tau.build / "lib" / "pkgconfig", tmp_path)
    record, = records_of(library)
    assert record["source"].endswith("plugin.cpp")
    r = run_plugin(tau.binary, library, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "built without CMake\n"


def test_plugin_built_from_info_json_flags_loads_and_runs(tau, env, tmp_path):
    info = json.loads(tau.run("--info", "--json").stdout)
    library = tmp_path / "libfrom_json.so"
    subprocess.run([info["compiler_path"], *info["plugin_cflags"], "-o", str(library),
                    str(PLUGIN_SOURCE / "plugin.cpp"), *info["plugin_ldflags"]], check=True, timeout=300)
    r = run_plugin(tau.binary, library, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "built without CMake\n"


def test_plugin_built_without_the_stamp_is_refused(tau, env, tmp_path):
    """The same flags without the forced include of the stamp: the host refuses it."""
    info = json.loads(tau.run("--info", "--json").stdout)
    cflags = info["plugin_cflags"]
    at = cflags.index("-include")
    library = tmp_path / "libunstamped.so"
    subprocess.run([info["compiler_path"], *cflags[:at], *cflags[at + 2:], "-o", str(library),
                    str(PLUGIN_SOURCE / "plugin.cpp"), *info["plugin_ldflags"]], check=True, timeout=300)
    r = run_plugin(tau.binary, library, env)
    assert r.returncode == EXIT_LOAD_FAILED
    assert "has no tau ABI stamp" in r.stderr
    assert r.stdout == ""


@pytest.fixture(scope="module")
def moved_dist(tau, tmp_path_factory):
    """cmake --install into one place, then moved to another. (Not to a path with a space:
    pkg-config does not quote the arguments of -isystem.)"""
    base = tmp_path_factory.mktemp("dist")
    subprocess.run(["cmake", "--install", str(tau.build), "--prefix", str(base / "first")], check=True,
                   capture_output=True)
    moved = base / "moved"
    shutil.move(str(base / "first"), str(moved))
    return moved


def test_moved_dist_tau_pc_builds_a_plugin_it_runs(moved_dist, env, tmp_path):
    pc_dir = moved_dist / "lib" / "pkgconfig"
    cflags = [os.path.normpath(flag) for flag in pkg_config(pc_dir, "--cflags").split()]
    assert cflags[cflags.index("-isystem") + 1] == str(moved_dist / "include" / "tau-shim")
    library = make(pc_dir, tmp_path)
    r = run_plugin(moved_dist / "bin" / "tau", library, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "built without CMake\n"


def test_moved_dist_info_json_names_its_own_files(moved_dist):
    r = subprocess.run([str(moved_dist / "bin" / "tau"), "--info", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["include_dirs"] == [str(moved_dist / "include" / "tau-shim"), str(moved_dist / "include")]
    assert info["pkg_config_path"] == str(moved_dist / "lib" / "pkgconfig")
    assert info["plugin_cflags"][info["plugin_cflags"].index("-isystem") + 1] == str(moved_dist / "include" / "tau-shim")
