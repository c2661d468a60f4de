"""harness/debian_source.py: third-party sources come from Debian source packages,
fetched without root through a private apt configuration, pinned and cached."""
import os
import pathlib
import subprocess

import pytest

from harness import debian_source

# Debian's "hello": small, and in every release's archive.
PACKAGE, VERSION = "hello", "2.10-3"


def test_deb_src_entries_are_derived_from_both_source_formats(tmp_path):
    (tmp_path / "debian.sources").write_text(
        "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: http://example.org/off\nSuites: x\nComponents: main\nEnabled: no\n")
    (tmp_path / "extra.list").write_text("# a comment\ndeb [arch=amd64] http://example.org/debian bookworm main contrib\n")
    (tmp_path / "ignored.list.disabled").write_text("deb http://example.org/disabled bookworm main\n")
    entries = debian_source.deb_src_entries(tmp_path)
    stanzas = [dict(line.split(": ", 1) for line in s.splitlines()) for s in entries.strip().split("\n\n")]
    assert stanzas == [
        {"Types": "deb-src", "URIs": "http://deb.debian.org/debian", "Suites": "bookworm bookworm-updates",
         "Components": "main", "Signed-By": "/usr/share/keyrings/debian-archive-keyring.gpg"},
        {"Types": "deb-src", "URIs": "http://example.org/debian", "Suites": "bookworm", "Components": "main contrib"},
    ]


def test_no_archive_is_a_clear_error(tmp_path):
    with pytest.raises(debian_source.FetchError, match="no enabled Debian archive"):
        debian_source.deb_src_entries(tmp_path)


def test_fetch_unpacks_the_pinned_version_and_then_hits_the_cache(tmp_path):
    tree = debian_source.fetch(PACKAGE, VERSION, tmp_path)
    assert tree == tmp_path / f"{PACKAGE}-{VERSION}"
    assert debian_source.changelog_version(tree) == VERSION
    assert (tree / "configure.ac").exists()
    # Only the finished tree and the private apt directory are left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt", tree.name]
    # A second fetch does not run apt at all.
    env = {**os.environ, "PATH": str(tmp_path / "no-apt-here")}
    r = subprocess.run(["/usr/bin/python3", str(pathlib.Path(debian_source.__file__)), PACKAGE, VERSION,
                        "--root", str(tmp_path)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tree)


def test_a_version_the_archive_lacks_fails_naming_it(tmp_path):
    r = subprocess.run(["/usr/bin/python3", str(pathlib.Path(debian_source.__file__)), PACKAGE, "0.1-1",
                        "--root", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "debian_source: hello 0.1-1: apt-get source hello=0.1-1 failed" in r.stderr
    assert "Can not find version '0.1-1'" in r.stderr
    assert not list(tmp_path.glob("hello*")) and not list(tmp_path.glob(".hello*"))
