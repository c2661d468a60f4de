"""What the harness is told by the suite that uses it: where the cases, the support
table and the reports are, which tau build it tests and where plugins are built,
the tier, and which plugins only play the other end of a case. The harness knows
no suite's layout; the suite builds a Config (from_environment) and passes it on."""
from __future__ import annotations

import dataclasses
import os
import pathlib

TIERS = ("ci", "full")


@dataclasses.dataclass(frozen=True)
class Config:
    cases: pathlib.Path  # a folder per case, each with a manifest.toml
    apis: pathlib.Path  # the support table (apis.toml): the report's rows
    peers: frozenset[str]  # plugins that only play the other end of a case, never a program under test
    reports: pathlib.Path  # compat.json, index.html, history.jsonl and logs/ go here
    build: pathlib.Path  # the tau build under test
    cache: pathlib.Path  # the plugin build cache
    sources: pathlib.Path  # where Debian source packages are fetched and unpacked (debian_source.py)
    tier: str = "ci"
    jobs: int = 2  # plugins built at once (each build is one CMake + Ninja run)

    @property
    def tau(self) -> pathlib.Path:
        return self.build / "bin" / "tau"


def from_environment(*, cases: pathlib.Path, apis: pathlib.Path, peers: set[str] | frozenset[str],
                     reports: pathlib.Path, build: pathlib.Path) -> Config:
    """The suite's own paths, with what the environment overrides: TAU_BUILD_DIR (the
    tau build), TAU_CACHE_DIR (default <build>/compat-cache), TAU_COMPAT_SOURCES
    (default <build>/compat-sources), TAU_COMPAT_REPORT_DIR, TAU_COMPAT_TIER (ci or
    full) and TAU_COMPAT_JOBS (default: the number of CPUs). The caches default to the
    build directory, so a second run of the suite is warm."""
    env = os.environ
    build = pathlib.Path(env.get("TAU_BUILD_DIR") or build).resolve()
    tier = env.get("TAU_COMPAT_TIER", "ci")
    if tier not in TIERS:
        raise ValueError(f"TAU_COMPAT_TIER={tier!r}: use one of {', '.join(TIERS)}")
    return Config(
        cases=cases.resolve(), apis=apis.resolve(), peers=frozenset(peers),
        reports=pathlib.Path(env.get("TAU_COMPAT_REPORT_DIR") or reports).resolve(), build=build,
        cache=pathlib.Path(env.get("TAU_CACHE_DIR") or build / "compat-cache").resolve(),
        sources=pathlib.Path(env.get("TAU_COMPAT_SOURCES") or build / "compat-sources").resolve(),
        tier=tier, jobs=int(env.get("TAU_COMPAT_JOBS") or os.cpu_count() or 2))


def in_tier(case_tier: str, selected: str) -> bool:
    """ci cases run in every tier; full cases only in the full tier."""
    return TIERS.index(case_tier) <= TIERS.index(selected)
