"""The report without running cases: logs, history and its diff, the shim-growth
list and the filters, from synthetic results; then the page in headless Chromium
(from file://, two widths, a filter chosen by the URL)."""
import dataclasses
import html.parser
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys

import pytest

from harness import build, case_log, diff, history, manifest, report, results, run
from harness.suite import Suite
from suite_config import CONFIG, REPO, SUITE

CASES = {c.name: c for c in manifest.load_all(CONFIG.cases)}
LIBRARIES = list(manifest.LIBRARIES)


def make_doc(statuses: dict[str, str], cases=None, logs: bool = False) -> dict:
    """A results document where the named cases have these statuses, the rest not run."""
    rs = []
    for case in (cases or CASES.values()):
        r = results.CaseResult(case, statuses.get(case.name, results.NOT_RUN))
        if r.status not in (results.PASS, results.NOT_RUN):
            r.first_error = f"synthetic {r.status}"
        if logs and r.status != results.NOT_RUN:
            r.log = f"logs/{case.name}.txt"
        rs.append(r)
    return results.document(rs, manifest.load_apis(CONFIG.apis), LIBRARIES, "ci", 1.0, tau=CONFIG.tau,
                            peers=CONFIG.peers)


class Page(html.parser.HTMLParser):
    """Rows of the cases table (visible or hidden), links, gaps, options."""

    def __init__(self):
        super().__init__()
        self.case_rows, self.links, self.gaps, self.options, self.ids = [], [], [], {}, set()
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "tr" and a.get("class") == "case-row":
            self.case_rows.append({**a, "visible": "hidden" not in a})
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "li" and a.get("class") == "gap":
            self.gaps.append((a["data-api"], int(a["data-blocks"])))
        if tag == "select":
            self._select = a.get("id")
            self.options[self._select] = []
        if tag == "option" and self._select:
            self.options[self._select].append(a.get("value"))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse(text: str) -> Page:
    p = Page()
    p.feed(text)
    return p


# -- logs ---------------------------------------------------------------------------------------------------------

def test_case_log_holds_commands_exit_codes_timings_and_the_whole_output(tmp_path):
    case = CASES["probe_tcp"]
    long_out = "".join(f"line {i}\n" for i in range(2000))  # more than the results keep (OUTPUT_LIMIT)
    assert len(long_out) > results.OUTPUT_LIMIT
    b = build.Build(case.dir, True, tmp_path / "libprobe_tcp.so", 1.25, False, log="tau: built\n",
                    command=["/x/tau", "build", str(case.dir)], exit_code=0)
    p = run.ProcessResult("probe", ["probe_tcp"], "probe_tcp 127.0.0.1", command=["/x/tau", "--plugin", "a b.so"],
                          cwd="/tmp/w", env={"TAU_ASIO_SHIM_STATS": "1"}, exit_code=3, stop="SIGTERM",
                          stdout=long_out, stderr="boom: error\n", seconds=2.5, problems=["probe: exit 3"])
    r = results.CaseResult(case, results.FAIL, first_error="probe: exit 3", seconds=3.75)
    path = case_log.write(r, [b], [p], tmp_path / "logs")
    assert path == tmp_path / "logs" / "probe_tcp.txt"
    assert [f.name for f in (tmp_path / "logs").iterdir()] == ["probe_tcp.txt"]  # no temporary file left
    text = path.read_text()
    assert f"$ /x/tau build {case.dir}" in text
    assert "$ /x/tau --plugin 'a b.so'" in text
    assert "$ cd /tmp/w" in text and "$ export TAU_ASIO_SHIM_STATS=1" in text
    assert "exit 3, stop: SIGTERM, 2.50 s" in text
    assert "status   fail (failed) in 3.75 s" in text and "error    probe: exit 3" in text
    assert "line 0\n" in text and "line 1999\n" in text and "[...]" not in text
    assert "boom: error" in text


def test_suite_run_writes_a_log_even_when_nothing_could_be_built(tmp_path):
    case = next(c for c in CASES.values() if c.third_party)
    s = Suite(dataclasses.replace(CONFIG, reports=tmp_path / "reports", tier="ci"), tmp_path / "work",
              list(CASES.values()))
    s.third_party_errors[case.name] = "RESTinio 0.6.16: librestinio-dev is not installed"
    r = s.run(case)
    assert r.status == results.BUILD_FAIL
    assert r.log == f"logs/{case.name}.txt"
    assert "librestinio-dev is not installed" in (tmp_path / "reports" / r.log).read_text()
    doc = s.document()
    page = report.render(doc, tmp_path / "reports")
    links = parse(page.read_text()).links
    assert f"logs/{case.name}.txt" in links
    assert (page.parent / f"logs/{case.name}.txt").is_file()
    # cases that did not run have no log to link
    assert not [link for link in links if link.startswith("logs/") and link != f"logs/{case.name}.txt"]


# -- history ------------------------------------------------------------------------------------------------------

FIRST = {"probe_tcp": "pass", "probe_strand": "fail", "probe_channel": "pass", "probe_signal_set": "timeout"}
SECOND = {"probe_tcp": "fail", "probe_strand": "pass", "probe_channel": "pass", "probe_signal_set": "build failure",
          "probe_co_spawn": "pass"}  # probe_co_spawn was not run before: not "newly passing"


def test_history_appends_a_line_per_run_and_diffs_the_last_two(tmp_path):
    file = tmp_path / "history.jsonl"
    first = make_doc(FIRST)
    h1 = history.record(first, file)
    assert h1["diff"]["previous"] is None and h1["runs"] == 1
    second = make_doc(SECOND)
    second["generated"] = "2099-01-01T00:00:00+00:00"
    h2 = history.record(second, file)
    lines = file.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["statuses"] for line in lines)
    d = h2["diff"]
    assert [i["case"] for i in d["newly_passing"]] == ["probe_strand"]
    assert [i["case"] for i in d["newly_failing"]] == ["probe_tcp"]
    assert [(i["case"], i["was"], i["now"]) for i in d["changed"]] == [("probe_signal_set", "timeout",
                                                                        "build failure")]
    probes = h2["trend"]["API probes"]
    assert [(p["pass"], p["run"]) for p in probes] == [(2, 4), (3, 5)]
    # the page shows the change and the trend
    page = parse_page(second, tmp_path)
    text = (tmp_path / "index.html").read_text()
    assert "newly failing: " in text and 'data-case="probe_tcp"' in text
    assert {"changes", "diff", "trend-all", "library-table"} <= page.ids


def parse_page(doc, directory) -> Page:
    return parse(report.render(doc, directory).read_text())


def test_diff_script_and_pytest_option_print_the_same(tmp_path):
    file = tmp_path / "history.jsonl"
    history.record(make_doc(FIRST), file)
    history.record(make_doc(SECOND), file)
    script = subprocess.run([sys.executable, "-m", "harness.diff", str(file)], capture_output=True, text=True,
                            cwd=REPO)
    assert script.returncode == 1, script.stdout + script.stderr  # a case newly fails
    assert "1 newly passing, 1 newly failing" in script.stdout
    assert "  + probe_strand: fail -> pass" in script.stdout and "  - probe_tcp: pass -> fail" in script.stdout
    env = {**os.environ, "TAU_COMPAT_REPORT_DIR": str(tmp_path)}
    option = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "compat-suite",
                             "--compat-diff", "-k", "no_such_case_at_all"], capture_output=True, text=True,
                            cwd=REPO, env=env, timeout=300)
    for line in script.stdout.splitlines()[:3]:
        assert line in option.stdout, option.stdout + option.stderr


# -- the shim-growth list -----------------------------------------------------------------------------------------

def test_growth_list_ranks_gaps_by_cases_blocked(tmp_path):
    names = ["probe_tcp", "probe_strand", "probe_channel", "probe_signal_set", "probe_co_spawn", "probe_run_one_poll"]
    xfail = {"probe_run_one_poll": ("shim", ["strand"]),  # passes in this run: blocks nothing
             "probe_tcp": ("shim", ["ip::tcp::socket"]), "probe_strand": ("shim", ["strand", "ip::tcp::socket"]),
             "probe_channel": ("design", ["strand"]), "probe_signal_set": ("shim", ["ip::tcp::socket"]),
             "probe_co_spawn": ("upstream", [])}
    cases = [dataclasses.replace(CASES[n], xfail_reason=f"reason of {n}", xfail_cause=xfail[n][0],
                                 xfail_apis=xfail[n][1]) for n in names]
    doc = make_doc({n: "fail" for n in names} | {"probe_run_one_poll": "pass", "probe_signal_set": "not run"}, cases)
    g = doc["growth"]
    assert [(x["api"], x["blocks"]) for x in g["gaps"]] == [("ip::tcp::socket", 3), ("strand", 2)]
    assert [i["case"] for i in g["gaps"][0]["cases"]] == ["probe_signal_set", "probe_strand", "probe_tcp"]
    assert set(g["gaps"][1]["causes"]) == {"shim", "design"}
    assert [x["case"] for x in g["passes_now"]] == ["probe_run_one_poll"]
    assert [x["case"] for x in g["upstream"]] == ["probe_co_spawn"]
    assert parse_page(doc, tmp_path).gaps == [("ip::tcp::socket", 3), ("strand", 2)]


def test_growth_list_of_the_real_manifests_names_every_known_failure():
    doc = make_doc({})
    known = {c.name for c in CASES.values() if c.xfail_reason}
    listed = {i["case"] for x in doc["growth"]["gaps"] for i in x["cases"]} | {i["case"] for i in
                                                                               doc["growth"]["upstream"]}
    assert listed == known
    blocks = [x["blocks"] for x in doc["growth"]["gaps"]]
    assert blocks == sorted(blocks, reverse=True)


# -- strict xfail: a known failure that no longer happens ------------------------------------------------------------

KNOWN = next(c for c in CASES.values() if c.xfail_reason)  # a case with [xfail]


def test_known_failures_are_strict_xfails(request):
    conftest = next(p for p in request.config.pluginmanager.get_plugins()
                    if pathlib.Path(getattr(p, "__file__", "") or "/").resolve() == SUITE / "conftest.py")
    marks = {param.id: [m for m in param.marks if m.name == "xfail"] for param in conftest.case_params()}
    assert {name for name, xfail in marks.items() if xfail} == {c.name for c in CASES.values() if c.xfail_reason}
    assert all(m.kwargs.get("strict") is True for xfail in marks.values() for m in xfail)


def test_a_known_failure_that_passes_is_reported_as_a_failed_test(tmp_path):
    doc = make_doc({KNOWN.name: "pass"})
    case = next(c for c in doc["cases"] if c["name"] == KNOWN.name)
    assert (case["status"], case["outcome"]) == ("pass", "xpassed")
    assert case["first_error"] == results.NO_LONGER_FAILS
    assert doc["growth"]["passes_now"] == [{"case": KNOWN.name, "library": KNOWN.library, "status": "pass",
                                            "reason": KNOWN.xfail_reason}]
    assert KNOWN.name not in {i["case"] for g in doc["growth"]["gaps"] for i in g["cases"]} | \
        {i["case"] for i in doc["growth"]["upstream"]}
    assert doc["totals"]["by_outcome"]["xpassed"] == 1
    text = report.render(doc, tmp_path).read_text()
    row = next(r for r in parse(text).case_rows if r["data-case"] == KNOWN.name)
    assert row["data-outcome"] == "xpassed"
    assert '<td class="fail">pass<div class="small">(xpassed: the test fails)</div></td>' in text
    assert 'id="headline-xpassed"' in text and 'id="passes-now"' in text
    assert results.NO_LONGER_FAILS in text
    r = results.CaseResult(KNOWN, results.PASS)
    assert f"error    {results.NO_LONGER_FAILS}" in case_log.text(r, [], [])


def test_a_known_failure_that_still_fails_is_no_failed_test(tmp_path):
    doc = make_doc({KNOWN.name: "fail"})
    case = next(c for c in doc["cases"] if c["name"] == KNOWN.name)
    assert (case["outcome"], case["first_error"]) == ("xfailed", "synthetic fail")
    assert not doc["growth"]["passes_now"]
    text = report.render(doc, tmp_path).read_text()
    assert 'id="headline-xpassed"' not in text and 'id="passes-now"' not in text


# -- filters and looks --------------------------------------------------------------------------------------------

def test_filters_and_no_external_assets(tmp_path):
    text = report.render(make_doc(FIRST), tmp_path).read_text()
    page = parse(text)
    assert page.options["filter-lib"] == ["", *LIBRARIES]
    assert {"pass", "failing", "xfailed", "not run"} <= set(page.options["filter-status"])
    assert "<script>" in text and "location.hash" in text
    assert '<meta name="viewport"' in text and "@media (max-width" in text
    for external in ("<script src", "<link", "@import", 'src="http', 'href="http', "url("):
        assert external not in text, external
    assert all(row["visible"] for row in page.case_rows)  # without JS every row shows


def chromium_or_skip() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium is not installed (bash scripts/install-packages): the page was not opened in a browser")
    try:
        r = subprocess.run([binary, "--headless", "--no-sandbox", "--version"], capture_output=True, text=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        pytest.skip(f"chromium is not runnable: {e}")
    if r.returncode != 0:
        pytest.skip(f"chromium is not runnable: {(r.stderr or r.stdout).strip()[-300:]}")
    return binary


def chromium(binary: str, profile: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                           "--hide-scrollbars", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def png_size(path: pathlib.Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


STATUSES = {"probe_tcp": "pass", "probe_strand": "fail", "beast_http_server_async": "pass",
            "beast_http_client_sync": "timeout", "beast_http_server_sync": "pass", "asio_http_server": "pass",
            KNOWN.name: "pass"}  # a known failure that no longer happens: a failed test


@pytest.fixture(scope="module")
def page_in_browser(tmp_path_factory):
    binary = chromium_or_skip()
    directory = tmp_path_factory.mktemp("report")
    doc = make_doc(STATUSES, logs=True)
    for c in doc["cases"]:
        if c["log"]:
            (directory / "logs").mkdir(exist_ok=True)
            (directory / c["log"]).write_text(f"log of {c['name']}\n")
    return binary, report.render(doc, directory), doc, tmp_path_factory.mktemp("profile")


@pytest.mark.parametrize("width", [390, 1280])
def test_chromium_screenshots_at_phone_and_desktop_widths(page_in_browser, width):
    binary, page, _, profile = page_in_browser
    shots = CONFIG.reports / "screenshots"  # git-ignored, kept for a human to look at
    shots.mkdir(parents=True, exist_ok=True)
    out = shots / f"report-{width}.png"
    out.unlink(missing_ok=True)
    r = chromium(binary, profile, f"--window-size={width},900", f"--screenshot={out}", page.as_uri())
    assert out.is_file(), r.stderr[-2000:]
    assert png_size(out) == (width, 900)


@pytest.mark.parametrize("fragment, library, shown", [
    ("#lib=Beast%20HTTP&status=pass", "Beast HTTP", lambda c: c["status"] == "pass"),
    ("#status=failing", None, lambda c: c["status"] in ("fail", "build failure", "timeout") or c["outcome"] == "xpassed"),
    ("?lib=API%20probes", "API probes", None),
], ids=["library and pass", "failing", "library by query"])
def test_chromium_filter_from_the_url_shows_only_matching_rows(page_in_browser, fragment, library, shown):
    binary, page, doc, profile = page_in_browser
    r = chromium(binary, profile, "--dump-dom", page.as_uri() + fragment)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = parse(r.stdout).case_rows
    assert len(rows) == len(doc["cases"])
    expected = [c["name"] for c in doc["cases"] if (library is None or c["library"] == library)
                and (shown is None or shown(c))]
    assert expected, "the filter must select something for the test to mean anything"
    assert [row["data-case"] for row in rows if row["visible"]] == expected
    assert f"showing {len(expected)} of {len(rows)} cases" in r.stdout
