"""SIGINT/SIGTERM: the host cancels tasks, destroys plugins and exits 128+signal."""
import signal

import pytest


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_cancels_tasks_and_destroys_plugins(tau, signum):
    proc = tau.start("--plugin", tau.test_plugin("slow_with_destroy"))
    assert proc.stdout.readline() == "sleeping\n"  # the task is running and suspended
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signum
    assert out == "task frame destroyed\nplugin destroyed\n"
    assert "cancelling tasks and shutting down" in err
