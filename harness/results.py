"""What a run found: one CaseResult per case, the per-API view derived from them,
and reports/compat.json."""
from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib
import platform
import re
import subprocess

from .manifest import Api, Case

# Case statuses, from best to worst.
PASS, FAIL, BUILD_FAIL, TIMEOUT, NOT_RUN = "pass", "fail", "build failure", "timeout", "not run"
# Why the test of a case that passed despite its [xfail] fails (a strict xfail).
NO_LONGER_FAILS = "the known failure no longer happens: drop [xfail] from the manifest"
OUTPUT_LIMIT = 4000  # characters of each process's output kept in the results


@dataclasses.dataclass
class CaseResult:
    case: Case
    status: str
    first_error: str = ""
    not_run_reason: str = ""
    builds: list[dict] = dataclasses.field(default_factory=list)
    processes: list[dict] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    observations: list[str] = dataclasses.field(default_factory=list)
    log: str = ""  # the case's full log, relative to the report (logs/NAME.txt); empty when not run

    @property
    def expected_failure(self) -> bool:
        return self.case.xfail_reason is not None

    @property
    def outcome(self) -> str:
        """What pytest made of it: passed, failed, xfailed, xpassed, not run. The
        xfail is strict, so an xpassed case is a failed test (XPASS(strict))."""
        if self.status == NOT_RUN:
            return "not run"
        if self.status == PASS:
            return "xpassed" if self.expected_failure else "passed"
        return "xfailed" if self.expected_failure else "failed"

    @property
    def error(self) -> str:
        """Why the test failed: the first problem, or for an xpassed case that its
        known failure no longer happens."""
        return self.first_error or (NO_LONGER_FAILS if self.outcome == "xpassed" else "")

    @property
    def blamed_apis(self) -> list[str]:
        """The APIs a failure is put down to: the manifest's, else every API of the
        case (an unexpected failure is not yet understood)."""
        if self.status in (PASS, NOT_RUN):
            return []
        if self.case.xfail_reason:
            return list(self.case.xfail_apis)  # empty for an upstream bug: no API to blame
        return list(self.case.apis)

    def to_json(self) -> dict:
        c = self.case
        return {
            "name": c.name, "title": c.title, "library": c.library, "tier": c.tier, "apis": c.apis,
            "upstream": c.upstream, "needs": c.needs, "notes": c.notes,
            "status": self.status, "outcome": self.outcome, "first_error": self.error,
            "blamed_apis": self.blamed_apis,
            "known_failure": {"reason": c.xfail_reason, "apis": c.xfail_apis, "cause": c.xfail_cause}
            if c.xfail_reason else None,
            "not_run_reason": self.not_run_reason, "observations": self.observations, "seconds": round(self.seconds, 2),
            "builds": self.builds, "processes": self.processes, "log": self.log,
        }


def process_json(r) -> dict:
    def tail(text: str) -> str:
        """Long output keeps its start (where a sanitizer report begins) and its end."""
        if len(text) <= OUTPUT_LIMIT:
            return text
        half = OUTPUT_LIMIT // 2
        return text[:half] + "\n[...]\n" + text[-half:]
    return {
        "role": r.role, "plugins": r.plugins, "input": r.input, "exit_code": r.exit_code, "stop": r.stop,
        "seconds": round(r.seconds, 2), "max_threads": r.max_threads,
        "threads": [dataclasses.asdict(t) for t in r.threads],
        "plugin_threads": sum(1 for t in r.threads if t.kind in ("plugin", "unknown")),
        "shim": [dataclasses.asdict(s) for s in r.shim],
        "problems": r.problems, "stdout": tail(r.stdout), "stderr": tail(r.stderr),
    }


def api_cells(results: list[CaseResult], apis: list[Api], libraries: list[str], peers: frozenset[str]) -> list[dict]:
    """One row per API: per library, the cases that exercise it and how they went.
    A cell passes when its cases pass, fails when a failure is blamed on the API;
    a case that failed because of another API leaves it 'blocked'. The observed
    stop row leaves out a tau that ran only peers (plugins playing the other end)."""
    rows = []
    names = [a.name for a in apis]
    extra = sorted({api for r in results for api in r.case.apis} - set(names))
    for api in [*apis, *(Api(n, "not in the support table") for n in extra)]:
        cells = {}
        for lib in libraries:
            cell = {"pass": [], "fail": [], "blocked": [], "not_run": []}
            for r in results:
                if api.observed == "stop":
                    if r.case.library == lib and (verdict := stop_verdict(r, peers)):
                        cell[verdict].append(r.case.name)
                    continue
                if r.case.library != lib or api.name not in r.case.apis:
                    continue
                if r.status == NOT_RUN:
                    cell["not_run"].append(r.case.name)
                elif r.status == PASS:
                    cell["pass"].append(r.case.name)
                elif api.name in r.blamed_apis:
                    cell["fail"].append(r.case.name)
                else:
                    cell["blocked"].append(r.case.name)
            cell["status"] = cell_status(cell)
            cells[lib] = cell
        statuses = [c["status"] for c in cells.values()]
        overall = ("fail" if "fail" in statuses and "pass" not in statuses and "mixed" not in statuses else
                   "mixed" if "mixed" in statuses or ("fail" in statuses and "pass" in statuses) else
                   "pass" if "pass" in statuses else
                   "blocked" if "blocked" in statuses else
                   "not run" if "not run" in statuses else "untested")
        # Why it fails: each distinct reason once, with the kind of failure (fail,
        # build failure, timeout) and the cases that show it.
        groups: dict[tuple[str, str], list[str]] = {}
        for r in results:
            if r.status not in (PASS, NOT_RUN) and api.name in r.blamed_apis:
                groups.setdefault((r.status, r.case.xfail_reason or r.first_error), []).append(r.case.name)
        reasons = [f"{why} ({status}: {', '.join(cases)})" for (status, why), cases in groups.items()]
        if api.observed == "stop" and any(c["fail"] for c in cells.values()):
            stopped = sorted(n for c in cells.values() for n in c["fail"])
            reasons = [f"{STOP_GAP} (second SIGTERM needed: {', '.join(stopped)})"]
        exercising = {n for c in cells.values() for k in ("pass", "fail", "blocked") for n in c[k]}
        passing = {n for c in cells.values() for n in c["pass"]}
        rows.append({"api": api.name, "area": api.area, "note": api.note, "cells": cells, "status": overall,
                     "reasons": reasons, "passed": len(passing), "run": len(exercising)})
    return rows


STOP_GAP = ("tau did not end on its first SIGTERM: a main blocked in io_context::run() inside a process hook kept "
            "the loop running, and only the second SIGTERM (an immediate exit, without plugin_destroy) ended it")


def stop_verdict(r: CaseResult, peers: frozenset[str]) -> str | None:
    """For the observed stop row: "pass" when every tau the harness had to stop
    (running a program of the case, not just peers) ended on the first SIGTERM,
    "fail" when one needed more; None when the case stopped none."""
    if r.status == NOT_RUN:
        return None
    stops = [p["stop"] for p in r.processes
             if p["stop"] not in ("exited", "timeout") and any(name not in peers for name in p["plugins"])]
    if not stops:
        return None
    return "pass" if all(s == "SIGTERM" for s in stops) else "fail"


def cell_status(cell: dict) -> str:
    if cell["fail"] and cell["pass"]:
        return "mixed"
    if cell["fail"]:
        return "fail"
    if cell["pass"]:
        return "pass"
    if cell["blocked"]:
        return "blocked"
    if cell["not_run"]:
        return "not run"
    return "untested"


def versions(tau: pathlib.Path) -> dict:
    info = subprocess.run([str(tau), "--info"], capture_output=True, text=True).stdout if tau.exists() else ""

    def field(name: str) -> str:
        m = re.search(rf"^\s*{name}:\s*(.+)$", info, re.M)
        return m.group(1).strip() if m else "?"
    boost = "?"
    version_hpp = pathlib.Path("/usr/include/boost/version.hpp")
    if version_hpp.exists():
        m = re.search(r'BOOST_LIB_VERSION "([^"]+)"', version_hpp.read_text())
        boost = m.group(1).replace("_", ".") if m else "?"
    first = info.splitlines()[0] if info else "tau ?"
    return {"tau": first.replace("tau ", ""), "boost": boost, "compiler": field("compiler"),
            "build_type": field("build type"), "sanitizers": field("sanitizers"), "libuv": field("libuv"),
            "abi_stamp": field("ABI stamp"), "python": platform.python_version()}


def totals(results: list[CaseResult], rows: list[dict]) -> dict:
    by_status: dict[str, int] = {}
    by_outcome: dict[str, int] = {}
    for r in results:
        by_status[r.status] = by_status.get(r.status, 0) + 1
        by_outcome[r.outcome] = by_outcome.get(r.outcome, 0) + 1
    run = [r for r in results if r.status != NOT_RUN]
    api_status: dict[str, int] = {}
    for row in rows:
        api_status[row["status"]] = api_status.get(row["status"], 0) + 1
    return {"cases": len(results), "run": len(run), "passed": by_status.get(PASS, 0),
            "by_status": by_status, "by_outcome": by_outcome, "apis": len(rows), "apis_by_status": api_status,
            "libraries": sorted({r.case.library for r in results})}


def library_totals(results: list[CaseResult], libraries: list[str]) -> list[dict]:
    """Per library: cases passing out of those run, and out of all of its cases."""
    out = []
    for lib in libraries:
        mine = [r for r in results if r.case.library == lib]
        run = [r for r in mine if r.status != NOT_RUN]
        out.append({"library": lib, "cases": len(mine), "run": len(run),
                    "passed": sum(1 for r in run if r.status == PASS),
                    "known": sum(1 for r in mine if r.expected_failure)})
    return out


def growth(results: list[CaseResult]) -> dict:
    """What to fix first: the known failures (manifest [xfail]) grouped by the API
    they are put down to, ranked by how many cases each blocks (then by cause: a
    shim gap before a design limit). A known failure blocks its case unless the
    case passed in this run: then its [xfail] is stale ('passes_now') and its test
    fails (strict xfail). A case outside the tier still counts. Known failures with
    no API to blame (bugs upstream) are listed apart; unexpected failures of this
    run are 'untriaged'."""
    gaps: dict[str, dict] = {}
    upstream, stale = [], []
    for r in results:
        c = r.case
        if not c.xfail_reason:
            continue
        item = {"case": c.name, "library": c.library, "status": r.status, "reason": c.xfail_reason}
        if r.status == PASS:
            stale.append(item)
            continue
        if not c.xfail_apis:
            upstream.append(item)
            continue
        for api in c.xfail_apis:
            gap = gaps.setdefault(api, {"api": api, "causes": [], "reasons": [], "cases": [], "other_apis": set()})
            if c.xfail_cause not in gap["causes"]:
                gap["causes"].append(c.xfail_cause)
            if c.xfail_reason not in gap["reasons"]:
                gap["reasons"].append(c.xfail_reason)
            gap["cases"].append(item)
            gap["other_apis"].update(a for a in c.apis if a not in c.xfail_apis)
    order = {cause: i for i, cause in enumerate(("shim", "design", "upstream"))}
    ranked = sorted(gaps.values(), key=lambda g: (-len(g["cases"]), min(order.get(x, 9) for x in g["causes"]), g["api"]))
    for g in ranked:
        g["blocks"] = len(g["cases"])
        g["other_apis"] = sorted(g["other_apis"])
    untriaged = [{"case": r.case.name, "library": r.case.library, "status": r.status, "reason": r.first_error}
                 for r in results if r.outcome == "failed"]
    return {"gaps": ranked, "upstream": upstream, "untriaged": untriaged, "passes_now": stale}


def document(results: list[CaseResult], apis: list[Api], libraries: list[str], tier: str,
             seconds: float | None = None, *, tau: pathlib.Path, peers: frozenset[str]) -> dict:
    """Everything the report shows. tau: the binary whose --info gives the versions;
    peers: plugins that only play the other end of a case (config.Config.peers)."""
    results = sorted(results, key=lambda r: (libraries.index(r.case.library), r.case.name))
    rows = api_cells(results, apis, libraries, peers)
    return {
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "tier": tier, "seconds": round(seconds, 1) if seconds is not None else None,
        "versions": versions(tau), "libraries": libraries, "totals": totals(results, rows),
        "third_party": {r.case.library: {"version": r.case.third_party.version, "debian": r.case.third_party.debian}
                        for r in results if r.case.third_party},
        "apis": rows, "cases": [r.to_json() for r in results],
        "library_totals": library_totals(results, libraries), "growth": growth(results),
        "history": None,  # filled by history.record() at the end of a session
    }


def write(doc: dict, directory: pathlib.Path) -> pathlib.Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "compat.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path
