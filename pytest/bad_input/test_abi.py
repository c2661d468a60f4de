"""Bad ABI stamps: a source built with settings the host does not share, and a
.tau_abi section that is huge or corrupt. Each is refused before any plugin code
runs (exit 3), with one line naming the plugin and the cause."""
import re
import shutil
import struct

import pytest

EXIT_LOAD_FAILED = 3
# A library tau built itself: the project sets it, so rebuilding would not help.
OWN_SETTING = "; its own CMake project changes them (a compile definition or flag): remove that setting"

MAIN_SOURCE = """\
#include <tau/plugin.h>
#include <cstdio>

int answer();

static tau_task_id process(const uint8_t*, size_t) {
  std::printf("%d\\n", answer());
  return 0;
}

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
"""

PLAIN_PLUGIN = """\
#include <tau/plugin.h>

static tau_task_id process(const uint8_t*, size_t) { return 0; }

extern "C" int plugin_init(PluginHooks* hooks) {
  hooks->process = process;
  return 0;
}
"""

OTHER_SOURCE = """\
#include <string>

int answer();
int answer() { return static_cast<int>(std::string("forty-two").size()); }
"""


def errors(stderr):
    """tau's lines that are not build progress."""
    return [line for line in stderr.splitlines()
            if line.startswith("tau: ") and not line.startswith(("tau: building", "tau: built"))]


def project_with_per_source_options(tmp_path, name, properties):
    project = tmp_path / name
    project.mkdir()
    (project / "CMakeLists.txt").write_text(
        f"cmake_minimum_required(VERSION 3.25)\nproject({name} LANGUAGES CXX)\n"
        f"add_library({name} MODULE main.cpp other.cpp)\n"
        f"set_source_files_properties(other.cpp PROPERTIES {properties})\n")
    (project / "main.cpp").write_text(MAIN_SOURCE)
    (project / "other.cpp").write_text(OTHER_SOURCE)
    return project


def test_per_source_old_string_abi_is_refused_naming_the_source(tau, env, tmp_path, assert_left_clean):
    project = project_with_per_source_options(
        tmp_path, "old_string_abi", 'COMPILE_OPTIONS "-std=c++17;-D_GLIBCXX_USE_CXX11_ABI=0"')
    r = tau.run("--plugin", project, env=env, timeout=300)
    assert r.returncode == EXIT_LOAD_FAILED, r.stderr
    assert errors(r.stderr) == [
        f"tau: plugin '{project}': built with ABI settings this host does not share "
        f"({project / 'other.cpp'}: cxx11_abi: plugin has 0, host has 1){OWN_SETTING}"]
    assert r.stdout == ""
    assert_left_clean()


def test_per_source_debug_mode_is_refused_naming_the_source(tau, env, tmp_path, assert_left_clean):
    project = project_with_per_source_options(tmp_path, "debug_mode", "COMPILE_DEFINITIONS _GLIBCXX_DEBUG")
    r = tau.run("--plugin", project, env=env, timeout=300)
    assert r.returncode == EXIT_LOAD_FAILED, r.stderr
    assert errors(r.stderr) == [
        f"tau: plugin '{project}': built with ABI settings this host does not share "
        f"({project / 'other.cpp'}: glibcxx_debug: plugin has on, host has off){OWN_SETTING}"]
    assert r.stdout == ""
    assert_left_clean()


def test_huge_stamp_section_is_refused_unread(tau, env, tmp_path, assert_left_clean):
    source = tmp_path / "huge_stamp.cpp"
    source.write_text(PLAIN_PLUGIN + '[[gnu::used, gnu::retain, gnu::section(".tau_abi")]] '
                      "static const char padding[64 << 20] = {};\n")
    r = tau.run("--plugin", source, env=env, timeout=300)
    assert r.returncode == EXIT_LOAD_FAILED, r.stderr
    line, = errors(r.stderr)
    match = re.fullmatch(rf"tau: plugin '{re.escape(str(source))}': its \.tau_abi section is (\d+) bytes, "
                         r"more than the 16 MiB a tau ABI stamp may take \(corrupt or not made by tau\)", line)
    assert match and int(match[1]) > 64 << 20, line
    assert r.stdout == ""
    assert_left_clean()


# ---- corrupt sections: a good library, patched ---------------------------------


@pytest.fixture(scope="module")
def good_library(tau, env, tmp_path_factory):
    source = tmp_path_factory.mktemp("good") / "good.cpp"
    source.write_text(PLAIN_PLUGIN)
    return tau.build_plugin(source, env)


def section_headers(image):
    """ELF64 little-endian: [(header offset, name, contents offset, size)]."""
    shoff, = struct.unpack_from("<Q", image, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", image, 0x3A)
    headers = []
    for i in range(shnum):
        at = shoff + i * shentsize
        name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", image, at)
        headers.append((at, name, offset, size))
    names = headers[shstrndx][2]
    return [(at, image[names + name:].split(b"\0", 1)[0].decode(), offset, size)
            for at, name, offset, size in headers]


def patched(good_library, path, patch):
    """A copy of the good library at path, with patch(image, (header, offset, size))
    applied to its bytes; .tau_abi's header offset, contents offset and size given."""
    shutil.copy(good_library, path)
    image = bytearray(path.read_bytes())
    (at, offset, size), = [(at, offset, size) for at, name, offset, size in section_headers(image)
                           if name == ".tau_abi"]
    image = patch(image, at, offset, size)
    path.write_bytes(image)
    return path


def garbage_record(image, at, offset, size):
    image[offset:offset + size] = (b"\x01\x02\xfe garbage" * size)[:size - 1] + b"\0"
    return image


def no_terminating_nul(image, at, offset, size):
    image[offset + size - 1:offset + size] = b"x"
    return image


def section_beyond_the_file(image, at, offset, size):
    struct.pack_into("<Q", image, at + 24, len(image) + 4096)
    return image


def truncated_section_header_table(image, at, offset, size):
    shoff, = struct.unpack_from("<Q", image, 0x28)
    return image[:shoff + 10]


CORRUPTIONS = {
    "garbage": (garbage_record, "corrupt .tau_abi section: the record at byte 0: line 1 is not key=value"),
    "no_nul": (no_terminating_nul, "corrupt .tau_abi section: its last record is not NUL-terminated"),
    "beyond_the_file": (section_beyond_the_file,
                        "truncated or corrupt ELF file: its .tau_abi section lies beyond the end of the file"),
    "truncated_headers": (truncated_section_header_table,
                          "truncated or corrupt ELF file: its section header table lies beyond the end of the file"),
}


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_corrupt_stamp_section_is_refused(tau, env, tmp_path, good_library, assert_left_clean, case):
    patch, message = CORRUPTIONS[case]
    library = patched(good_library, tmp_path / f"lib{case}.so", patch)
    r = tau.run("--plugin", library, env=env)
    assert r.returncode == EXIT_LOAD_FAILED, r.stderr
    assert r.stderr.splitlines() == [f"tau: plugin '{library}': {message}"]
    assert r.stdout == ""
    assert_left_clean()


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_allow_unstamped_does_not_admit_a_corrupt_stamp(tau, env, tmp_path, good_library, assert_left_clean,
                                                         case):
    patch, message = CORRUPTIONS[case]
    library = patched(good_library, tmp_path / f"lib{case}.so", patch)
    r = tau.run("--allow-unstamped", "--plugin", library, env=env)
    assert r.returncode == EXIT_LOAD_FAILED, r.stderr
    assert r.stderr.splitlines() == [f"tau: plugin '{library}': {message}"]
    assert r.stdout == ""
    assert_left_clean()
