"""Fetches a Debian source package with `apt-get source`, pinned to one version, into
a cache under the build tree, without root and without touching the system's apt:
a private apt configuration (deb-src entries derived from the system's sources,
its own lists and archives) lives next to the unpacked trees.

    python3 harness/debian_source.py PACKAGE VERSION [--root DIR]

prints the unpacked tree's path. The root is --root, else $TAU_COMPAT_SOURCES, else
build/compat-sources. A tree is unpacked next to its final name and renamed into
place only once complete, with a marker naming its version; a second fetch of the
same version is a cache hit."""
from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

SYSTEM_SOURCES = pathlib.Path("/etc/apt/sources.list.d")
MARKER = ".tau-debian-source"


class FetchError(Exception):
    pass


def default_root() -> pathlib.Path:
    if os.environ.get("TAU_COMPAT_SOURCES"):
        return pathlib.Path(os.environ["TAU_COMPAT_SOURCES"]).resolve()
    return pathlib.Path(__file__).resolve().parent.parent / "build" / "compat-sources"


def deb_src_entries(sources_dir: pathlib.Path = SYSTEM_SOURCES) -> str:
    """The system's enabled `deb` entries as deb822 `deb-src` stanzas."""
    stanzas = []
    for path in sorted(sources_dir.glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = {}
            for line in stanza.splitlines():
                if line.strip() and not line.lstrip().startswith("#") and ":" in line:
                    key, value = line.split(":", 1)
                    fields[key.strip()] = value.strip()
            if "deb" in fields.get("Types", "").split() and fields.get("Enabled", "yes") != "no":
                fields["Types"] = "deb-src"
                stanzas.append("\n".join(f"{k}: {v}" for k, v in fields.items()))
    for path in sorted(sources_dir.glob("*.list")):
        for line in path.read_text().splitlines():
            m = re.match(r"\s*deb\s+(\[[^]]*]\s+)?(\S+)\s+(\S+)\s+(.+)", line)
            if m:
                stanzas.append(f"Types: deb-src\nURIs: {m[2]}\nSuites: {m[3]}\nComponents: {m[4].strip()}")
    if not stanzas:
        raise FetchError(f"no enabled Debian archive in {sources_dir} to derive deb-src entries from")
    return "\n\n".join(stanzas) + "\n"


def apt_options(apt_dir: pathlib.Path) -> list[str]:
    options = {"Dir::Etc::sourcelist": "/dev/null", "Dir::Etc::sourceparts": apt_dir / "sources.list.d",
               "Dir::State": apt_dir / "state", "Dir::Cache": apt_dir / "cache", "Debug::NoLocking": 1,
               "quiet": 1}
    if os.geteuid() == 0:
        options["APT::Sandbox::User"] = "root"  # the private directories are root's, not _apt's
    return [arg for key, value in options.items() for arg in ("-o", f"{key}={value}")]


def run_apt(args: list[str], cwd: pathlib.Path, what: str) -> None:
    if shutil.which("dpkg-source") is None:
        raise FetchError("dpkg-source not found: install dpkg-dev (scripts/install-packages does)")
    r = subprocess.run(["apt-get", *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-5:])
        raise FetchError(f"{what} failed (apt-get exit {r.returncode}):\n{tail}")


def changelog_version(tree: pathlib.Path) -> str:
    first = (tree / "debian" / "changelog").read_text().splitlines()[0]
    m = re.match(r"\S+ \(([^)]+)\)", first)
    return m[1] if m else ""


def fetch(package: str, version: str, root: pathlib.Path | None = None, say=None) -> pathlib.Path:
    root = (root or default_root()).resolve()
    upstream = version.split(":")[-1].rsplit("-", 1)[0]
    tree = root / f"{package}-{version}"
    marker = tree / MARKER
    if marker.exists() and marker.read_text().strip() == f"{package} {version}":
        return tree
    apt_dir = root / "apt"
    for sub in ("sources.list.d", "state/lists/partial", "cache/archives/partial"):
        (apt_dir / sub).mkdir(parents=True, exist_ok=True)
    (apt_dir / "sources.list.d" / "deb-src.sources").write_text(deb_src_entries())
    options = apt_options(apt_dir)
    if say:
        say(f"fetching the Debian source package {package} {version}")
    run_apt([*options, "update"], root, "apt-get update (private configuration under " + str(apt_dir) + ")")
    work = pathlib.Path(tempfile.mkdtemp(prefix=f".{package}-", dir=root))
    try:
        run_apt([*options, "source", "--only-source", f"{package}={version}"], work,
                f"apt-get source {package}={version}")
        unpacked = work / f"{package}-{upstream}"
        if not unpacked.is_dir():
            raise FetchError(f"apt-get source {package}={version} did not unpack {unpacked.name}")
        found = changelog_version(unpacked)
        if found != version:
            raise FetchError(f"{package}: asked for {version}, debian/changelog says {found!r}")
        (unpacked / MARKER).write_text(f"{package} {version}\n")
        if tree.exists():
            shutil.rmtree(tree)
        unpacked.rename(tree)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tree


def main() -> int:
    parser = argparse.ArgumentParser(description="Fetch a pinned Debian source package (no root needed).")
    parser.add_argument("package")
    parser.add_argument("version")
    parser.add_argument("--root", type=pathlib.Path, help="cache directory (default $TAU_COMPAT_SOURCES, "
                                                          "else build/compat-sources)")
    args = parser.parse_args()
    try:
        print(fetch(args.package, args.version, args.root, say=lambda s: print(s, file=sys.stderr)))
    except (FetchError, OSError) as e:
        print(f"debian_source: {args.package} {args.version}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
