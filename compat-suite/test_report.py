"""The report: written from this session's results, then opened in a real
headless Chromium; the page must load and its tables hold a row per API and per
case."""
import html.parser
import shutil
import subprocess

import pytest

from harness import manifest, report, results
from suite_config import CONFIG


class Rows(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.apis, self.cases, self.ids = [], [], {}
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("class") == "api-row":
            self.apis.append(a["data-api"])
        if tag == "tr" and a.get("class") == "case-row":
            self.cases.append((a["data-case"], a["data-status"]))
        if "id" in a:
            self._in = a["id"]
            self.ids[a["id"]] = ""

    def handle_data(self, data):
        if self._in:
            self.ids[self._in] += data

    def handle_endtag(self, tag):
        self._in = None


def chromium_dom(url: str, profile) -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("chromium is not installed (bash scripts/install-packages)")
    r = subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                        f"--user-data-dir={profile}", "--dump-dom", url],
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_report_opens_in_chromium_with_a_row_per_api_and_per_case(suite, tmp_path):
    doc = suite.document()
    results.write(doc, CONFIG.reports)
    page = report.render(doc, CONFIG.reports)
    dom = chromium_dom(page.as_uri(), tmp_path / "profile")
    rows = Rows()
    rows.feed(dom)
    assert "tau compatibility report" in dom
    assert rows.apis == [r["api"] for r in doc["apis"]]
    assert set(rows.apis) >= {a.name for a in manifest.load_apis(CONFIG.apis)}
    assert [name for name, _ in rows.cases] == [c["name"] for c in doc["cases"]]
    assert len(rows.cases) == len(manifest.load_all(CONFIG.cases))
    assert rows.ids["total-cases"].strip() == str(len(rows.cases))
    assert "Boost 1.81" in dom
    assert "RESTinio 0.6.16 (Debian librestinio-dev 0.6.16-0.2)" in dom
    for name, status in rows.cases:
        assert status == suite.results[name].status
