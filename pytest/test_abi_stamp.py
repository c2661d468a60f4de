"""The ABI stamp: every translation unit of a plugin stamps a record of its settings;
the host refuses a plugin any of whose records differs where it matters."""
import pathlib
import re
import subprocess

REPO = pathlib.Path(__file__).resolve().parent.parent


def stamp_of(path):
    out = subprocess.run(["objcopy", "-O", "binary", "--only-section=.tau_abi", str(path), "/dev/stdout"],
                         capture_output=True, check=True).stdout
    return out.rstrip(b"\0").decode()


def records_of(path):
    """One dict per record (translation unit); alignment padding between them dropped."""
    return [dict(line.split("=", 1) for line in record.splitlines()) for record in stamp_of(path).split("\0")
            if record]


def with_stamp(src, dst, text):
    stamp = dst.with_suffix(".stamp")
    stamp.write_bytes(text.encode() + b"\0")
    subprocess.run(["objcopy", f"--update-section=.tau_abi={stamp}", str(src), str(dst)], check=True)
    return dst


def test_example_plugins_carry_the_hosts_stamp(tau):
    info = tau.run("--info").stdout
    record, = records_of(tau.plugin("hello"))
    assert record["source"] == str(REPO / "plugins" / "hello" / "hello.cpp")
    assert record["stamp_format"] == "2" and record["tau_abi"] == "1"
    assert record["cplusplus"] == "202002L" and record["cxx11_abi"] == "1" and record["boost"] == "108100"
    assert "plugin ABI version: 1" in info
    assert "ABI stamp:          stamp_format=2, tau_abi=1," in info


def test_every_source_of_a_plugin_stamps_a_record(tau, env, tmp_path):
    """A plugin of two C++ sources and a C one: three records, each naming its source."""
    project = tmp_path / "three_units"
    project.mkdir()
    (project / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.25)\nproject(three_units LANGUAGES C CXX)\n"
        "add_library(three_units MODULE plugin.cpp more.cpp helper.c)\n")
    (project / "plugin.cpp").write_text(
        '#include <tau/plugin.h>\n#include <cstdio>\nextern "C" int helper(void);\nint more();\n'
        'static tau_task_id process(const uint8_t*, size_t) {\n'
        '  std::printf("%d\\n", helper() + more());\n  return 0;\n}\n'
        'extern "C" int plugin_init(PluginHooks* hooks) {\n  hooks->process = process;\n  return 0;\n}\n')
    (project / "more.cpp").write_text("int more();\nint more() { return 40; }\n")
    (project / "helper.c").write_text("int helper(void);\nint helper(void) { return 2; }\n")
    r = tau.run("--plugin", project, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "42\n"
    records = {record["source"]: record for record in records_of(tau.build_plugin(project, env))}
    assert sorted(records) == [str(project / name) for name in ("helper.c", "more.cpp", "plugin.cpp")]
    assert records[str(project / "helper.c")]["cplusplus"] == "none"
    assert records[str(project / "more.cpp")]["cplusplus"] == "202002L"


def test_old_single_record_stamp_is_refused_asking_for_a_rebuild(tau, tmp_path):
    record, = stamp_of(tau.plugin("hello")).split("\0")
    old = "".join(line + "\n" for line in record.splitlines() if not line.startswith(("source=", "stamp_format=")))
    plugin = with_stamp(tau.plugin("hello"), tmp_path / "libold_format.so", old)
    r = tau.run("--plugin", plugin)
    assert r.returncode == 3
    assert r.stderr.strip().splitlines() == [
        f"tau: plugin '{plugin}': built with ABI settings this host does not share (stamp_format: plugin has 1, "
        "host has 2); rebuild it from source with this host (`tau build SOURCE`, or `tau clean` to drop stale builds)"]
    assert r.stdout == ""


def test_settings_that_cross_no_boundary_are_not_compared(tau, tmp_path):
    """The C++ standard, RTTI, exceptions, assertions and PIC are recorded only."""
    changed = stamp_of(tau.plugin("hello")).replace("cplusplus=202002L", "cplusplus=201703L")
    for key in ("rtti", "exceptions", "glibcxx_assertions", "pic"):
        changed = re.sub(rf"^{key}=(on|off)$", lambda m: f"{key}={'off' if m[1] == 'on' else 'on'}", changed,
                         count=1, flags=re.M)
    assert len(set(changed.splitlines()) - set(stamp_of(tau.plugin("hello")).splitlines())) == 5
    plugin = with_stamp(tau.plugin("hello"), tmp_path / "librecorded_only.so", changed)
    r = tau.run("--plugin", plugin)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from plugin!\n"


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
    source = REPO / "plugins" / "hello" / "hello.cpp"
    assert f"({source}: cxx11_abi: plugin has 0, host has 1)" in line
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
