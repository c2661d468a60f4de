"""The suite's side of the harness's configuration: where its cases, support table
and peer plugin are, and the defaults for the tau build and the reports (the
environment overrides them: see README.md). Imported by conftest.py and the tests."""
import pathlib
import sys

SUITE = pathlib.Path(__file__).resolve().parent
REPO = SUITE.parent
sys.path.insert(0, str(REPO))  # the harness package

from harness import config  # noqa: E402

PEER = SUITE / "peer"  # the peer plugin: the other end of a case, written on tau's own API

CONFIG = config.from_environment(cases=SUITE / "cases", apis=SUITE / "apis.toml", peers={PEER.name},
                                 reports=REPO / "reports", build=REPO / "build")
