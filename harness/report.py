"""Renders reports/index.html from the results document with Jinja2: one file
(inline CSS, and a little inline JS for the filters), readable straight from disk
(file://); each case links to its full log, logs/NAME.txt, beside it."""
from __future__ import annotations

import pathlib

import jinja2

TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"


def render(doc: dict, directory: pathlib.Path) -> pathlib.Path:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)
    html = env.get_template("report.html.j2").render(doc=doc, v=doc["versions"], t=doc["totals"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "index.html"
    path.write_text(html)
    return path
