"""The audit log reads as sentences for every action anyone writes: the core's words (civic/admin/history.py) and
each domain's (``Domain.audit_sentences``). The actions are found by reading the code (an AST walk over every
call to ``audit(...)``), so an action added without its words fails here; a domain cannot reword a core action."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from civic import domains
from civic.admin import history
from civic.db import db, utcnow
from consultations import budgets
from tests import factories
from tests.support.pages import main_text

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("civic", "proposals", "consultations", "citizen_sensing", "skills_school")

#: Actions built in a way the reader cannot follow: (file, the expression) -> the actions it makes. A new one
#: fails the test until it is listed here (and its actions worded).
DYNAMIC = {
    ("civic/moderation/blocking.py", "f'appeal.{outcome}'"): {"appeal.upheld", "appeal.reversed"},
}


# The reader --------------------------------------------------------------------------------------------------------


def _is_audit_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return (isinstance(f, ast.Name) and f.id == "audit") or (isinstance(f, ast.Attribute) and f.attr == "audit")


def _action_arg(call: ast.Call) -> ast.expr | None:
    if len(call.args) >= 2:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "action"), None)


class _Reader:
    """The action strings of one module's ``audit(...)`` calls; what it cannot follow goes to ``unresolved``."""

    def __init__(self, tree: ast.Module, keyword_values: dict[str, set[str]]):
        self.tree = tree
        self.keyword_values = keyword_values  # name -> string constants passed as ``name=...`` anywhere
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent

    def _function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def _name(self, name: str, where: ast.AST, depth: int) -> set[str] | None:
        fn = self._function(where)
        if fn is None:
            return None
        found: set[str] = set()
        args = fn.args
        positional = args.posonlyargs + args.args
        defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults,
                            strict=True))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None})
        is_param = name in {a.arg for a in positional + args.kwonlyargs}
        if is_param:
            if name not in defaults:
                return None  # any caller's value: the reader cannot know it
            got = self.resolve(defaults[name], depth + 1)
            if got is None:
                return None
            found |= got | self.keyword_values.get(name, set())
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                got = self.resolve(node.value, depth + 1, where=node)
                if got is None:
                    return None
                found |= got
        return found or None

    def resolve(self, node: ast.expr, depth: int = 0, where: ast.AST | None = None) -> set[str] | None:
        if depth > 5:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            body, orelse = self.resolve(node.body, depth + 1, where), self.resolve(node.orelse, depth + 1, where)
            return None if body is None or orelse is None else body | orelse
        if isinstance(node, ast.Name):
            return self._name(node.id, where or node, depth)
        if isinstance(node, ast.JoinedStr):
            parts: list[set[str]] = []
            for value in node.values:
                inner = value.value if isinstance(value, ast.FormattedValue) else value
                got = self.resolve(inner, depth + 1, where or node)
                if got is None:
                    return None
                parts.append(got)
            return {"".join(p) for p in itertools.product(*parts)}
        return None

    def actions(self, path: str, unresolved: list[tuple[str, str, int]]) -> Iterator[str]:
        for node in ast.walk(self.tree):
            if not _is_audit_call(node):
                continue
            arg = _action_arg(node)
            if arg is None:
                continue
            got = self.resolve(arg, where=node)
            if got is None:
                unresolved.append((path, ast.unparse(arg), node.lineno))
            else:
                yield from got


def collect(sources: dict[str, str]) -> tuple[set[str], list[tuple[str, str, int]]]:
    """``{path: source}`` -> (the actions the ``audit(...)`` calls write, [(path, expression, line)] not followed)."""
    trees = {path: ast.parse(text) for path, text in sources.items()}
    keyword_values: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for k in node.keywords:
                    if k.arg and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
                        keyword_values.setdefault(k.arg, set()).add(k.value.value)
    found: set[str] = set()
    unresolved: list[tuple[str, str, int]] = []
    for path, tree in trees.items():
        found |= set(_Reader(tree, keyword_values).actions(path, unresolved))
    return found, unresolved


def code_base() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def written_actions() -> set[str]:
    found, unresolved = collect(code_base())
    for path, expression, line in unresolved:
        known = DYNAMIC.get((path, expression))
        assert known is not None, f"{path}:{line}: audit action {expression} cannot be read: list it in DYNAMIC"
        found |= known
    return found


def without_words(actions: set[str]) -> set[str]:
    return {a for a in actions if history.sentence(a) is None}


# The tests ---------------------------------------------------------------------------------------------------------


def test_the_reader_follows_constants_conditions_fstrings_and_default_parameters():
    source = '''
def add(actor, thing, audit_action="thing.add"):
    audit(actor, audit_action, "thing", 1)

def add_from_elsewhere(actor, thing):
    return add(actor, thing, audit_action="thing.add_from_elsewhere")

def switch(actor, on):
    audit(actor, "thing.on" if on else "thing.off", "thing", 1)
    state = "kept" if on else "dropped"
    civic_audit.audit(actor, f"thing.{state}", "thing", 1)
    audit(actor, action="thing.keyword", object_type="thing", object_id=1)
    audit_query(action="not.an_audit")

def decide(actor, outcome):
    audit(actor, f"thing.{outcome}", "thing", 1)
'''
    found, unresolved = collect({"mod.py": source})
    assert found == {"thing.add", "thing.add_from_elsewhere", "thing.on", "thing.off", "thing.kept", "thing.dropped",
                     "thing.keyword"}
    assert unresolved == [("mod.py", "f'thing.{outcome}'", 16)]
    assert without_words({"thing.add", "budget.create", "role.grant"}) == {"thing.add"}  # what fails the test below


def test_the_reader_finds_the_domains_actions_in_the_code_base(app):
    actions = written_actions()
    assert {"budget.create", "budget.choose_outcome", "budget.add_project_from_source", "consultation.paper_ballot",
            "sensing.alert_rule_on", "sensing.alert_rule_off", "sensing.campaign_approved",
            "sensing.campaign_rejected", "sensing.reading_unflagged", "school.certificate_revoked",
            "proposal.answer", "verification.refuse", "appeal.upheld", "group.unarchive"} <= actions


def test_every_audited_action_has_its_sentence(app):
    assert without_words(written_actions()) == set()


def test_a_domain_cannot_reword_a_core_action_or_another_domains(app):
    with pytest.raises(ValueError, match="core's sentence"):
        domains.register(app, domains.Domain(name="rewording", audit_sentences={"role.grant": "made"}))
    assert "rewording" not in {d.name for d in domains.declared()}
    with pytest.raises(ValueError, match="from 'consultations'"):
        history.register_sentences("rewording", {"budget.create": "made the budget"})
    history.register_sentences("consultations", {"budget.create": "created the budget"})  # the same words: harmless
    assert history.sentence("budget.create") == "created the budget"
    assert history.sentence("role.grant") == "gave the {role} role to"


def test_the_audit_log_reads_a_domains_sentences(client_as, make_user):
    client, _admin = client_as("admin")
    officer = make_user("officer", display_name="Olu Officer")
    process = factories.process()
    budgets.create(officer, budgets.Details(
        title="Greener streets 2027", introduction="", process_slug=process.slug,
        opens_at=utcnow() + timedelta(days=1), closes_at=utcnow() + timedelta(days=30), total="100000"))
    db.session.commit()
    page = client.get("/admin/audit")
    text = main_text(page)
    assert f"{officer.public_name} created the budget Greener streets 2027" in text
    assert ">Created the budget</option>" in page.get_data(as_text=True)  # the action filter reads the words too
