"""The code's own rules: test modules share helpers through helper modules, never through each other; a qa
module uses another's public names only."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
PACKAGE = TESTS.parent / "qa"


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


# Private names still imported across modules, each waiting on its home module: store.py (its hashes, fsyncs and
# generation pattern, used by cluster.py), answering.py (_citation, used by the MCP server) and lang/names.py
# (_spells, used by the training-set generator). Remove an entry when its import goes; add none.
STILL_IMPORTED = {
    ("qa/cluster.py", "qa.store._GENERATION"),
    ("qa/cluster.py", "qa.store._checksum"),
    ("qa/cluster.py", "qa.store._fsync_dir"),
    ("qa/cluster.py", "qa.store._fsync_file"),
    ("qa/cluster.py", "qa.store._sha256"),
    ("qa/mcp_server.py", "qa.answering._citation"),
    ("qa/train/generate.py", "qa.lang.names._spells"),
}


def _private_uses(path: Path) -> set[str]:
    """The private names of other qa modules that ``path`` imports (from qa.x import _y) or reads (x._y)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, used = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "qa":
            for alias in node.names:
                modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    used.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            modules.update({alias.asname: alias.name for alias in node.names if alias.name.startswith("qa.")})
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            used.add(f"{modules[node.value.id]}.{node.attr}")
    return used


def test_no_qa_module_uses_another_modules_private_names():
    uses = {
        (str(path.relative_to(PACKAGE.parent)), name)
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in _private_uses(path)
    }
    assert uses <= STILL_IMPORTED, sorted(uses - STILL_IMPORTED)
