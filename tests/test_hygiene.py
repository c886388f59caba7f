"""The test suite's own rules (test modules share helpers through helper modules, never through each other), and
the package's: no module reaches into another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
PACKAGE = TESTS.parent / "qa"
# Issue 25, item 3: cluster indexing is still a second copy of indexing, through its private names (to be reshaped).
PRIVATE_IMPORTS_LEFT = {"cluster.py"}


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


def _private_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qa")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]


def test_no_module_imports_another_modules_private_name():
    offenders = {
        str(path.relative_to(PACKAGE)): _private_imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if str(path.relative_to(PACKAGE)) not in PRIVATE_IMPORTS_LEFT and _private_imports(path)
    }
    assert offenders == {}


def test_the_mcp_server_reads_private_attributes_in_one_place():
    """The MCP SDK's private names are read in _lowlevel_server alone (it says why); the engine's not at all."""
    tree = ast.parse((PACKAGE / "mcp_server.py").read_text(encoding="utf-8"))
    readers: dict[str, set[str]] = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        for node in ast.walk(function):
            private = isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.endswith("__")
            if private and ast.unparse(node.value) != "self":  # its own classes' attributes are its own
                readers.setdefault(function.name, set()).add(node.attr)
    strings = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("_")
    }
    assert readers == {"_lowlevel_server": {"_mcp_server"}}
    assert strings == {"_lowlevel_server"}  # getattr(server, "_lowlevel_server"): in that function too
