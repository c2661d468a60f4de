"""The harness is a library: every path of the suite and the names of its peer
plugins come from the Config the suite gives it (suite_config.py). Pointed at a
suite of its own in a temporary directory, it reads, writes and judges only there."""
import ast
import pathlib
import re

import harness
from harness import history, manifest, report, results, run
from harness.config import Config
from harness.suite import Suite

MANIFEST = """
title = "a case of a suite elsewhere"
library = "API probes"
apis = ["elsewhere::api"]
tier = "ci"

[[process]]
role = "helper alone"
  [[process.plugin]]
  dir = "../../helper"

[[process]]
role = "helper + program"
  [[process.plugin]]
  dir = "../../helper"
  [[process.plugin]]
  args = "{port}"
"""

APIS = """
[[api]]
name = "elsewhere::api"
area = "somewhere else"

[[api]]
name = "ends on SIGTERM"
area = "tau"
observed = "stop"
"""


def suite_elsewhere(root: pathlib.Path) -> Config:
    for d in (root / "cases" / "elsewhere", root / "helper"):
        d.mkdir(parents=True)
        (d / "CMakeLists.txt").write_text("# never built here\n")
    (root / "cases" / "elsewhere" / "manifest.toml").write_text(MANIFEST)
    (root / "apis.toml").write_text(APIS)
    return Config(cases=root / "cases", apis=root / "apis.toml", peers=frozenset({"helper"}),
                  reports=root / "reports", build=root / "build", cache=root / "cache", sources=root / "sources",
                  tier="ci", jobs=1)


def test_the_harness_reads_writes_and_judges_where_its_config_says(tmp_path):
    config = suite_elsewhere(tmp_path / "suite")
    cases = manifest.load_all(config.cases)
    assert [c.name for c in cases] == ["elsewhere"]
    assert [p.name for p in cases[0].plugin_dirs] == ["helper", "elsewhere"]
    s = Suite(config, tmp_path / "work", cases)
    assert s.log_dir == config.reports / "logs"
    # tau stopped the helper alone only with the second SIGTERM: that does not count
    # against the stop row, because the helper is this suite's peer; the tau that also
    # ran the program ended on the first SIGTERM.
    helper_alone = run.ProcessResult("helper alone", ["helper"], "helper", stop="second SIGTERM")
    with_program = run.ProcessResult("helper + program", ["helper", "elsewhere"], "helper\nelsewhere 1", stop="SIGTERM")
    s.results["elsewhere"] = results.CaseResult(cases[0], results.PASS, processes=[
        results.process_json(helper_alone), results.process_json(with_program)])
    doc = s.document()
    rows = {r["api"]: r for r in doc["apis"]}
    assert list(rows) == ["elsewhere::api", "ends on SIGTERM"]
    assert rows["ends on SIGTERM"]["cells"]["API probes"]["pass"] == ["elsewhere"]
    assert rows["ends on SIGTERM"]["status"] == "pass"
    assert doc["versions"]["tau"] == "?"  # config.build has no tau
    history.record(doc, history.path(config.reports))
    results.write(doc, config.reports)
    page = report.render(doc, config.reports)
    assert page == config.reports / "index.html"
    assert sorted(p.name for p in config.reports.iterdir()) == ["compat.json", "history.jsonl", "index.html"]
    assert 'data-case="elsewhere"' in page.read_text()


def _code_strings(path: pathlib.Path) -> list[tuple[int, str]]:
    """The string constants of a module, without its docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_harness_code_names_neither_the_suite_nor_its_peer():
    found = [f"{path.name}:{line}: {text!r}" for path in sorted(pathlib.Path(harness.__file__).parent.glob("*.py"))
             for line, text in _code_strings(path) if re.search(r"compat-suite|apis\.toml|\bpeer\b", text)]
    assert not found, "the suite's paths and plugin names belong in its Config (suite_config.py)"
