"""The shape of the proposals package: only the views read the request, and each fact is written once."""

from __future__ import annotations

import ast
from pathlib import Path

import proposals

PACKAGE = Path(proposals.__file__).parent
#: The modules that answer requests (HTML and JSON): they parse the request and pass values on.
ENDPOINTS = {"views.py", "admin_views.py", "api.py", "exports.py"}


def _flask_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            names |= {alias.name for alias in node.names}
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name == "flask"}
    return names


def test_only_the_views_read_the_request():
    readers = sorted(path.name for path in PACKAGE.glob("*.py")
                     if path.name not in ENDPOINTS and _flask_names(path) & {"request", "flask"})
    assert readers == [], "services and read-models take values from the views, never from flask.request"


def test_each_fact_is_defined_once():
    """One ``ANSWER_LABELS``, one ``settings_for``, one process lookup in the package (the core's is used)."""
    defined: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                defined.setdefault(node.name, []).append(path.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        defined.setdefault(target.id, []).append(path.name)
    assert defined["ANSWER_LABELS"] == ["answers.py"]
    assert defined["settings_for"] == ["settings.py"]
    assert "get_process" not in defined and "process_by_slug" not in defined


def test_officers_routes_have_their_own_blueprint_at_the_same_addresses(app):
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith(("proposals.", "proposals_admin."))}
    assert {e: r for e, r in rules.items() if e.startswith("proposals_admin.")} == {
        "proposals_admin.answer": "/proposals/<int:proposal_id>/answer",
        "proposals_admin.settings": "/processes/<slug>/proposals/settings",
        "proposals_admin.add_category": "/processes/<slug>/proposals/settings/categories",
        "proposals_admin.rename_category": "/processes/<slug>/proposals/settings/categories/<int:category_id>",
        "proposals_admin.remove_category":
            "/processes/<slug>/proposals/settings/categories/<int:category_id>/remove",
        "proposals_admin.awaiting": "/proposals/awaiting-answer",
        "proposals_admin.bulk_answer": "/proposals/awaiting-answer/bulk",
        "proposals_admin.staff_export_csv": "/processes/<slug>/proposals/staff-export.csv",
    }
    assert not {"proposals.answer", "proposals.settings"} & rules.keys()
