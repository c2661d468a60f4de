"""Where tau, the suite, the build cache and the reports are; which tier runs."""
import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parent.parent
SUITE = REPO / "compat-suite"
CASES = SUITE / "cases"
REPORTS = pathlib.Path(os.environ.get("TAU_COMPAT_REPORT_DIR", REPO / "reports")).resolve()
HARNESS = REPO / "harness"

TIERS = ("ci", "full")


def build_dir() -> pathlib.Path:
    """The tau build the suite runs against (like pytest/conftest.py)."""
    return pathlib.Path(os.environ.get("TAU_BUILD_DIR", REPO / "build")).resolve()


def tau_binary() -> pathlib.Path:
    return build_dir() / "bin" / "tau"


def cache_dir() -> pathlib.Path:
    """The plugin build cache: $TAU_CACHE_DIR, else a persistent one in the build
    directory, so a second run of the suite is warm."""
    if os.environ.get("TAU_CACHE_DIR"):
        return pathlib.Path(os.environ["TAU_CACHE_DIR"]).resolve()
    return build_dir() / "compat-cache"


def sources_dir() -> pathlib.Path:
    """Where Debian source packages of third-party libraries are fetched and unpacked
    (harness/debian_source.py): $TAU_COMPAT_SOURCES, else in the build directory."""
    if os.environ.get("TAU_COMPAT_SOURCES"):
        return pathlib.Path(os.environ["TAU_COMPAT_SOURCES"]).resolve()
    return build_dir() / "compat-sources"


def tier() -> str:
    value = os.environ.get("TAU_COMPAT_TIER", "ci")
    if value not in TIERS:
        raise ValueError(f"TAU_COMPAT_TIER={value!r}: use one of {', '.join(TIERS)}")
    return value


def in_tier(case_tier: str, selected: str) -> bool:
    """ci cases run in every tier; full cases only in the full tier."""
    return TIERS.index(case_tier) <= TIERS.index(selected)


def build_jobs() -> int:
    """Plugins built at once (each build is one CMake + Ninja run)."""
    return int(os.environ.get("TAU_COMPAT_JOBS", os.cpu_count() or 2))
