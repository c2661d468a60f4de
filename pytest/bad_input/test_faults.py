"""Plugin code that crashes, calls exit() or never returns to the loop: tau names the
plugin and what it ran in one line, the exit status stays the one the fault gives,
and Ctrl-C still ends a process whose loop a plugin blocks.

In an AddressSanitizer build, ASan's SEGV/FPE handler stays behind tau's: tau writes
its line, then hands the fault on, and ASan reports it and exits non-zero (1 unless
ASAN_OPTIONS says otherwise) instead of the signal's 128+N."""
import queue
import signal
import subprocess
import threading

import pytest

HANG_GUARD = 120  # seconds; only against a hang, never a measurement


@pytest.fixture(scope="module")
def sanitized(tau) -> bool:
    info = tau.run("--info")
    return "address_sanitizer=on" in info.stdout


@pytest.fixture(scope="module")
def faults(tau) -> str:
    return str(tau.test_plugin("faults"))


def run_fault(tau, env, faults, fault, *options):
    return tau.run(*options, "--plugin", faults, "--input", fault, env=env, timeout=HANG_GUARD)


def tau_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("tau:")]


def assert_crashed(run, sanitized, signum, line):
    """One tau line, then the signal's default action (or, for a fault ASan handles,
    ASan's report)."""
    assert tau_lines(run.stderr) == [line], run.stderr
    if sanitized and signum in (signal.SIGSEGV, signal.SIGFPE, signal.SIGBUS):
        assert f"AddressSanitizer: {signal.Signals(signum).name[3:]}" in run.stderr
        assert run.returncode != 0
    else:
        assert run.returncode == -signum, run.stderr


class Running:
    """A tau process whose stdout and stderr lines are read as they come."""

    def __init__(self, tau, env, *args):
        self.proc = subprocess.Popen([str(tau.binary), *map(str, args)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
        self.stdout = self._reader(self.proc.stdout)
        self.stderr = self._reader(self.proc.stderr)
        self.stderr_seen = []

    @staticmethod
    def _reader(stream) -> queue.Queue:
        lines = queue.Queue()

        def read():
            for line in stream:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        return lines

    def next_stdout(self) -> str:
        return self.stdout.get(timeout=HANG_GUARD)

    def next_tau_line(self) -> str:
        """The next line tau writes on stderr (sanitizer chatter skipped)."""
        while True:
            line = self.stderr.get(timeout=HANG_GUARD)
            assert line is not None, f"tau ended; stderr so far: {self.stderr_seen}"
            self.stderr_seen.append(line)
            if line.startswith("tau:"):
                return line

    def finish(self) -> int:
        try:
            return self.proc.wait(timeout=HANG_GUARD)
        finally:
            self.proc.kill()
            self.proc.wait()


def test_null_dereference_in_process(tau, env, faults, sanitized, assert_left_clean):
    run = run_fault(tau, env, faults, "segv_process")
    assert_crashed(run, sanitized, signal.SIGSEGV,
                   f"tau: plugin '{faults}' crashed with SIGSEGV (Segmentation fault) in its process hook")
    assert_left_clean()


def test_null_dereference_in_a_timer_callback(tau, env, faults, sanitized, assert_left_clean):
    run = run_fault(tau, env, faults, "segv_timer")
    assert_crashed(run, sanitized, signal.SIGSEGV,
                   f"tau: plugin '{faults}' crashed with SIGSEGV (Segmentation fault) in a timer callback")
    assert_left_clean()


def test_null_dereference_in_a_posted_callback(tau, env, faults, sanitized, assert_left_clean):
    run = run_fault(tau, env, faults, "segv_posted")
    assert_crashed(run, sanitized, signal.SIGSEGV,
                   f"tau: plugin '{faults}' crashed with SIGSEGV (Segmentation fault) in a posted callback")
    assert_left_clean()


def test_null_dereference_on_a_plugin_thread(tau, env, faults, sanitized, assert_left_clean):
    run = run_fault(tau, env, faults, "segv_thread")
    assert_crashed(run, sanitized, signal.SIGSEGV,
                   f"tau: plugin '{faults}' crashed with SIGSEGV (Segmentation fault) in a plugin thread")
    assert_left_clean()


def test_null_dereference_in_a_blocking_job(tau, env, faults, sanitized, assert_left_clean):
    run = run_fault(tau, env, faults, "segv_blocking")
    assert_crashed(run, sanitized, signal.SIGSEGV,
                   f"tau: plugin '{faults}' crashed with SIGSEGV (Segmentation fault) in a blocking job")
    assert_left_clean()


def test_abort(tau, env, faults, sanitized, assert_left_clean):
    run = run_fault(tau, env, faults, "abort")
    assert_crashed(run, sanitized, signal.SIGABRT,
                   f"tau: plugin '{faults}' crashed with SIGABRT (Aborted) in its process hook")
    assert_left_clean()


def test_integer_division_by_zero(tau, env, faults, sanitized, assert_left_clean):
    run = run_fault(tau, env, faults, "fpe")
    assert_crashed(run, sanitized, signal.SIGFPE,
                   f"tau: plugin '{faults}' crashed with SIGFPE (Floating point exception) in its process hook")
    assert_left_clean()


def test_exit_in_process(tau, env, faults, assert_left_clean):
    run = run_fault(tau, env, faults, "exit")
    assert run.returncode == 7, run.stderr
    assert tau_lines(run.stderr) == [
        f"tau: plugin '{faults}' called exit() in its process hook; tau ends with the status it passed"]
    assert_left_clean()


def test_busy_loop_is_reported_by_the_watchdog_and_sigint_ends_it(tau, env, faults, assert_left_clean):
    running = Running(tau, env, "--watchdog", "1", "--plugin", faults, "--input", "spin")
    assert running.next_stdout() == "spinning"
    stuck = (f"tau: plugin '{faults}' has been running its process hook for {{}} s without returning to the "
             "loop (a busy loop or a blocking call?)")
    assert running.next_tau_line() == stuck.format(1)
    assert running.next_tau_line() == stuck.format(2)  # it repeats while the plugin stays
    running.proc.send_signal(signal.SIGINT)
    assert running.next_tau_line() == (
        f"tau: SIGINT (Interrupt) while plugin '{faults}' blocks the loop in its process hook: exiting now")
    assert running.finish() == 130
    assert_left_clean()


def test_busy_loop_ends_on_the_second_sigint(tau, env, faults, assert_left_clean):
    running = Running(tau, env, "--watchdog", "0", "--plugin", faults, "--input", "spin")
    assert running.next_stdout() == "spinning"
    running.proc.send_signal(signal.SIGINT)
    assert running.next_tau_line() == (
        "tau: SIGINT (Interrupt) received: cancelling tasks and shutting down (a second one exits at once)")
    running.proc.send_signal(signal.SIGINT)
    assert running.next_tau_line() == "tau: second SIGINT (Interrupt): exiting now without unloading plugins"
    assert running.finish() == 130
    assert_left_clean()
