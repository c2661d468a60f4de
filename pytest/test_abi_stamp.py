"""The ABI stamp: the host refuses plugins built with settings it does not share."""
import re
import subprocess


def stamp_of(path):
    out = subprocess.run(["objcopy", "-O", "binary", "--only-section=.tau_abi", str(path), "/dev/stdout"],
                         capture_output=True, check=True).stdout
    return out.rstrip(b"\0").decode()


def with_stamp(src, dst, text):
    stamp = dst.with_suffix(".stamp")
    stamp.write_bytes(text.encode() + b"\0")
    subprocess.run(["objcopy", f"--update-section=.tau_abi={stamp}", str(src), str(dst)], check=True)
    return dst


def test_example_plugins_carry_the_hosts_stamp(tau):
    info = tau.run("--info").stdout
    stamp = stamp_of(tau.plugin("hello"))
    assert "cplusplus=202002L" in stamp and "cxx11_abi=1" in stamp and "boost=108100" in stamp
    assert stamp.splitlines()[0] == "tau_abi=1"
    assert "plugin ABI version: 1" in info


def test_unstamped_plugin_is_refused_unless_allowed(tau, tmp_path):
    bare = tmp_path / "libbare.so"
    subprocess.run(["objcopy", "--remove-section=.tau_abi", str(tau.plugin("hello")), str(bare)], check=True)
    r = tau.run("--plugin", bare)
    assert r.returncode == 3
    assert r.stderr.strip().splitlines() == [
        f"tau: plugin '{bare}': has no tau ABI stamp (it was not built by tau's plugin compiler); "
        "build it with `tau build SOURCE`, or pass --allow-unstamped to load it anyway"]
    r = tau.run("--allow-unstamped", "--plugin", bare)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from plugin!\n"


def test_mismatched_setting_is_named(tau, tmp_path):
    original = stamp_of(tau.plugin("hello"))
    changed = original.replace("cxx11_abi=1", "cxx11_abi=0")
    assert changed != original
    plugin = with_stamp(tau.plugin("hello"), tmp_path / "libold_abi.so", changed)
    r = tau.run("--plugin", plugin)
    assert r.returncode == 3
    line, = r.stderr.strip().splitlines()
    assert "cxx11_abi: plugin has 0, host has 1" in line
    assert "rebuild it from source" in line
    assert r.stdout == ""  # nothing of the plugin ran


def test_mismatch_is_refused_even_with_allow_unstamped(tau, tmp_path):
    original = stamp_of(tau.plugin("hello"))
    host_shim = re.search(r"shim=(\d+)", original)[1]
    changed = original.replace(f"shim={host_shim}", "shim=0")
    plugin = with_stamp(tau.plugin("hello"), tmp_path / "libold_shim.so", changed)
    r = tau.run("--allow-unstamped", "--plugin", plugin)
    assert r.returncode == 3
    assert f"shim: plugin has 0, host has {host_shim}" in r.stderr
