"""tau --info --json: what --info says, as one JSON object for tools, with the flags a
plugin built without CMake must use."""
import json
import os
import pathlib
import re

KEYS = ("version", "abi_version", "compiler", "compiler_path", "cxx_standard", "build_type", "cxx_flags",
        "plugin_flags", "plugin_cflags", "plugin_ldflags", "include_dirs", "pkg_config_path", "sanitizers",
        "libuv", "libuv_build", "boost", "build_cache", "abi_stamp")


def info_json(tau, env=None):
    r = tau.run("--info", "--json", env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def plain_info(tau, env=None):
    """--info's lines as {label: value}."""
    out = tau.run("--info", env=env).stdout
    return dict(re.match(r"\s+([^:]+):\s+(.*)", line).groups() for line in out.splitlines()[1:])


def test_info_json_has_every_key(tau):
    info = info_json(tau)
    assert tuple(info) == KEYS
    assert isinstance(info["abi_version"], int) and isinstance(info["cxx_standard"], int)
    assert info["plugin_cflags"] and all(isinstance(flag, str) and flag for flag in info["plugin_cflags"])
    assert info["plugin_ldflags"] and all(isinstance(flag, str) and flag for flag in info["plugin_ldflags"])


def test_info_json_says_what_plain_info_says(tau):
    info = info_json(tau)
    plain = plain_info(tau)
    first = tau.run("--info").stdout.splitlines()[0]
    assert first == f"tau {info['version']}"
    assert tau.run("--version").stdout == f"tau {info['version']}\n"
    assert plain["plugin ABI version"] == str(info["abi_version"])
    assert plain["compiler"] == f"{info['compiler']} ({info['compiler_path']})"
    assert plain["C++ standard"] == f"C++{info['cxx_standard']}"
    assert plain["build type"] == info["build_type"]
    assert plain["flags"] == info["cxx_flags"]
    assert plain["plugin flags"] == info["plugin_flags"]
    assert plain["sanitizers"] == (",".join(info["sanitizers"]) or "none")
    assert plain["libuv"] == f"{info['libuv']} (built against {info['libuv_build']})"
    assert plain["Boost"].split()[0] == info["boost"]
    assert plain["build cache"] == info["build_cache"]
    assert plain["ABI stamp"] == ", ".join(f"{k}={v}" for k, v in info["abi_stamp"].items())


def test_info_json_honours_TAU_CACHE_DIR(tau, tmp_path):
    info = info_json(tau, env={**os.environ, "TAU_CACHE_DIR": str(tmp_path)})
    assert info["build_cache"] == str(tmp_path)


def test_plugin_flags_name_the_headers_and_the_abi_stamp(tau):
    info = info_json(tau)
    cflags, ldflags = info["plugin_cflags"], info["plugin_ldflags"]
    shim, include = map(pathlib.Path, info["include_dirs"])
    assert (include / "tau" / "tau.h").is_file()
    assert (shim / "boost" / "asio" / "version.hpp").is_file()
    # The shim first, so that its Asio headers win over the system Boost's.
    assert cflags.index(str(shim)) < cflags.index(str(include))
    assert cflags[cflags.index("-include") + 1] == "tau/abi_stamp_record.h"
    assert (include / "tau" / "abi_stamp_record.h").is_file()
    assert "-fPIC" in cflags and f"-std=c++{info['cxx_standard']}" in cflags
    for flag in info["plugin_flags"].split():
        assert flag in cflags + ldflags
    assert "-shared" in ldflags and "-Wl,-Bsymbolic" in ldflags
    sanitizing = [flag for flag in cflags if flag.startswith("-fsanitize=")]
    assert bool(sanitizing) == bool(info["sanitizers"])


def test_info_json_names_the_build_trees_tau_pc(tau):
    info = info_json(tau)
    assert info["pkg_config_path"] == str(tau.build / "lib" / "pkgconfig")
    assert (pathlib.Path(info["pkg_config_path"]) / "tau.pc").is_file()


def test_json_without_info_is_a_usage_error(tau):
    r = tau.run("--json")
    assert r.returncode == 2
    assert "--info" in r.stderr
