"""Runs one case: its tau processes (plugins sharing one loop each), the stop
policy for servers that run forever, the checks on their output, and the
shared-loop rule: every handler runs on the loop thread (the shim's own count,
TAU_ASIO_SHIM_STATS). Plugins may own threads; who created each one is recorded
(from /proc/PID/task and the threadwatch preload) and reported."""
from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import signal
import socket
import subprocess
import threading
import time

from .manifest import Case, Process

HOST = "127.0.0.1"
STOP_GRACE = 3.0  # seconds tau gets after SIGTERM before the second one
READY_TIMEOUT = 10.0
_NOISE = re.compile(r"^(tau-compat: .*(calling main|main returned 0)|tau: (building|built) |\[\d+/\d+\] )")
_ERRORISH = re.compile(r"exception|error|fail|what\(\)|terminate|abort|assert|refused|denied|reset|timed out|"
                       r"never finished|cannot|unexpected|Sanitizer|usage|threw|did not finish", re.I)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def relevant_line(text: str) -> str:
    """The first line that reads like an error: the program's own first, then
    tau's (which often only says that main returned non-zero)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not _NOISE.match(ln.strip())]
    program = [ln for ln in lines if not ln.startswith(("tau:", "tau-compat:"))]
    for group in (program, lines):
        for ln in group:
            if _ERRORISH.search(ln):
                return ln
    return lines[-1] if lines else ""


def listening(port: int) -> bool:
    """Whether some socket listens on the TCP port (read from /proc/net, so that
    checking does not make a connection the server would see)."""
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = pathlib.Path(path).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 3 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                return True
    return False


@dataclasses.dataclass
class ThreadInfo:
    tid: int
    creator: str
    kind: str  # "blocking pool", "host", "plugin", "unknown"


_SHIM_STATS = re.compile(r"^tau-asio-shim: (?P<plugin>.*): handlers=(?P<handlers>\d+) off_loop=(?P<off_loop>\d+) "
                         r"parked_runs=(?P<parked_runs>\d+)$")


@dataclasses.dataclass
class ShimStats:
    plugin: str
    handlers: int
    off_loop: int
    parked_runs: int


@dataclasses.dataclass
class ProcessResult:
    role: str
    plugins: list[str]
    input: str
    command: list[str] = dataclasses.field(default_factory=list)  # tau's command line, for the case's log
    cwd: str = ""
    env: dict[str, str] = dataclasses.field(default_factory=dict)  # what the harness adds to the environment
    exit_code: int | None = None
    stop: str = "exited"  # exited | SIGTERM | second SIGTERM | SIGKILL | timeout
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    max_threads: int = 0
    threads: list[ThreadInfo] = dataclasses.field(default_factory=list)
    shim: list[ShimStats] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    thread_problems: list[str] = dataclasses.field(default_factory=list)


def classify_thread(creator: str, tau: pathlib.Path) -> str:
    base = os.path.basename(creator)
    if base.startswith("libuv.so"):
        return "blocking pool"
    if os.path.realpath(creator) == os.path.realpath(tau):
        return "host"
    if creator == "?":
        return "unknown"
    return "plugin"


class TauProcess:
    """A running tau, its output read as it comes, its threads sampled."""

    def __init__(self, tau: pathlib.Path, spec: Process, libraries: list[pathlib.Path], values: dict[str, str],
                 workdir: pathlib.Path, env: dict[str, str], index: int):
        self.tau = tau
        self.spec = spec
        self.values = values
        self.input = "\n".join(f"{pl.name} {fill(pl.args, values)}".strip() for pl in spec.plugins)
        self.thread_log = workdir / f"threads.{index}.log"
        self.thread_log.unlink(missing_ok=True)
        args = [str(tau)]
        for lib in libraries:
            args += ["--plugin", str(lib)]
        args += ["--input", self.input]
        preload = workdir.parent / "libthreadwatch.so"
        penv = {**env, "TAU_COMPAT_THREAD_LOG": str(self.thread_log), "TAU_ASIO_SHIM_STATS": "1",
                "TAU_COMPAT_MAIN_ON_LOOP": " ".join(pl.name for pl in spec.plugins if pl.main_thread == "loop")}
        self.watched = preload.exists()
        if self.watched:
            penv["LD_PRELOAD"] = " ".join(filter(None, [str(preload), env.get("LD_PRELOAD", "")]))
            penv["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0"]))
        cwd = fill(spec.cwd, values) if spec.cwd else str(workdir)
        self.result = ProcessResult(spec.role, [pl.name for pl in spec.plugins], self.input, args, cwd,
                                    {k: v for k, v in penv.items() if env.get(k) != v})
        self.started = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     cwd=cwd, env=penv, start_new_session=True)
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self.stop_seen = threading.Event()
        self.ready_seen = threading.Event()
        self._tids: set[int] = set()
        self._max_threads = 0
        self._readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self._out), daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stderr, self._err), daemon=True),
                         threading.Thread(target=self._sample, daemon=True)]
        for t in self._readers:
            t.start()
        try:
            self.proc.stdin.write(fill(spec.stdin, values).encode())
            self.proc.stdin.flush()
            if not spec.stdin_close_when:
                self.proc.stdin.close()
        except BrokenPipeError:
            pass

    def _close_stdin(self) -> None:
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    def _read(self, stream, sink: list[bytes]) -> None:
        stop_text = fill(self.spec.stop_when, self.values).encode() if self.spec.stop_when else None
        ready_text = fill(self.spec.ready_text, self.values).encode() if self.spec.ready_text else None
        close_text = fill(self.spec.stdin_close_when, self.values).encode() if self.spec.stdin_close_when else None
        for chunk in iter(lambda: stream.read1(65536), b""):
            sink.append(chunk)
            joined = b"".join(sink)
            if stop_text and stop_text in joined and sink is self._out:
                self.stop_seen.set()
            if close_text and close_text in joined and sink is self._out:
                self._close_stdin()
                close_text = None
            if ready_text and ready_text in joined:
                self.ready_seen.set()

    def _sample(self) -> None:
        task_dir = f"/proc/{self.proc.pid}/task"
        while self.proc.poll() is None:
            try:
                tids = [int(t) for t in os.listdir(task_dir)]
            except (FileNotFoundError, ProcessLookupError):
                break
            self._tids.update(tids)
            self._max_threads = max(self._max_threads, len(tids))
            time.sleep(0.005)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM; if tau is still running after a grace period, the second SIGTERM
        (tau exits at once on it); then SIGKILL."""
        if not self.alive():
            return
        for how, sig, grace in (("SIGTERM", signal.SIGTERM, STOP_GRACE), ("second SIGTERM", signal.SIGTERM, 2.0),
                                ("SIGKILL", signal.SIGKILL, 2.0)):
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                return
            self.result.stop = how
            try:
                self.proc.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue

    def kill(self) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.result.stop = "timeout"

    def finish(self) -> ProcessResult:
        self.proc.wait()
        self._close_stdin()
        for t in self._readers:
            t.join(timeout=5)
        r = self.result
        r.seconds = time.monotonic() - self.started
        r.exit_code = self.proc.returncode
        r.stdout = b"".join(self._out).decode(errors="replace")
        r.stderr = b"".join(self._err).decode(errors="replace")
        r.max_threads = self._max_threads
        self._check_threads()
        return r

    def _check_threads(self) -> None:
        r = self.result
        logged: dict[int, str] = {}
        if self.thread_log.exists():
            for line in self.thread_log.read_text().splitlines():
                tid, _, creator = line.partition("\t")
                logged[int(tid)] = creator
        # Plugin threads are allowed (they may block or park in run()); they are
        # reported. What breaks the rule is a handler that ran on one of them.
        r.threads = [ThreadInfo(tid, creator, classify_thread(creator, self.tau))
                     for tid, creator in sorted(logged.items())]
        unexplained = self._tids - set(logged) - {self.proc.pid}
        if unexplained and self.watched:
            r.thread_problems.append(f"{len(unexplained)} thread(s) not created through pthread_create")
        for line in r.stderr.splitlines():
            if (m := _SHIM_STATS.match(line.strip())):
                stats = ShimStats(os.path.basename(m["plugin"]), int(m["handlers"]), int(m["off_loop"]),
                                  int(m["parked_runs"]))
                r.shim.append(stats)
                if stats.off_loop:
                    r.thread_problems.append(f"{stats.off_loop} Asio handler(s) of {stats.plugin} ran off the loop "
                                             f"thread (the shim's count)")
            elif "off the loop thread" in line:
                r.thread_problems.append(line.strip())


def fill(template: str | None, values: dict[str, str]) -> str:
    if template is None:
        return ""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def wait_ready(tp: TauProcess, deadline: float) -> str | None:
    """Waits until a background process is ready; returns a problem or None."""
    spec = tp.spec
    port = int(fill(spec.ready_port, tp.values)) if spec.ready_port else None
    limit = min(deadline, time.monotonic() + READY_TIMEOUT)
    while time.monotonic() < limit:
        if not tp.alive():
            return f"{spec.role} exited before it was ready"
        if port is not None:
            if listening(port):
                return None
        elif spec.ready_text:
            if tp.ready_seen.wait(0.05):
                time.sleep(0.2)  # main() has started; let it open its sockets
                return None
        else:
            time.sleep(0.5)
            return None
        time.sleep(0.05)
    return f"{spec.role} was not ready within {READY_TIMEOUT:.0f}s"


@dataclasses.dataclass
class CaseRun:
    processes: list[ProcessResult]
    timed_out: bool
    seconds: float
    problems: list[str]


def run_case(tau: pathlib.Path, case: Case, libraries: dict[pathlib.Path, pathlib.Path], values: dict[str, str],
             workdir: pathlib.Path, env: dict[str, str]) -> CaseRun:
    """Starts the background processes (waiting until each is ready), runs the
    others to their end (or their stop_when text), stops the background ones."""
    workdir.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    deadline = start + case.timeout
    problems: list[str] = []
    procs: list[TauProcess] = []
    timed_out = False
    try:
        for i, spec in enumerate(case.processes):
            if not spec.background:
                continue
            tp = TauProcess(tau, spec, [libraries[p.dir] for p in spec.plugins], values, workdir, env, i)
            procs.append(tp)
            if (problem := wait_ready(tp, deadline)):
                problems.append(problem + ": " + relevant_line(b"".join(tp._err).decode(errors="replace")))
        foreground = []
        if not problems:
            for i, spec in enumerate(case.processes):
                if spec.background:
                    continue
                tp = TauProcess(tau, spec, [libraries[p.dir] for p in spec.plugins], values, workdir, env, i)
                procs.append(tp)
                foreground.append(tp)
        while any(tp.alive() for tp in foreground):
            if time.monotonic() > deadline:
                timed_out = True
                break
            for tp in foreground:
                if tp.alive() and tp.spec.stop_when and tp.stop_seen.is_set():
                    tp.stop()
            time.sleep(0.02)
        if not timed_out:
            for tp in procs:
                if tp.spec.background:
                    tp.stop()
    finally:
        for tp in procs:
            if timed_out:
                tp.kill()
            elif tp.alive():
                tp.stop()
    results = [tp.finish() for tp in procs]
    return CaseRun(results, timed_out, time.monotonic() - start, problems)


def check(spec: Process, r: ProcessResult, values: dict[str, str]) -> None:
    """Fills r.problems: exit status, expected output in order, the loop rule."""
    if r.exit_code not in spec.exit:
        r.problems.append(f"{r.role}: exit {r.exit_code} (expected {' or '.join(map(str, spec.exit))})"
                          f"{': ' + relevant_line(r.stderr + chr(10) + r.stdout) if relevant_line(r.stderr + chr(10) + r.stdout) else ''}")
    for stream, wanted in (("stdout", spec.stdout), ("stderr", spec.stderr)):
        text = getattr(r, stream)
        pos = 0
        for w in wanted:
            w = fill(w, values)
            found = text.find(w, pos)
            if found < 0:
                hint = relevant_line(r.stderr + "\n" + r.stdout)
                r.problems.append(f"{r.role}: {stream} lacks {w!r}" + (f": {hint}" if hint else ""))
                break
            pos = found + len(w)
    if spec.clean_stop and r.stop not in ("exited", "SIGTERM"):
        r.problems.append(f"{r.role}: did not stop on SIGTERM (needed the {r.stop})")
    for anywhere in spec.stdout_anywhere:
        if fill(anywhere, values) not in r.stdout:
            r.problems.append(f"{r.role}: stdout lacks {fill(anywhere, values)!r}")
    for absent in spec.stdout_absent:
        if fill(absent, values) in r.stdout:
            r.problems.append(f"{r.role}: stdout shows {fill(absent, values)!r}")
    r.problems.extend(f"{r.role}: {p}" for p in r.thread_problems)
