"""The catalogue's table (README.md here) and its tests name the same cases."""
import ast
import pathlib
import re

HERE = pathlib.Path(__file__).parent


def test_every_case_is_in_the_table_and_every_row_has_a_test():
    tests = {node.name for path in HERE.glob("test_*.py") if path.name != "test_catalogue.py"
             for node in ast.parse(path.read_text()).body
             if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    rows = re.findall(r"^\|.*\| `(test_\w+)` \|$", (HERE / "README.md").read_text(), re.M)
    assert len(rows) == len(set(rows)), "a test is listed twice"
    assert set(rows) == tests
    assert len(tests) >= 25
