"""A case: NAME/manifest.toml in the suite's folder of cases (and usually a
CMakeLists.txt that builds the case's own plugin); the support table, apis.toml.
compat-suite/README.md describes the fields."""
from __future__ import annotations

import dataclasses
import pathlib
import re
import tomllib

from . import config

# Why a case is known to fail: a gap in the shim (to close), a program that
# cannot follow the shared-loop rule by design, or a bug in the upstream program.
XFAIL_CAUSES = ("shim", "design", "upstream")
LIBRARIES = ("Asio examples", "Beast HTTP", "Beast WebSocket", "HTTPS", "API probes", "RESTinio", "cpprestsdk",
             "libtorrent")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class ManifestError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class Plugin:
    dir: pathlib.Path  # the plugin's CMake project
    args: str  # its command line (a template); its input line is "<name> <args>"
    main_thread: str = "own"  # an upstream main runs on a thread of its own, or on the "loop" thread

    @property
    def name(self) -> str:
        """A plugin's name is its folder's, which is also its CMake target's."""
        return self.dir.name


@dataclasses.dataclass
class Process:
    """One tau process: its plugins share one loop, loaded in the order given."""
    role: str
    plugins: list[Plugin]
    background: bool = False  # started first, stopped once the others are done
    ready_port: str | None = None  # (background) wait until this TCP port accepts
    ready_text: str | None = None  # (background) or until its output shows this
    stdin: str = ""
    stdin_close_when: str | None = None  # stdout text after which stdin is closed (else at once)
    cwd: str | None = None
    stop_when: str | None = None  # stdout text after which tau gets SIGTERM
    exit: list[int] = dataclasses.field(default_factory=lambda: [0])
    stdout: list[str] = dataclasses.field(default_factory=list)  # in this order
    stderr: list[str] = dataclasses.field(default_factory=list)
    stdout_absent: list[str] = dataclasses.field(default_factory=list)
    stdout_anywhere: list[str] = dataclasses.field(default_factory=list)  # in any order (another plugin's lines)
    clean_stop: bool = False  # must end by itself or on the first SIGTERM


@dataclasses.dataclass(frozen=True)
class ThirdParty:
    """A library from outside Boost that a case builds into its plugin, pinned: either
    an installed Debian package (its version is checked) or a Debian source package
    (fetched with apt-get source, see debian_source.py)."""
    version: str  # the upstream release, e.g. "0.6.16"
    package: str = ""  # an installed -dev package ...
    package_version: str = ""
    source: str = ""  # ... or a source package
    source_version: str = ""

    @property
    def debian(self) -> str:
        return f"{self.package} {self.package_version}" if self.package else f"{self.source} {self.source_version} (source)"


@dataclasses.dataclass
class Case:
    name: str
    dir: pathlib.Path
    title: str
    library: str
    apis: list[str]
    upstream: list[str]
    needs: list[str]
    tier: str
    timeout: float
    processes: list[Process]
    fixed_ports: dict[str, int]
    xfail_reason: str | None = None
    xfail_apis: list[str] = dataclasses.field(default_factory=list)
    xfail_cause: str = "shim"  # shim: a gap to close; design: cannot hold; upstream: a bug upstream
    notes: str = ""
    third_party: ThirdParty | None = None

    @property
    def plugin_dirs(self) -> list[pathlib.Path]:
        seen: list[pathlib.Path] = []
        for p in self.processes:
            for plugin in p.plugins:
                if plugin.dir not in seen:
                    seen.append(plugin.dir)
        return seen

    def placeholders(self) -> set[str]:
        found: set[str] = set()
        for p in self.processes:
            texts = [p.ready_port, p.ready_text, p.stdin, p.stdin_close_when, p.cwd, p.stop_when, *p.stdout, *p.stderr,
                     *p.stdout_anywhere,
                     *(pl.args for pl in p.plugins)]
            for t in texts:
                if t:
                    found.update(PLACEHOLDER.findall(t))
        return found


def _require(data: dict, key: str, where: str, kind=str):
    if key not in data:
        raise ManifestError(f"{where}: missing '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise ManifestError(f"{where}: '{key}' should be a {kind.__name__}")
    return value


def load(case_dir: pathlib.Path) -> Case:
    path = case_dir / "manifest.toml"
    cwd = pathlib.Path.cwd()
    where = str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"{where}: {e}") from e
    library = _require(data, "library", where)
    if library not in LIBRARIES:
        raise ManifestError(f"{where}: library {library!r} is not one of {LIBRARIES}")
    tier = data.get("tier", "full")
    if tier not in config.TIERS:
        raise ManifestError(f"{where}: tier {tier!r} is not one of {config.TIERS}")
    processes = []
    for i, p in enumerate(data.get("process", [])):
        pw = f"{where}: process {i + 1}"
        plugins = [Plugin((case_dir / pl.get("dir", ".")).resolve(), pl.get("args", ""),
                          pl.get("main_thread", "own"))
                   for pl in p.get("plugin", [])]
        if not plugins:
            raise ManifestError(f"{pw}: no [[process.plugin]]")
        for pl in plugins:
            if not (pl.dir / "CMakeLists.txt").exists():
                raise ManifestError(f"{pw}: {pl.dir} has no CMakeLists.txt")
            if pl.main_thread not in ("own", "loop"):
                raise ManifestError(f"{pw}: main_thread {pl.main_thread!r} is not 'own' or 'loop'")
        known = {f.name for f in dataclasses.fields(Process)} | {"plugin"}
        unknown = set(p) - known - {"role"}
        if unknown:
            raise ManifestError(f"{pw}: unknown keys {sorted(unknown)}")
        exit_codes = p.get("exit", [0])
        processes.append(Process(
            role=p.get("role", "main"), plugins=plugins, background=p.get("background", False),
            ready_port=p.get("ready_port"), ready_text=p.get("ready_text"), stdin=p.get("stdin", ""),
            stdin_close_when=p.get("stdin_close_when"),
            cwd=p.get("cwd"), stop_when=p.get("stop_when"),
            exit=exit_codes if isinstance(exit_codes, list) else [exit_codes],
            stdout=p.get("stdout", []), stderr=p.get("stderr", []),
            stdout_absent=p.get("stdout_absent", []), stdout_anywhere=p.get("stdout_anywhere", []),
            clean_stop=p.get("clean_stop", False)))
    if not processes:
        raise ManifestError(f"{where}: no [[process]]")
    if all(p.background for p in processes):
        raise ManifestError(f"{where}: every process is in the background")
    xfail = data.get("xfail", {})
    cause = xfail.get("cause", "shim")
    if cause not in XFAIL_CAUSES:
        raise ManifestError(f"{where}: [xfail] cause {cause!r} is not one of {XFAIL_CAUSES}")
    if xfail and not (xfail.get("reason") and (xfail.get("apis") or cause == "upstream")):
        raise ManifestError(f"{where}: [xfail] needs a reason and the apis it blames")
    apis = _require(data, "apis", where, list)
    for api in xfail.get("apis", []):
        if api not in apis:
            raise ManifestError(f"{where}: [xfail] blames {api!r}, which is not in apis")
    third_party = None
    if "third_party" in data:
        tp = data["third_party"]
        tw = f"{where}: [third_party]"
        unknown = set(tp) - {f.name for f in dataclasses.fields(ThirdParty)}
        if unknown:
            raise ManifestError(f"{tw}: unknown keys {sorted(unknown)}")
        third_party = ThirdParty(version=_require(tp, "version", tw), package=tp.get("package", ""),
                                 package_version=tp.get("package_version", ""), source=tp.get("source", ""),
                                 source_version=tp.get("source_version", ""))
        if bool(third_party.package) == bool(third_party.source):
            raise ManifestError(f"{tw}: name either an installed package or a source package")
        if bool(third_party.package) != bool(third_party.package_version) or \
                bool(third_party.source) != bool(third_party.source_version):
            raise ManifestError(f"{tw}: a package needs its pinned version")
    return Case(
        name=case_dir.name, dir=case_dir, title=_require(data, "title", where), library=library,
        apis=apis, upstream=data.get("upstream", []), needs=data.get("needs", []), tier=tier,
        timeout=float(data.get("timeout", 20)), processes=processes,
        fixed_ports={k: int(v) for k, v in data.get("ports", {}).items()},
        xfail_reason=xfail.get("reason"), xfail_apis=xfail.get("apis", []), xfail_cause=cause,
        notes=data.get("notes", ""), third_party=third_party)


def load_all(cases_dir: pathlib.Path) -> list[Case]:
    return [load(d) for d in sorted(cases_dir.iterdir()) if (d / "manifest.toml").exists()]


@dataclasses.dataclass(frozen=True)
class Api:
    name: str
    area: str
    note: str = ""
    observed: str = ""  # "stop": judged from how tau ended when the harness stopped it


def load_apis(path: pathlib.Path) -> list[Api]:
    """The rows of the report: the APIs of the shim's support table."""
    data = tomllib.loads(path.read_text())
    return [Api(a["name"], a["area"], a.get("note", ""), a.get("observed", "")) for a in data["api"]]
