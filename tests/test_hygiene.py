"""The test suite's own rules: test modules share helpers through helper modules, never through each other."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_imports_another():
    test_modules = {p.stem for p in TESTS.glob("test_*.py")}
    offenders = {
        path.name: sorted(_imported_modules(path) & test_modules)
        for path in sorted(TESTS.glob("*.py"))
        if _imported_modules(path) & test_modules
    }
    assert offenders == {}


def test_no_wall_clock_assertion_in_the_llm_client_tests():
    tree = ast.parse((TESTS / "test_llm_client.py").read_text(encoding="utf-8"))
    timed = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert)
        and any(clock in ast.unparse(node.test) for clock in ("monotonic", "perf_counter"))
    ]
    assert timed == []
