"""bench/chart on a small made-up results.json (never a real benchmark run: timed
results do not belong in tests): the SVG parses, has one bar per row that has a ratio,
each bar's value written on it, bars on the right side of the 1.0 line, and a title
naming the machine and the date."""
import copy
import json
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
CHART = REPO / "bench" / "chart"
SVG = "{http://www.w3.org/2000/svg}"

SAMPLE = {
    "schema": 1,
    "date": "2024-05-01T10:00:00Z",
    "finished": "2024-05-01T10:00:50Z",
    "commit": {"hash": "0123456789abcdef0123456789abcdef01234567", "branch": "bench", "dirty": False},
    "machine": {"nproc": 2, "cpu_model": "Test CPU @ 1.00GHz", "arch": "x86_64", "kernel": "6.1.0-test",
                "load_average": {"start": [0.5, 0.4, 0.3], "end": [1.5, 0.9, 0.4]}},
    "versions": {"tau": "0.1.0", "boost": "1.81.0", "libuv": "1.44.2", "compiler": "GNU 12.2.0",
                 "build_type": "Release", "cxx_flags": "-O2 -DNDEBUG", "build": "Release (-O2 -DNDEBUG)"},
    "tables": {
        "tau_bench": {
            "build": "Release (-O2 -DNDEBUG)", "reps": 5, "warmup": 1,
            "sizes": {"spawn_tasks": 200000, "timers": 100000, "posts": 1000000},
            "rows": [
                {"name": "spawn+join one by one, 200k", "ms": {"tau": 30.0, "asio": 20.0, "libuv": 10.0},
                 "ratios": {"tau/asio": 1.5, "tau/libuv": 3.0}, "wrong": []},
                {"name": "post: burst, 1M", "ms": {"tau": 10.0, "asio": 20.0, "libuv": 8.0},
                 "ratios": {"tau/asio": 0.5, "tau/libuv": 1.25}, "wrong": []},
            ],
        },
        "shim": {
            "build": "Release (-O2 -DNDEBUG)", "rounds": 5, "warmup": 1,
            "sizes": {"posts": 1000000, "timers": 100000, "conns": 64, "echo_rounds": 1000, "msg": 64,
                      "parked": 1000000, "lateness": 10000},
            "target": {"ratio": 1.1, "verdict": "met", "missed": []},
            "rows": [
                {"name": "posts: 1M chained", "workload": "posts",
                 "ms": {"native": 40.0, "shim": 42.0, "libuv": 30.0},
                 "cpu_ms": {"native": 40.0, "shim": 42.0, "libuv": 30.0},
                 "ratios": {"shim/asio": 1.05, "shim/libuv": 1.4, "cpu shim/asio": 1.05, "cpu shim/libuv": 1.4},
                 "skipped": [], "wrong": []},
                {"name": "timer lateness: 10k due in 0.1-5 ms", "workload": "lateness",
                 "p50_us": {"native": 20.0, "shim": 500.0, "libuv": None},
                 "p99_us": {"native": 50.0, "shim": 1000.0, "libuv": None},
                 "ratios": {"p50 shim/asio": 25.0, "p99 shim/asio": 20.0},
                 "skipped": ["libuv"], "wrong": []},
            ],
        },
    },
}


def chart(tmp_path, results) -> ET.Element:
    """The chart of results, parsed."""
    source = tmp_path / "results.json"
    source.write_text(json.dumps(results))
    out = tmp_path / "results.svg"
    r = subprocess.run([sys.executable, str(CHART), str(source), "--output", str(out)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return ET.parse(out).getroot()


def rows(svg):
    return svg.findall(f".//{SVG}g[@class='row']")


def text_of(element, cls):
    found = element.find(f"{SVG}text[@class='{cls}']")
    return None if found is None else found.text


def test_one_bar_per_row_with_its_value(tmp_path):
    svg = chart(tmp_path, SAMPLE)
    assert svg.tag == f"{SVG}svg"
    got = rows(svg)
    labels = [text_of(g, "label") for g in got]
    assert labels == ["spawn+join one by one, 200k", "post: burst, 1M", "posts: 1M chained",
                      "timer lateness: 10k due in 0.1-5 ms, p99"]
    bars = svg.findall(f".//{SVG}rect[@class='bar']")
    assert len(bars) == len(got) == 4
    assert [text_of(g, "value") for g in got] == ["1.50x", "0.50x", "1.05x", "20.00x"]
    assert [float(b.get("data-ratio")) for b in bars] == [1.5, 0.5, 1.05, 20.0]


def test_bars_start_at_the_one_line(tmp_path):
    svg = chart(tmp_path, SAMPLE)
    one = svg.find(f".//{SVG}line[@class='one']")
    x1 = float(one.get("x1"))
    assert x1 == float(one.get("x2"))
    for bar in svg.findall(f".//{SVG}rect[@class='bar']"):
        left, width = float(bar.get("x")), float(bar.get("width"))
        if float(bar.get("data-ratio")) > 1:
            assert left == pytest.approx(x1, abs=0.1)  # slower: from 1.0 to the right
        else:
            assert left + width == pytest.approx(x1, abs=0.2)  # faster: from 1.0 to the left


def test_title_names_the_machine_and_the_date(tmp_path):
    svg = chart(tmp_path, SAMPLE)
    title = " ".join(t.text for t in svg.findall(f"{SVG}text[@class='title']"))
    assert "Test CPU @ 1.00GHz" in title
    assert "2 CPU(s)" in title
    assert "2024-05-01" in title


def test_a_row_without_a_ratio_has_no_bar(tmp_path):
    results = copy.deepcopy(SAMPLE)
    row = results["tables"]["tau_bench"]["rows"][0]
    row["ms"]["asio"] = None
    row["ratios"]["tau/asio"] = None
    row["wrong"] = ["asio"]
    svg = chart(tmp_path, results)
    assert len(rows(svg)) == 4
    assert len(svg.findall(f".//{SVG}rect[@class='bar']")) == 3
    assert text_of(rows(svg)[0], "value").startswith("no ratio")
