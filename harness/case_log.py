"""The full log of one case: reports/logs/NAME.txt, linked from the report. It holds
what the results keep only in part: every command (plugin builds, each tau), its
working directory and environment, exit code, timing and complete output, so a
failure can be read without running the case again."""
from __future__ import annotations

import os
import pathlib
import shlex

RULE = "=" * 78


def _section(title: str, body: str) -> list[str]:
    body = body if body.endswith("\n") or not body else body + "\n"
    return [f"--- {title} ({len(body.splitlines())} lines) ---", body or "(empty)\n"]


def text(result, builds: list, processes: list) -> str:
    """result: a CaseResult; builds: build.Build of the case's plugins; processes:
    run.ProcessResult with their complete output."""
    c = result.case
    out = [RULE, f"case     {c.name}: {c.title}", f"library  {c.library} (tier {c.tier})",
           f"status   {result.status} ({result.outcome}) in {result.seconds:.2f} s"]
    if result.error:
        out.append(f"error    {result.error}")
    if c.xfail_reason:
        out.append(f"known    ({c.xfail_cause}) {c.xfail_reason}")
    out += [f"note     {o}" for o in result.observations]
    out.append(RULE)
    for b in builds:
        state = "exit " + (str(b.exit_code) if b.exit_code is not None else "none (did not finish)")
        out += ["", f"## build {b.dir.name}: {'ok' if b.ok else 'FAILED'}, {state}, {b.seconds:.2f} s, "
                    f"{'compiled' if b.compiled else 'from the cache'}",
                f"$ {shlex.join(b.command)}" if b.command else "$ (built earlier in this session)"]
        if b.first_error and not b.ok:
            out.append(f"first error: {b.first_error}")
        out += _section("build output", b.log)
    for i, p in enumerate(processes, 1):
        out += ["", f"## process {i}: {p.role}: exit {p.exit_code}, stop: {p.stop}, {p.seconds:.2f} s, "
                    f"{p.max_threads} threads at most",
                f"$ cd {shlex.quote(p.cwd)}" if p.cwd else "$ (working directory unknown)"]
        out += [f"$ export {k}={shlex.quote(v)}" for k, v in sorted(p.env.items())]
        out.append(f"$ {shlex.join(p.command)}" if p.command else "$ (command unknown)")
        out += [f"problem: {pr}" for pr in p.problems]
        out += _section("--input (a line per plugin)", p.input)
        out += _section("stdout", p.stdout)
        out += _section("stderr", p.stderr)
    if not builds and not processes:
        out += ["", "(nothing was built or run: " + (result.first_error or result.not_run_reason or "?") + ")"]
    return "\n".join(out) + "\n"


def write(result, builds: list, processes: list, directory: pathlib.Path) -> pathlib.Path:
    """Writes logs/NAME.txt atomically: a reader (the browser, a second session)
    sees the previous log or the new one, never half of one."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.case.name}.txt"
    tmp = directory / f".{result.case.name}.txt.{os.getpid()}.tmp"
    tmp.write_text(text(result, builds, processes), errors="replace")
    os.replace(tmp, path)
    return path
