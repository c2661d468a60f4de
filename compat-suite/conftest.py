"""pytest collection for the compatibility suite: one test per case (cases/NAME),
built with tau's plugin compiler before the first case runs, results written to
reports/compat.json and reports/index.html at the end of the session.

TAU_COMPAT_TIER=ci (default) runs the ci-tier cases and skips the rest;
TAU_COMPAT_TIER=full runs everything. TAU_BUILD_DIR picks the tau build (default
build/), TAU_CACHE_DIR the plugin build cache (default <build>/compat-cache); the
rest is in README.md. suite_config.py tells the harness where things are.

A case with [xfail] in its manifest is a strict xfail: when it passes, its test
fails (XPASS(strict)) until the [xfail] is dropped."""
import pytest

from suite_config import CONFIG  # first: it puts the harness on sys.path
from harness import config, history, manifest, report, results
from harness.suite import Suite

CASES = manifest.load_all(CONFIG.cases)
TIER = CONFIG.tier
_suite: Suite | None = None


def case_params():
    params = []
    for case in CASES:
        marks = []
        if not config.in_tier(case.tier, TIER):
            marks.append(pytest.mark.skip(reason=f"{case.tier} tier (TAU_COMPAT_TIER={TIER})"))
        if case.xfail_reason:
            blamed = ", ".join(case.xfail_apis) or "upstream program"
            marks.append(pytest.mark.xfail(reason=f"{blamed}: {case.xfail_reason}", strict=True))
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def pytest_addoption(parser):
    parser.addoption("--compat-diff", action="store_true",
                     help="at the end, print what changed since the previous run of the compatibility suite "
                          "(reports/history.jsonl): newly passing and newly failing cases (as python3 -m harness.diff)")


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", case_params())




@pytest.fixture(scope="session")
def suite(request, tmp_path_factory) -> Suite:
    """Builds the plugins of every case that this session will run, in parallel."""
    global _suite
    if not CONFIG.tau.exists():
        pytest.fail(f"{CONFIG.tau} does not exist: build tau first (cmake --preset default && "
                    f"cmake --build build --target tau)")
    s = Suite(CONFIG, tmp_path_factory.mktemp("compat"), CASES)
    selected = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec and "case" in callspec.params and not item.get_closest_marker("skip"):
            selected.append(callspec.params["case"])
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def say(line):
        if reporter and capture:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)

    def progress(b):
        what = "built" if b.compiled else "cached"
        say(f"compat: {b.dir.name}: {what if b.ok else 'BUILD FAILED: ' + b.first_error} ({b.seconds:.1f}s)")
    plugins = len(set(d for c in selected for d in c.plugin_dirs))
    say(f"\ncompat: tier {TIER}: building {plugins} plugins for {len(selected)} cases, "
        f"{CONFIG.jobs} at a time (cache {CONFIG.cache})")
    s.prepare(selected, progress=progress, say=lambda line: say(f"compat: {line}"))
    say(f"compat: {plugins} plugins ready in {s.build_seconds:.1f}s")
    _suite = s
    return s


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    show_diff = session.config.getoption("--compat-diff", default=False)
    if _suite is None or not any(r.status != results.NOT_RUN for r in _suite.results.values()):
        if show_diff and reporter:  # nothing ran: the last two recorded runs
            runs = history.load(history.path(CONFIG.reports))
            if runs:
                d = history.diff(runs[-2] if len(runs) > 1 else None, runs[-1])
                for line in history.format_diff(d):
                    reporter.write_line(line)
        return
    doc = _suite.document()
    record = history.record(doc, history.path(CONFIG.reports))
    results.write(doc, CONFIG.reports)
    path = report.render(doc, CONFIG.reports)
    if reporter:
        t = doc["totals"]
        d = record["diff"]
        reporter.write_line(f"compat: {t['passed']}/{t['run']} cases passed ({t['cases']} in the suite); "
                            f"report: {path}")
        if (stale := doc["growth"]["passes_now"]):
            reporter.write_line(f"compat: known failures that no longer happen (drop their [xfail]): "
                                f"{', '.join(i['case'] for i in stale)}", red=True)
        if show_diff:
            for line in history.format_diff(d):
                reporter.write_line(line)
        elif d["previous"] is not None:
            reporter.write_line(f"compat: since the previous run: {len(d['newly_passing'])} newly passing, "
                                f"{len(d['newly_failing'])} newly failing (--compat-diff for the list)")
