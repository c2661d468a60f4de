"""One session of the suite: prepares what cases need (certificates, a document
root, the threadwatch preload), builds the plugins, runs cases and keeps their
results for the report."""
from __future__ import annotations

import os
import pathlib
import subprocess
import time

from . import build, case_log, certs, debian_source, results, run
from .config import Config, in_tier
from .manifest import LIBRARIES, Case, load_apis
from .results import BUILD_FAIL, FAIL, NOT_RUN, PASS, TIMEOUT, CaseResult

DOCROOT_TEXT = "hello from the tau compat suite\n"
THREADWATCH = pathlib.Path(__file__).resolve().parent / "threadwatch.c"


def build_threadwatch(directory: pathlib.Path) -> pathlib.Path:
    """Compiles threadwatch.c once into the build cache."""
    source = THREADWATCH
    target = directory / "libthreadwatch.so"
    if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f"libthreadwatch.so.tmp.{os.getpid()}"
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-o", str(tmp), str(source), "-ldl"], check=True)
        tmp.rename(target)
    return target


class Suite:
    def __init__(self, config: Config, workdir: pathlib.Path, cases: list[Case]):
        self.config = config
        self.workdir = workdir
        self.log_dir = config.reports / "logs"  # each case's full log, linked from the report
        self.cases = cases
        self.tier = config.tier
        self.started = time.monotonic()
        self.results: dict[str, CaseResult] = {
            c.name: CaseResult(c, NOT_RUN, not_run_reason=f"not in the {self.tier} tier"
                               if not in_tier(c.tier, self.tier) else "not selected") for c in cases}
        self.builds: dict[pathlib.Path, build.Build] = {}
        self.third_party_errors: dict[str, str] = {}
        self.prepared = False

    def prepare_third_party(self, selected: list[Case], say=None) -> None:
        """Checks the pinned package of each third-party library, or fetches its
        source package, before anything is built; a case whose library is missing
        fails its build with the reason."""
        for case in selected:
            tp = case.third_party
            if tp is None:
                continue
            try:
                if tp.package:
                    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", tp.package], capture_output=True,
                                       text=True)
                    if r.returncode != 0:
                        raise debian_source.FetchError(f"{tp.package} is not installed (scripts/install-packages)")
                    if r.stdout != tp.package_version:
                        raise debian_source.FetchError(f"{tp.package} is {r.stdout}; the case is pinned to "
                                                       f"{tp.package_version}")
                else:
                    debian_source.fetch(tp.source, tp.source_version, self.config.sources, say=say)
            except (debian_source.FetchError, OSError) as e:
                self.third_party_errors[case.name] = f"{case.library} {tp.version}: {e}"

    def prepare(self, selected: list[Case], progress=None, say=None) -> None:
        """Everything the selected cases need, built before the first one runs."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.certs = certs.make(self.workdir / "certs")
        self.docroot = self.workdir / "docroot"
        self.docroot.mkdir(exist_ok=True)
        (self.docroot / "index.html").write_text(DOCROOT_TEXT)
        watch = build_threadwatch(self.config.cache / "harness")
        (self.workdir / "runs").mkdir(exist_ok=True)
        link = self.workdir / "runs" / "libthreadwatch.so"
        if not link.exists():
            link.symlink_to(watch)
        self.prepare_third_party(selected, say)
        dirs = [d for c in selected if c.name not in self.third_party_errors for d in c.plugin_dirs]
        start = time.monotonic()
        self.builds.update(build.build_all(self.config, dirs, progress=progress))
        self.build_seconds = time.monotonic() - start
        self.prepared = True

    def env(self) -> dict[str, str]:
        return {**os.environ, "TAU_CACHE_DIR": str(self.config.cache), "TAU_COMPAT_CERT_DIR": str(self.certs)}

    def values(self, case: Case) -> dict[str, str]:
        v = {"host": run.HOST, "docroot": str(self.docroot), "certs": str(self.certs),
             "tmp": str(self.workdir / "runs" / case.name)}
        for name in sorted(case.placeholders()):
            if name.startswith("port"):
                v[name] = str(case.fixed_ports.get(name) or run.free_port())
        return v

    def run(self, case: Case) -> CaseResult:
        """Runs the case and writes its full log (logs/NAME.txt) whatever happened."""
        processes: list[run.ProcessResult] = []
        r = self._run(case, processes)
        builds = [self.builds[d] for d in case.plugin_dirs if d in self.builds]
        path = case_log.write(r, builds, processes, self.log_dir)
        r.log = f"{self.log_dir.name}/{path.name}"  # relative to the report beside logs/
        return r

    def _run(self, case: Case, processes: list) -> CaseResult:
        r = CaseResult(case, FAIL)
        self.results[case.name] = r
        start = time.monotonic()
        if case.name in self.third_party_errors:
            r.status = BUILD_FAIL
            r.first_error = self.third_party_errors[case.name]
            return r
        for d in case.plugin_dirs:
            b = self.builds.get(d) or build.build_one(self.config, d)
            self.builds[d] = b
            r.builds.append({"plugin": d.name, "ok": b.ok, "seconds": round(b.seconds, 1),
                             "compiled": b.compiled, "first_error": b.first_error})
        failed = [b for b in (self.builds[d] for d in case.plugin_dirs) if not b.ok]
        if failed:
            r.status = BUILD_FAIL
            r.first_error = f"{failed[0].dir.name}: {failed[0].first_error}"
            r.seconds = time.monotonic() - start
            return r
        values = self.values(case)
        for name, port in case.fixed_ports.items():
            if not run.port_is_free(port):
                r.first_error = f"port {port} (fixed by the upstream program) is in use"
                r.seconds = time.monotonic() - start
                return r
        libraries = {d: self.builds[d].library for d in case.plugin_dirs}
        outcome = run.run_case(self.config.tau, case, libraries, values, self.workdir / "runs" / case.name,
                               self.env())
        processes.extend(outcome.processes)
        specs = [p for p in case.processes if p.background] + [p for p in case.processes if not p.background]
        problems = list(outcome.problems)
        for spec, pr in zip(specs, outcome.processes):
            run.check(spec, pr, values)
            problems.extend(pr.problems)
        r.processes = [results.process_json(p) for p in outcome.processes]
        for p in outcome.processes:
            if p.stop in ("second SIGTERM", "SIGKILL"):
                r.observations.append(f"{p.role}: still running 3 s after SIGTERM, ended by the {p.stop}")
        r.seconds = time.monotonic() - start
        if outcome.timed_out:
            r.status = TIMEOUT
            still = [p for p in outcome.processes if p.stop == "timeout"]
            hint = run.relevant_line(still[0].stderr + "\n" + still[0].stdout) if still else ""
            r.first_error = (f"timed out after {case.timeout:.0f}s"
                             + (f" ({', '.join(p.role for p in still)} still running)" if still else "")
                             + (f": {hint}" if hint else ""))
        elif problems:
            r.status = FAIL
            r.first_error = problems[0]
        else:
            r.status = PASS
        return r

    def document(self) -> dict:
        return results.document(list(self.results.values()), load_apis(self.config.apis), list(LIBRARIES), self.tier,
                                time.monotonic() - self.started, tau=self.config.tau, peers=self.config.peers)
