"""The suite's own bookkeeping: the table of slow tests names real tests."""

import ast
from pathlib import Path

from conftest import SLOW

TESTS = Path(__file__).resolve().parent


def test_every_marked_name_is_a_test_that_exists():
    defined = set()
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(TESTS).as_posix()
        defined |= {
            f"{rel}::{node.name}"
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        }
    missing = sorted(SLOW - defined)
    assert not missing, f"tests/conftest.py names tests that do not exist: {missing}"
