"""The test commands the README names: `pytest compat/` from the top of the tree, and
plain `pytest` there (each test once)."""
import pathlib
import subprocess

REPO = pathlib.Path(__file__).resolve().parent.parent


def collected(*args):
    """The test ids Debian's `pytest --collect-only` lists, run from the top of the tree."""
    r = subprocess.run(["/usr/bin/pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return [line for line in r.stdout.splitlines() if "::" in line]


def test_pytest_compat_runs_the_compatibility_suite():
    through_link = collected("compat/")
    assert through_link
    assert [test.replace("compat/", "compat-suite/", 1) for test in through_link] == collected("compat-suite/")


def test_plain_pytest_collects_each_test_once():
    tests = collected()
    assert len(tests) == len(set(tests))
    assert not [test for test in tests if test.startswith("compat/")]
    assert set(collected("pytest")) | set(collected("compat-suite")) == set(tests)

