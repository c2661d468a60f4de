"""The suite itself: manifests are valid and cover every API of the support table,
the report spans the libraries the issue asks for, and the shared-loop check
catches a handler run off the loop thread (and reports, but accepts, threads of the
plugin's own and tau's blocking pool)."""
import collections
import pathlib

from harness import build, manifest, run
from harness.manifest import Case, Plugin, Process
from suite_config import CONFIG, SUITE

CASES = manifest.load_all(CONFIG.cases)
APIS = manifest.load_apis(CONFIG.apis)
SELFTEST = SUITE / "selftest"


def test_every_api_in_the_support_table_has_a_case():
    covered = {api for c in CASES for api in c.apis}
    missing = [a.name for a in APIS if a.name not in covered and not a.observed]
    assert not missing, f"APIs without a case: {missing}"


def test_cases_name_only_apis_of_the_support_table():
    names = {a.name for a in APIS}
    unknown = {f"{c.name}: {api}" for c in CASES for api in c.apis if api not in names}
    assert not unknown, f"add them to compat-suite/apis.toml or fix the spelling: {sorted(unknown)}"


def test_the_suite_spans_the_libraries_and_tiers():
    per_library = collections.Counter(c.library for c in CASES)
    assert len(CASES) >= 25
    for library in ("Asio examples", "Beast HTTP", "Beast WebSocket", "HTTPS", "API probes"):
        assert per_library[library] >= 2, per_library
    ci = [c for c in CASES if c.tier == "ci"]
    assert {c.library for c in ci} >= {"Asio examples", "Beast HTTP", "Beast WebSocket", "HTTPS", "RESTinio"}


def test_third_party_cases_pin_their_library():
    for c in CASES:
        if c.library in ("RESTinio", "cpprestsdk", "libtorrent"):
            assert c.third_party and c.third_party.version, c.name


def test_known_failures_name_the_api_and_the_reason():
    for c in CASES:
        if c.xfail_reason:
            assert len(c.xfail_reason) > 20, c.name
            assert c.xfail_apis or c.xfail_cause == "upstream", c.name


def test_upstream_sources_exist_and_are_not_copied():
    root = pathlib.Path("/usr/share/doc/libboost1.81-doc/examples/libs")
    for c in CASES:
        for u in c.upstream:
            assert (root / u).exists(), f"{c.name}: {u} (install libboost1.81-doc)"
    ours = [p for p in SUITE.rglob("*") if p.suffix in (".cpp", ".hpp")]
    copied = [p for p in ours if any(p.read_bytes() == q.read_bytes() for q in root.rglob(p.name))]
    assert not copied, f"upstream files copied into the repository: {copied}"


def _run_selftest(name: str, suite):
    b = build.build_one(suite.config, SELFTEST / name)
    assert b.ok, b.log
    case = Case(name=name, dir=SELFTEST / name, title=name, library="API probes", apis=[], upstream=[], needs=[],
                tier="ci", timeout=60, processes=[Process("selftest", [Plugin(SELFTEST / name, "")])], fixed_ports={})
    outcome = run.run_case(suite.config.tau, case, {SELFTEST / name: b.library}, {}, suite.workdir / "runs" / name,
                           suite.env())
    return outcome.processes[0]


def test_shared_loop_check_reports_but_accepts_a_plugin_thread(suite):
    r = _run_selftest("own_thread", suite)
    assert r.exit_code == 0 and "worker ran" in r.stdout
    assert any(t.kind == "plugin" and t.creator.endswith("libown_thread.so") for t in r.threads), r.threads
    assert not r.thread_problems


def test_shared_loop_check_catches_a_handler_off_the_loop_thread(suite):
    r = _run_selftest("handler_off_loop", suite)
    assert r.exit_code == 0 and "counted a handler on a plugin thread" in r.stdout, r.stderr
    assert [(s.plugin, s.handlers, s.off_loop) for s in r.shim] == [("libhandler_off_loop.so", 1, 1)]
    assert r.thread_problems == ["1 Asio handler(s) of libhandler_off_loop.so ran off the loop thread (the shim's count)"]


def test_shared_loop_check_accepts_the_blocking_pool(suite):
    r = _run_selftest("blocking_pool", suite)
    assert r.exit_code == 0 and "pool answered 42" in r.stdout, r.stderr
    # Besides the host's own (its watchdog), only the blocking pool's threads.
    pool = [t for t in r.threads if t.kind != "host"]
    assert pool and all(t.kind == "blocking pool" for t in pool), r.threads
    assert not r.thread_problems
