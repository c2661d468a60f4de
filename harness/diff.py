"""What changed between the last two runs of the suite (history.jsonl): newly
passing and newly failing cases, and passes per library.

    /usr/bin/python3 -m harness.diff [HISTORY.jsonl]

Without an argument it reads history.jsonl in $TAU_COMPAT_REPORT_DIR, else in
reports/ under the current directory. Exits 1 when a case newly fails, so a script
can stop on a regression."""
from __future__ import annotations

import os
import pathlib
import sys

from . import history


def main(argv: list[str]) -> int:
    reports = pathlib.Path(os.environ.get("TAU_COMPAT_REPORT_DIR") or "reports")
    file = pathlib.Path(argv[0]) if argv else history.path(reports)
    runs = history.load(file)
    if not runs:
        print(f"compat diff: no runs recorded in {file} (run pytest compat/ first)")
        return 0
    d = history.diff(runs[-2] if len(runs) > 1 else None, runs[-1])
    for line in history.format_diff(d):
        print(line)
    last = runs[-1]
    print(f"  runs recorded: {len(runs)}; last: {last['pass']}/{last['run']} passed ({last['tier']} tier)")
    for lib, points in history.trend(runs, list(last["libraries"]), 10).items():
        if points and points[-1]["run"]:
            marks = "".join({"pass": "#", "mixed": "+", "fail": "x", "not-run": "."}[p["state"]] for p in points)
            print(f"  {lib:16} {points[-1]['pass']}/{points[-1]['run']}  {marks}")
    return 1 if d["newly_failing"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
