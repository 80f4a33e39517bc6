"""The shape of the skills_school package: only the views read the request; it imports no other domain."""

from __future__ import annotations

import ast
from pathlib import Path

import skills_school

PACKAGE = Path(skills_school.__file__).parent
ENDPOINTS = {"views.py", "teach_views.py", "admin_views.py", "api.py"}
DOMAINS = {"proposals", "consultations", "citizen_sensing"}


def _imports(path: Path) -> tuple[set[str], set[str]]:
    flask_names, modules = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
            if node.module == "flask":
                flask_names |= {alias.name for alias in node.names}
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
    return flask_names, modules


def test_only_the_views_read_the_request():
    readers = sorted(p.name for p in PACKAGE.glob("*.py")
                     if p.name not in ENDPOINTS and _imports(p)[0] & {"request"})
    assert readers == []


def test_no_other_domain_is_imported():
    assert not [p.name for p in PACKAGE.glob("*.py") if _imports(p)[1] & DOMAINS]
