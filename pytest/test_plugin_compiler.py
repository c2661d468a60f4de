"""The plugin compiler and build cache: plugins given as source are built with the
host's settings, cached, rebuilt when (and only when) an input changed."""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import threading

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
from test_abi_stamp import records_of

SOURCES = REPO / "pytest" / "sources"
EXIT_BUILD_FAILED = 4
EXIT_LOAD_FAILED = 3


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def env(tmp_path, cache):
    """A private build cache, and a cmake wrapper that logs every invocation."""
    log = tmp_path / "cmake.log"
    wrapper = tmp_path / "cmake-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec cmake "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "TAU_CACHE_DIR": str(cache), "TAU_CMAKE": str(wrapper)}


def cmake_calls(env):
    log = os.path.join(os.path.dirname(env["TAU_CMAKE"]), "cmake.log")
    return open(log).read().splitlines() if os.path.exists(log) else []


def copy_source(name, tmp_path, dest_name=None):
    dest = tmp_path / (dest_name or name)
    shutil.copytree(SOURCES / name if (SOURCES / name).exists() else REPO / "plugins" / name, dest)
    return dest


def test_cmake_project_is_built_then_served_from_the_cache(tau, env, cache):
    first = tau.run("--plugin", REPO / "plugins" / "hello", env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "Hello from plugin!\n"
    assert "tau: building plugin" in first.stderr and "compiling" in first.stderr
    assert any("--build" in call for call in cmake_calls(env))
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700

    calls_after_first = len(cmake_calls(env))
    second = tau.run("--plugin", REPO / "plugins" / "hello", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "Hello from plugin!\n"
    assert len(cmake_calls(env)) == calls_after_first  # neither CMake nor the compiler ran
    assert "building" not in second.stderr


def test_single_file_plugin(tau, env, tmp_path):
    source = tmp_path / "single.cpp"
    shutil.copy(REPO / "plugins" / "hello" / "hello.cpp", source)
    r = tau.run("--plugin", source, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from plugin!\n"

    source.write_text(source.read_text().replace("Hello from plugin!", "Hello, edited!"))
    r = tau.run("--plugin", source, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello, edited!\n"


def test_single_file_plugin_may_end_in_cc(tau, env, tmp_path):
    """--help names .cpp, .cc, .cxx and .c++ as the single-file plugin's endings."""
    source = tmp_path / "single.cc"
    shutil.copy(REPO / "plugins" / "hello" / "hello.cpp", source)
    r = tau.run("--plugin", source, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from plugin!\n"


def test_edited_source_is_rebuilt(tau, env, tmp_path):
    plugin = copy_source("hello", tmp_path)
    assert tau.run("--plugin", plugin, env=env, timeout=300).stdout == "Hello from plugin!\n"
    code = plugin / "hello.cpp"
    code.write_text(code.read_text().replace("Hello from plugin!", "Hello again!"))
    r = tau.run("--plugin", plugin, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello again!\n"
    assert "compiling" in r.stderr


def test_edited_header_is_rebuilt(tau, env, tmp_path):
    plugin = copy_source("with_header", tmp_path)
    assert tau.run("--plugin", plugin, env=env, timeout=300).stdout == "greeting v1\n"
    header = plugin / "greeting.hpp"
    header.write_text(header.read_text().replace("v1", "v2"))
    r = tau.run("--plugin", plugin, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "greeting v2\n"


def test_touching_without_changing_content_does_not_rebuild(tau, env, tmp_path):
    plugin = copy_source("with_header", tmp_path)
    assert tau.run("--plugin", plugin, env=env, timeout=300).returncode == 0
    calls = len(cmake_calls(env))
    os.utime(plugin / "greeting.hpp")
    assert tau.run("--plugin", plugin, env=env).stdout == "greeting v1\n"
    assert len(cmake_calls(env)) == calls


def test_compile_error_is_reported_and_the_last_good_build_is_kept(tau, env, tmp_path, cache):
    plugin = copy_source("hello", tmp_path)
    built = tau.run("build", plugin, env=env, timeout=300)
    assert built.returncode == 0, built.stderr
    artifact = built.stdout.strip()
    good = open(artifact, "rb").read()

    code = plugin / "hello.cpp"
    code.write_text(code.read_text() + "\nthis is not C++;\n")
    r = tau.run("--plugin", plugin, env=env, timeout=300)
    assert r.returncode == EXIT_BUILD_FAILED
    assert "error:" in r.stderr  # the compiler's own diagnostics
    assert f"tau: plugin '{plugin}': build failed" in r.stderr
    assert r.stdout == ""
    assert open(artifact, "rb").read() == good
    assert not list(cache.rglob("*.tmp.*"))


def test_a_broken_plugin_does_not_stop_the_others(tau, env, tmp_path):
    broken = copy_source("broken", tmp_path)
    (broken / "plugin.cpp").write_text("int main( {\n")
    r = tau.run("--plugin", broken, "--plugin", REPO / "plugins" / "hello", env=env, timeout=300)
    assert r.returncode == EXIT_BUILD_FAILED
    assert r.stdout == "Hello from plugin!\n"


def test_abi_mismatch_is_refused_naming_the_setting(tau, env):
    r = tau.run("--plugin", SOURCES / "abi_mismatch", env=env, timeout=300)
    assert r.returncode == EXIT_LOAD_FAILED
    assert "glibcxx_debug: plugin has on, host has off" in r.stderr
    assert "abi_mismatch ran" not in r.stdout


def stamp_records(library):
    """The records of a library's .tau_abi section, one dict per translation unit."""
    raw = subprocess.run(["objcopy", "-O", "binary", "--only-section=.tau_abi", str(library), "/dev/stdout"],
                         capture_output=True, check=True).stdout
    return [dict(line.split("=", 1) for line in record.decode().splitlines()) for record in raw.split(b"\0") if record]


PLUGIN_OF_STANDARD = """\
#include <tau/plugin.h>
#include <cstdio>
{include}
static_assert(__cplusplus == {cplusplus}L, "not built as the expected C++ standard");

static tau_task_id process(const uint8_t*, size_t) {{
  std::printf("built as %ld\\n", static_cast<long>(__cplusplus));
  return 0;
}}

extern "C" int plugin_init(PluginHooks* hooks) {{
  hooks->process = process;
  return 0;
}}
"""


def cxx17_project(tmp_path, name, include=""):
    project = tmp_path / name
    project.mkdir()
    (project / "CMakeLists.txt").write_text(f"cmake_minimum_required(VERSION 3.25)\nproject({name} LANGUAGES CXX)\n"
                                            f"set(CMAKE_CXX_STANDARD 17)\nadd_library({name} MODULE plugin.cpp)\n")
    (project / "plugin.cpp").write_text(PLUGIN_OF_STANDARD.format(include=include, cplusplus=201703))
    return project


def test_cxx17_project_is_built_as_cxx17_and_loads(tau, env, tmp_path):
    project = cxx17_project(tmp_path, "cxx17")
    r = tau.run("--plugin", project, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "built as 201703\n"
    records = stamp_records(tau.build_plugin(project, env))
    assert [(r["source"], r["cplusplus"]) for r in records] == [(str(project / "plugin.cpp"), "201703L")]


def test_single_file_plugin_defaults_to_cxx20(tau, env, tmp_path):
    source = tmp_path / "default_standard.cpp"
    source.write_text(PLUGIN_OF_STANDARD.format(include="", cplusplus=202002))
    r = tau.run("--plugin", source, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "built as 202002\n"


def test_tau_hpp_in_a_cxx17_plugin_fails_the_build_saying_why(tau, env, tmp_path):
    project = cxx17_project(tmp_path, "cxx17_tau_hpp", include="#include <tau/tau.hpp>")
    r = tau.run("--plugin", project, env=env, timeout=300)
    assert r.returncode == EXIT_BUILD_FAILED
    assert "#error \"tau/tau.hpp needs C++20" in r.stderr
    assert f"tau: plugin '{project}': build failed" in r.stderr
    assert r.stdout == ""


def test_shim_headers_win_in_every_translation_unit(tau, env):
    """Also in a static and an object library of the project, built into the plugin
    (static although the project asks for shared libraries) and stamped."""
    r = tau.run("--plugin", SOURCES / "shim_probe", env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "shim first: asio 102600, and in the static library and the object library\n"
    library = tau.build_plugin(SOURCES / "shim_probe", env)
    sources = sorted(pathlib.Path(record["source"]).name for record in records_of(library))
    assert sources == ["bundled.cpp", "bundled_objects.cpp", "first.cpp", "second.cpp"]
    built = {p.name for p in pathlib.Path(library).parent.rglob("libbundled*")}
    assert built == {"libbundled.a"}, built


def test_directory_without_cmakelists(tau, env, tmp_path):
    r = tau.run("--plugin", tmp_path, env=env)
    assert r.returncode == EXIT_BUILD_FAILED
    assert "is a directory without a CMakeLists.txt" in r.stderr


def test_concurrent_builds_of_one_plugin(tau, env, tmp_path):
    plugin = copy_source("hello", tmp_path)
    results = [None, None]

    def build(i):
        results[i] = tau.run("--plugin", plugin, env=env, timeout=300)

    threads = [threading.Thread(target=build, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert r.returncode == 0, r.stderr
        assert r.stdout == "Hello from plugin!\n"
    # One built it; the other waited for the lock and then found it current.
    assert sum("--build" in call for call in cmake_calls(env)) == 1


def test_path_with_spaces(tau, env, tmp_path):
    plugin = copy_source("hello", tmp_path / "my plugins", "hello world")
    r = tau.run("--plugin", plugin, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from plugin!\n"


def test_clean_removes_the_cache(tau, env, cache):
    assert tau.run("build", REPO / "plugins" / "hello", env=env, timeout=300).returncode == 0
    assert any(cache.iterdir())
    r = tau.run("clean", env=env)
    assert r.returncode == 0
    assert not cache.exists()


def test_info_names_the_plugin_build_settings(tau):
    out = tau.run("--info").stdout
    assert "plugin flags:" in out and "-fno-gnu-unique" in out


@pytest.fixture(scope="module")
def dist(tau, tmp_path_factory):
    """cmake --install into one place, then moved to another."""
    base = tmp_path_factory.mktemp("dist")
    subprocess.run(["cmake", "--install", str(tau.build), "--prefix", str(base / "first")], check=True,
                   capture_output=True)
    moved = base / "moved here"
    shutil.move(str(base / "first"), str(moved))
    return moved


def test_moved_dist_compiles_and_runs_plugins(dist, env):
    r = subprocess.run([str(dist / "run.sh"), "--plugin", str(REPO / "plugins" / "hello")], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from plugin!\n"
    for path in ("bin/tau", "include/tau/tau.h", "include/tau-shim/boost/asio/version.hpp",
                 "share/tau/cmake/TauConfig.cmake", "share/tau/cmake/TauInject.cmake"):
        assert (dist / path).exists(), path


def test_find_package_tau_builds_a_stamped_plugin(dist, tmp_path, env):
    build = tmp_path / "build"
    settings = (dist / "share/tau/cmake/TauPluginSettings.cmake").read_text()
    compiler = settings.split('TAU_HOST_CXX_COMPILER "')[1].split('"')[0]
    subprocess.run(["cmake", "-S", str(SOURCES / "find_package_tau"), "-B", str(build), "-G", "Ninja",
                    f"-DCMAKE_PREFIX_PATH={dist}", f"-DCMAKE_CXX_COMPILER={compiler}"],
                   check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True)
    r = subprocess.run([str(dist / "run.sh"), "--plugin", str(build / "libby_itself.so")], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "built by find_package(Tau)\n"
    records = stamp_records(build / "libby_itself.so")
    assert [record["source"] for record in records] == [str(SOURCES / "find_package_tau" / "plugin.cpp")]


def test_manifest_of_the_previous_format_is_stale_not_damaged(tau, env, tmp_path):
    plugin = copy_source("hello", tmp_path)
    artifact = tau.build_plugin(plugin, env=env)
    manifest_path = os.path.join(os.path.dirname(artifact), "manifest.json")
    manifest = json.load(open(manifest_path))
    assert manifest["artifact_size"] == os.path.getsize(artifact)
    del manifest["artifact_size"], manifest["artifact_hash"]  # as the previous format wrote it
    with open(manifest_path, "w") as out:
        json.dump(manifest, out)

    r = tau.run("--plugin", plugin, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from plugin!\n"
    assert "damaged" not in r.stderr
    assert "compiling" in r.stderr  # rebuilt, quietly
    assert "artifact_hash" in json.load(open(manifest_path))
