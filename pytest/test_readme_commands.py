"""The test commands the README names: `pytest compat/` from the top of the tree, plain
`pytest` there (each test once), and ctest with the labels unit, e2e and compat-ci."""
import json
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


def ctest_tests(tau, *args):
    """The tests ctest would run in the build tree, with their properties."""
    r = subprocess.run(["ctest", "--test-dir", str(tau.build), "--show-only=json-v1", *args], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return {test["name"]: test for test in json.loads(r.stdout)["tests"]}


def properties(test):
    return {p["name"]: p["value"] for p in test.get("properties", [])}


def test_ctest_labels(tau):
    sanitizers = json.loads(tau.run("--info", "--json").stdout)["sanitizers"]
    everything = ctest_tests(tau)
    unit = ctest_tests(tau, "-L", "unit")
    assert len(unit) > 50 and "e2e" not in unit and "compat-ci" not in unit
    assert list(ctest_tests(tau, "-L", "e2e")) == ["e2e"]
    assert list(ctest_tests(tau, "-L", "compat-ci")) == ([] if sanitizers else ["compat-ci"])
    assert set(everything) == set(unit) | {"e2e"} | ({"compat-ci"} if not sanitizers else set())


def test_ctest_runs_pytest_against_this_build(tau):
    for name, test in ctest_tests(tau, "-L", "e2e|compat-ci").items():
        assert test["command"][:3] == ["/usr/bin/python3", "-m", "pytest"], name
        props = properties(test)
        assert f"TAU_BUILD_DIR={tau.build}" in props["ENVIRONMENT"], name
        assert props["TIMEOUT"] >= 1800 and props["RUN_SERIAL"], name
        assert props["WORKING_DIRECTORY"] == str(REPO), name
    # Under ThreadSanitizer, the tests scripts/test runs there.
    thread_sanitizer = "thread" in json.loads(tau.run("--info", "--json").stdout)["sanitizers"]
    paths = ["pytest/test_asio_threads.py", "pytest/test_asio_shim.py"] if thread_sanitizer else ["pytest"]
    assert ctest_tests(tau, "-L", "e2e")["e2e"]["command"][3:] == ["-q", *paths]
