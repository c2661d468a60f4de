"""reports/history.jsonl: one summary line per run (totals, per library, every
case's status), appended at the end of a session. The report and `python3 -m
harness.diff` compare a run with the one before it and draw a trend per library."""
from __future__ import annotations

import json
import os
import pathlib

PATH_NAME = "history.jsonl"
FAILED = ("fail", "build failure", "timeout")  # statuses that count as failing
TREND_RUNS = 20  # runs shown in a library's trend


def path(directory: pathlib.Path) -> pathlib.Path:
    return directory / PATH_NAME


def summary(doc: dict) -> dict:
    """The line a run adds: small enough to keep thousands of them."""
    libraries: dict[str, dict] = {lib: {"pass": 0, "run": 0, "cases": 0} for lib in doc["libraries"]}
    for c in doc["cases"]:
        lib = libraries.setdefault(c["library"], {"pass": 0, "run": 0, "cases": 0})
        lib["cases"] += 1
        if c["status"] != "not run":
            lib["run"] += 1
        if c["status"] == "pass":
            lib["pass"] += 1
    t = doc["totals"]
    return {"generated": doc["generated"], "tier": doc["tier"], "tau": doc["versions"].get("tau", "?"),
            "pass": t["passed"], "run": t["run"], "cases": t["cases"], "libraries": libraries,
            "statuses": {c["name"]: c["status"] for c in doc["cases"]}}


def load(file: pathlib.Path) -> list[dict]:
    """Every run recorded so far, oldest first; a damaged line (a run killed while
    writing) is skipped."""
    runs = []
    try:
        lines = file.read_text().splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and "statuses" in entry:
            runs.append(entry)
    return runs


def append(entry: dict, file: pathlib.Path) -> None:
    """Adds one line with a single write (O_APPEND), so concurrent sessions do not
    interleave halves of lines."""
    file.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(entry, separators=(",", ":"), sort_keys=True) + "\n").encode()
    fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def diff(previous: dict | None, current: dict) -> dict:
    """What changed between two runs. Cases not run in either of them are left out
    (a CI-tier run after a full one is not a regression)."""
    out = {"previous": previous["generated"] if previous else None, "current": current["generated"],
           "newly_passing": [], "newly_failing": [], "changed": [], "new_cases": []}
    if previous is None:
        return out
    before = previous["statuses"]
    for name, now in sorted(current["statuses"].items()):
        if name not in before:
            if now != "not run":
                out["new_cases"].append({"case": name, "now": now})
            continue
        was = before[name]
        if "not run" in (was, now) or was == now:
            continue
        item = {"case": name, "was": was, "now": now}
        if now == "pass":
            out["newly_passing"].append(item)
        elif was == "pass":
            out["newly_failing"].append(item)
        else:
            out["changed"].append(item)  # one kind of failure to another
    return out


def trend(runs: list[dict], libraries: list[str], count: int = TREND_RUNS) -> dict[str, list[dict]]:
    """Per library, its last `count` runs, oldest first: passes out of cases run."""
    out: dict[str, list[dict]] = {}
    for lib in libraries:
        points = []
        for r in runs[-count:]:
            v = r.get("libraries", {}).get(lib)
            if v is None:
                continue
            state = ("not-run" if v["run"] == 0 else "pass" if v["pass"] == v["run"] else
                     "fail" if v["pass"] == 0 else "mixed")
            points.append({"generated": r["generated"], "tier": r.get("tier", "?"), "pass": v["pass"],
                           "run": v["run"], "state": state})
        out[lib] = points
    return out


def format_diff(d: dict) -> list[str]:
    """The diff as terminal lines (pytest --compat-diff, python3 -m harness.diff)."""
    if d["previous"] is None:
        return [f"compat diff: no earlier run to compare with (this run: {d['current']})"]
    lines = [f"compat diff: {d['previous']} -> {d['current']}: {len(d['newly_passing'])} newly passing, "
             f"{len(d['newly_failing'])} newly failing"]
    lines += [f"  + {i['case']}: {i['was']} -> pass" for i in d["newly_passing"]]
    lines += [f"  - {i['case']}: pass -> {i['now']}" for i in d["newly_failing"]]
    lines += [f"  ~ {i['case']}: {i['was']} -> {i['now']}" for i in d["changed"]]
    lines += [f"  * {i['case']}: new case, {i['now']}" for i in d["new_cases"]]
    return lines


def record(doc: dict, file: pathlib.Path) -> dict:
    """Appends this run and puts what the report needs into doc["history"]: the diff
    with the previous run and the trend per library (this run included)."""
    runs = load(file)
    entry = summary(doc)
    recent = [*runs, entry][-TREND_RUNS:]
    doc["history"] = {"diff": diff(runs[-1] if runs else None, entry),
                      "trend": trend([*runs, entry], doc["libraries"]), "runs": len(runs) + 1,
                      "overall": [{"generated": r["generated"], "tier": r.get("tier", "?"), "pass": r["pass"],
                                   "run": r["run"]} for r in recent]}
    append(entry, file)
    return doc["history"]
