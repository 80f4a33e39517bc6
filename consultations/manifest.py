"""Consultations declared to the platform: everything they add, in one place (see civic.domains)."""

from __future__ import annotations

from civic.domains import Domain
from civic.resources import Component
from civic.spaces.phases import Action
from consultations import (
    admin_views,
    api,
    budget_admin_views,
    budget_api,
    budget_results_views,
    budget_views,
    budgets,
    cli,
    demo,
    exports,
    kinds,
    notices,
    policy,
    search,
    tasks,
    views,
)
from consultations.audit_sentences import SENTENCES as AUDIT_SENTENCES
from consultations.resource import BUDGET_PROJECT, CONSULTATION


def _kind_label(key: str) -> str:
    return str(kinds.get(key).label)


def _results_template(key: str) -> str:
    return kinds.get(key).results_template


DOMAIN = Domain(
    name="consultations",
    blueprints=(views.bp, admin_views.bp, api.bp, budget_views.bp, budget_admin_views.bp, budget_api.bp,
                budget_results_views.bp, budget_results_views.api_bp),
    cli=cli.cli,
    events={
        "consultation.published": "An officer published a consultation",
        "consultation.opened": "A consultation opened for voting (the scheduled task)",
        "consultation.closing": "A consultation closes in 24 hours (the scheduled task)",
        "consultation.results_published": "A closed consultation was counted and its results published",
        "budget.project_funded": "Officers chose a budget's official outcome and it funds a project made from "
                                 "another resource (its followers are told)",
    },
    resources=(CONSULTATION, BUDGET_PROJECT),
    components=(Component("consultations", "Consultations", "consultations.in_process"),
                Component("budgets", "Budgets", "consultations_budgets.in_process",
                          settings_endpoint="consultations_budgets_admin.new",
                          settings_label="Create a participatory budget")),
    area=("consultations", "consultations.index"),
    phase_actions=(Action("vote", "Voting", "Verified residents can vote in the process's consultations.", 60),),
    search_types=(search.CONSULTATIONS, search.BUDGET_PROJECTS),
    notice_kinds=notices.KINDS,
    notice_builders=notices.BUILDERS,
    policy_rules=policy.RULES,
    tasks=tasks.TASKS,
    api_collections=api.COLLECTIONS + budget_api.COLLECTIONS,
    datasets=exports.DATASETS,
    audit_sentences=AUDIT_SENTENCES,
    seeder=demo.seed,
    badges={"proposal": budgets.funded_badges},
    template_globals={"kinds_label": _kind_label, "kinds_results_template": _results_template,
                      "pounds": budgets.pounds},
)
