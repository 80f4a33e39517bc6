"""The test kit's own rules: the core's tests borrow nothing from a domain's tests, and tests race only through
the one harness in tests/support/race.py."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
DOMAINS = ("proposals", "consultations", "citizen_sensing", "skills_school")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, and every ``module.name`` it imports from one."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_core_tests_import_nothing_from_a_domains_tests():
    borrowed = {}
    for path in sorted(TESTS.rglob("*.py")):
        if path.relative_to(TESTS).parts[0] in DOMAINS:
            continue
        hits = sorted(m for m in imported_modules(path) if m.startswith(tuple(f"tests.{d}" for d in DOMAINS)))
        if hits:
            borrowed[str(path.relative_to(TESTS))] = hits
    assert borrowed == {}, "build the resource with tests/factories.py, or move the test under its domain"


def racing_tools(path: Path) -> set[str]:
    """The thread pools and barriers a file imports or reaches through its module (``threading.Barrier``)."""
    tools = {"ThreadPoolExecutor", "Barrier"}
    found = {m.rsplit(".", 1)[-1] for m in imported_modules(path)} & tools
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in tools:
            found.add(node.attr)
    return found


def test_threads_race_only_through_the_harness():
    own = {str(p.relative_to(TESTS)): sorted(racing_tools(p)) for p in sorted(TESTS.rglob("*.py"))
           if p.relative_to(TESTS).parts[0] != "support" and racing_tools(p)}
    assert own == {}, "race with tests.support.race.race(...) instead of a pool and a barrier of your own"
