"""The host's command line: --help, --version, --info, usage errors."""
import re


def test_help_lists_the_options(tau):
    r = tau.run("--help")
    assert r.returncode == 0
    for option in ("--plugin", "--input", "--info", "--version", "Exit status"):
        assert option in r.stdout


def test_help_names_every_kind_of_plugin(tau):
    help_text = " ".join(tau.run("--help").stdout.split())
    plugin_option = help_text[help_text.index("--plugin"):help_text.index("--input")]
    for kind in ("a CMake project directory", "a C++ source file (.cpp, .cc, .cxx, .c++)", "a built shared library"):
        assert kind in plugin_option


def test_version(tau):
    r = tau.run("--version")
    assert r.returncode == 0
    assert re.fullmatch(r"tau \d+\.\d+\.\d+\n", r.stdout)


def test_info_describes_the_build(tau):
    r = tau.run("--info")
    assert r.returncode == 0
    assert re.search(r"plugin ABI version: \d+", r.stdout)
    assert re.search(r"libuv:\s+1\.\d+\.\d+", r.stdout)
    assert "Boost:              1.81.0" in r.stdout
    assert re.search(r"compiler:\s+GNU \d+", r.stdout)
    assert "build cache:" in r.stdout


def test_info_honours_TAU_CACHE_DIR(tau, tmp_path):
    import os
    r = tau.run("--info", env={**os.environ, "TAU_CACHE_DIR": str(tmp_path)})
    assert f"build cache:        {tmp_path}" in r.stdout
