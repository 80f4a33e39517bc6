"""A participatory budget's results after the close: each heading's outcome under both rules, the official rule
officers pick, the projects it funds, the Pabulib ``.pb`` export, and the notices to followers of the source
proposals (issue 19).

Each heading (the whole city's money, or one ward's) is its own election (:func:`elections`): its projects, its
money, and the approval ballots of those who chose at least one of its projects (a ballot that chose nothing in
a heading did not take part in it: its voter's share of that money is not counted, and it is not in the file).
A project's id in the election and the file is its number on the site, padded with zeros to the width of the
budget's largest (:func:`election_ids`); ties between projects with as many votes (or as cheap for their voters)
go to the id first in the order of characters, as pabutools breaks them, which is then the project made first.

Both rules are counted by :mod:`consultations.budgeting` (:func:`consultations.budgeting.comparison.of_election`).
The ballots cannot change after the close and the projects cannot change once voting opens, so each process
keeps the counted results of a closed budget (:data:`_cache`): a results page over 50,000 ballots counts them
once, not on every view.

After the close, officers pick the official rule (:func:`choose_rule`, audit-logged): the projects it funds get
``funded_at`` (their source proposal's page says "Funded in the <budget>"), those it does not lose it, and the
followers of each newly funded project's source are told (the event ``budget.project_funded``).
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from civic import events, policy
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import NotFound, RuleViolation
from civic.spaces.services import to_uk
from consultations import budgets, results
from consultations.budgeting import comparison, pabulib
from consultations.budgeting.comparison import Comparison
from consultations.budgeting.election import Election, Project
from consultations.models import Budget, BudgetHeading, BudgetProject, Choice
from consultations.services import is_closed

#: The model's names of the rules (``Budget.outcome_rule``) and the counting core's.
RULE_KEYS = {"greedy": "greedy", "equal_shares": "equal-shares"}
RULE_LABELS = {"greedy": _l("Greedy: most votes first"), "equal_shares": _l("Method of Equal Shares")}
RULE_EXPLAINED = {
    "greedy": _l("Projects in order of votes, most first; a project that no longer fits in the money left is "
                 "skipped and the next one tried. A large majority can take every project."),
    "equal_shares": _l("The money is shared equally between the voters; each project is bought by the voters who "
                       "chose it, paying from their shares, cheapest for them first. Money left is then spent "
                       "as greedy would. Each group of voters gets the part of the money its size earns."),
}
CACHE_SIZE = 32


@dataclass
class HeadingElection:
    heading: BudgetHeading
    title: str
    projects: dict[str, BudgetProject]  # election id -> project
    election: Election


@dataclass
class HeadingResult:
    heading: BudgetHeading
    title: str
    projects: dict[str, BudgetProject]
    comparison: Comparison

    def project(self, election_id: str) -> BudgetProject:
        return self.projects[election_id]


def election_ids(projects: list[BudgetProject]) -> dict[int, str]:
    """Each project's id in the election and the file: its number on the site, padded with zeros to the width of
    the budget's largest, so that the order of characters (the rules' tie-break, as pabutools') is the order of
    numbers: of two projects as popular, the one made first wins (``"099"`` before ``"100"``)."""
    width = len(str(max((p.id for p in projects), default=0)))
    return {p.id: f"{p.id:0{width}d}" for p in projects}


def _uk_date(moment) -> str:
    return to_uk(moment).strftime("%d.%m.%Y")


def _meta(budget: Budget, heading: BudgetHeading, title: str) -> dict[str, str]:
    consultation = budget.consultation
    meta = {"description": f"{consultation.title}: {title}" if budget.by_ward else consultation.title,
            "instance": str(to_uk(consultation.closes_at).year), "date_begin": _uk_date(consultation.opens_at),
            "date_end": _uk_date(consultation.closes_at), "language": "en", "currency": "GBP",
            "max_sum_cost": budgets.plain(heading.amount)}
    if heading.ward is not None:
        meta["subunit"] = heading.ward.name
    if budget.min_projects:
        meta["min_length"] = str(budget.min_projects)
    if budget.rule == "approval" and budget.max_projects is not None:
        meta["max_length"] = str(budget.max_projects)
    if budget.min_share_percent:
        meta["min_sum_cost"] = budgets.plain(heading.amount * budget.min_share_percent / 100)
    return meta


def elections(budget: Budget) -> list[HeadingElection]:
    """Each heading's election, from the ballot box: two statements (the projects; every choice of the budget's
    questions), whatever the number of ballots."""
    by_heading: dict[int, list[BudgetProject]] = defaultdict(list)
    all_projects = budgets.projects(budget)
    ids = election_ids(all_projects)
    for project in all_projects:
        by_heading[project.heading_id].append(project)
    by_option = {p.option_id: p for ps in by_heading.values() for p in ps}
    question_ids = [h.question_id for h in budget.headings]
    chosen: dict[int, dict[str, set[str]]] = {q: defaultdict(set) for q in question_ids}
    if question_ids:
        rows = db.session.execute(select(Choice.question_id, Choice.ballot_id, Choice.option_id)
                                  .where(Choice.question_id.in_(question_ids)))
        for question_id, ballot_id, option_id in rows:
            project = by_option.get(option_id)
            if project is not None:
                chosen[question_id][ballot_id].add(ids[project.id])
    out = []
    for heading in budget.headings:
        title = budgets.heading_title(heading)
        projects = by_heading.get(heading.id, [])
        ballots = [frozenset(ids) for _key, ids in sorted(chosen[heading.question_id].items())]
        election = Election.of(heading.amount, [
            Project(ids[p.id], p.cost, name=p.title, ward=p.ward.name if p.ward else "",
                    programme=p.programme.name if p.programme else "") for p in projects], ballots,
            meta=_meta(budget, heading, title))
        # Projects most votes first, as the results table and the file list them.
        election = Election(budget=election.budget, projects=tuple(comparison.order_by_votes(election)),
                            ballots=election.ballots, meta=election.meta)
        out.append(HeadingElection(heading, title, {ids[p.id]: p for p in projects}, election))
    return out


_cache: OrderedDict[tuple, list[tuple[int, Comparison]]] = OrderedDict()


def _key(budget: Budget) -> tuple:
    consultation = budget.consultation
    return (budget.id, consultation.closes_at, consultation.turnout,
            tuple((h.id, str(h.amount)) for h in budget.headings))


def outcome(budget: Budget, *, fresh: bool = False) -> list[HeadingResult]:
    """Each heading's results under both rules, after the close (refused before: nobody sees a count until
    then). Counted once per process for a closed budget; then a view reads only the projects (one statement).
    ``fresh``: the projects as the database has them now, even those the session already holds (the session
    keeps what it read after a commit)."""
    results.require_closed(budget.consultation)
    key = _key(budget)
    counted = _cache.get(key)
    if counted is None:
        counted = [(he.heading.id, comparison.of_election(he.election)) for he in elections(budget)]
        _cache[key] = counted
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    compared = dict(counted)
    by_heading: dict[int, dict[str, BudgetProject]] = defaultdict(dict)
    all_projects = budgets.projects(budget) if not fresh else list(db.session.scalars(
        select(BudgetProject).where(BudgetProject.budget_id == budget.id)
        .execution_options(populate_existing=True)).unique())
    ids = election_ids(all_projects)
    for project in all_projects:
        by_heading[project.heading_id][ids[project.id]] = project
    return [HeadingResult(h, budgets.heading_title(h), by_heading[h.id], compared[h.id]) for h in budget.headings]


def official_rule(budget: Budget) -> str | None:
    """The rule officers picked (``greedy`` or ``equal_shares``), or None before they pick."""
    return budget.outcome_rule


def funded_by(heading_results: list[HeadingResult], rule: str) -> list[BudgetProject]:
    """The projects ``rule`` funds, heading by heading, in the order it chose them."""
    key = RULE_KEYS[rule]
    return [r.project(pid) for r in heading_results for pid in r.comparison.funded_ids(key)]


def choose_rule(actor: Any, budget: Budget, rule: Any) -> list[BudgetProject]:
    """Officers pick the official outcome rule after the close (and may pick again, each time audit-logged): the
    projects it funds are marked funded, the others not; the followers of each newly funded project's source
    proposal are told. Returns the funded projects."""
    consultation = budget.consultation
    policy.require(actor, "consultation.manage", consultation)
    if not is_closed(consultation):
        raise RuleViolation(_("The outcome rule is chosen after voting closes."), field="rule")
    if rule not in RULE_KEYS:
        raise RuleViolation(_("Choose greedy or the Method of Equal Shares."), field="rule")
    # Two officers choosing at once take turns: the budget's row is locked until this transaction ends, and the
    # projects are read after the lock (the other choice, committed, is seen whole), so the funded projects are
    # always those of the rule recorded last.
    db.session.execute(select(Budget.id).where(Budget.id == budget.id).with_for_update())
    db.session.refresh(budget)
    heading_results = outcome(budget, fresh=True)
    funded = funded_by(heading_results, rule)
    funded_ids = {p.id for p in funded}
    before = {"rule": budget.outcome_rule,
              "funded": sorted(p.id for r in heading_results for p in r.projects.values() if p.funded_at)}
    now = utcnow()
    newly = []
    for r in heading_results:
        for project in r.projects.values():
            if project.id in funded_ids and project.funded_at is None:
                project.funded_at = now
                newly.append(project)
            elif project.id not in funded_ids:
                project.funded_at = None
    budget.outcome_rule, budget.outcome_chosen_at, budget.outcome_chosen_by_id = rule, now, actor.id
    db.session.flush()
    audit(actor, "budget.choose_outcome", "budget", budget.id, label=consultation.title, before=before,
          after={"rule": rule, "funded": sorted(funded_ids)})
    for project in newly:
        if project.source_type is not None and consultation.is_published and consultation.hidden_at is None:
            events.publish("budget.project_funded", project)
    return funded


# The Pabulib file -------------------------------------------------------------------------------------------


def heading_of(budget: Budget, heading_id: int) -> BudgetHeading:
    for heading in budget.headings:
        if heading.id == heading_id:
            return heading
    raise NotFound(_("That part of the budget does not exist."))


def pb_text(budget: Budget, heading: BudgetHeading) -> str:
    """The anonymised election of one heading as a Pabulib ``.pb`` file, after the close: the official rule's
    funded projects marked ``selected`` (greedy's until officers pick; ``flask consultations tally`` on the file
    recomputes both rules)."""
    result = next(r for r in outcome(budget) if r.heading.id == heading.id)
    rule = RULE_KEYS[budget.outcome_rule or "greedy"]
    election = result.comparison.election
    hidden = {pid for pid, p in result.projects.items() if p.hidden_at is not None}
    if hidden:  # a project hidden by moderation keeps its cost and votes, not its name
        election = Election(budget=election.budget, ballots=election.ballots, meta=election.meta, projects=tuple(
            replace(p, name="") if p.id in hidden else p for p in election.projects))
    return pabulib.dumps(election, rule=rule, selected=result.comparison.funded_ids(rule))


def pb_filename(budget: Budget, heading: BudgetHeading) -> str:
    part = f"-{heading.ward.name}" if heading.ward is not None else ""
    return f"budget-{budget.id}{part}"


# The results page ---------------------------------------------------------------------------------------------


@dataclass
class RuleSummary:
    rule: str  # greedy or equal_shares
    label: str
    explained: str
    funded: int
    spent: str
    left: str
    spent_percent: int
    voters: int
    satisfied: int
    satisfied_percent: int
    line: int
    completion: str


@dataclass
class ResultRow:
    project: BudgetProject
    place: int
    votes: int
    cost: str
    funded: dict[str, bool]  # greedy / equal_shares -> funded
    official: bool
    below_line: bool  # funded by the official rule below its funded line
    line_after: bool  # the official rule's funded line is drawn after this row
    url: str = ""
    #: "Funded" or "Not funded" under each rule, in the order of RULE_KEYS.
    said: tuple[str, ...] = ()


def _short(text: str, length: int = 30) -> str:
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def _completion(summary: comparison.Summary) -> str:
    if summary.rule != "equal-shares":
        return ""
    if not summary.increases and not summary.added_by_greedy:
        return _("No completion was needed.")
    raised = ngettext("Completion: the shared money was raised once by a tenth of the budget.",
                      "Completion: the shared money was raised %(num)d times by a tenth of the budget.",
                      summary.increases) if summary.increases else _("Completion: the shared money was not raised.")
    added = ngettext("Then %(num)d project was added by votes with the money left.",
                     "Then %(num)d projects were added by votes with the money left.", len(summary.added_by_greedy))
    return f"{raised} {added}"


def page_view(user: Any, budget: Budget) -> dict[str, Any]:
    """Everything the results page shows, heading by heading (refused before the close)."""
    heading_results = outcome(budget)
    official = budget.outcome_rule
    shown = official or "greedy"  # the line and "funded" column before officers pick: greedy's, said so
    words = {True: _("Funded"), False: _("Not funded")}
    # One address built, the others by its pattern (a results table lists every project: url_for each is slow).
    pattern = url_for("consultations_budgets.project", budget_id=budget.id, project_id=0)[:-1]
    parts = []
    for r in heading_results:
        c = r.comparison
        summaries = {}
        for rule, key in RULE_KEYS.items():
            s = c.summaries[key]
            summaries[rule] = RuleSummary(rule, str(RULE_LABELS[rule]), str(RULE_EXPLAINED[rule]), s.funded,
                                          budgets.pounds(s.spent), budgets.pounds(s.left), s.spent_percent,
                                          s.voters, s.satisfied, s.satisfied_percent, s.line, _completion(s))
        line = summaries[shown].line
        below = set(c.below_line(RULE_KEYS[shown]))
        rows = [ResultRow(project=r.project(row.project.id), place=row.place, votes=row.votes,
                          cost=budgets.pounds(r.project(row.project.id).cost),
                          funded={rule: row.funded(key) for rule, key in RULE_KEYS.items()},
                          official=row.funded(RULE_KEYS[shown]), below_line=row.project.id in below,
                          line_after=n == line - 1 and 0 < line < len(c.rows),
                          url=f"{pattern}{r.project(row.project.id).id}",
                          said=tuple(words[row.funded(key)] for key in RULE_KEYS.values()))
                for n, row in enumerate(c.rows)]
        differ = {rule: [r.project(pid) for pid in c.only_in(key)] for rule, key in RULE_KEYS.items()}
        top = max([row.votes for row in rows] + [1])
        bars = [{"label": _short(row.project.title if row.project.hidden_at is None else "—"), "votes": row.votes,
                 "y": n * 26 + 4, "width": round(360 * row.votes / top, 1), "official": row.official}
                for n, row in enumerate(rows)]
        parts.append({"heading": r.heading, "title": r.title, "amount": budgets.pounds(r.heading.amount),
                      "rows": rows, "summaries": summaries, "line": line, "differ": differ,
                      "voters": len(c.election.ballots), "bars": bars})
    return {"budget": budget, "consultation": budget.consultation, "parts": parts, "official": official,
            "shown": shown, "rule_labels": {k: str(v) for k, v in RULE_LABELS.items()},
            "may_choose": policy.can(user, "consultation.manage", budget.consultation)}


def _money(amount: Any) -> Decimal:
    value = Fraction(amount)
    return Decimal(value.numerator) / Decimal(value.denominator)


def api_view(budget: Budget) -> dict[str, Any]:
    """The results as JSON: each heading's projects (most votes first) with what each rule funds, each rule's
    money, voters and funded line, and the address of its ``.pb`` file. Money as exact strings ("15000.50")."""
    headings = []
    for r in outcome(budget):
        c = r.comparison
        projects = [{"id": r.project(row.project.id).id,
                     "title": r.project(row.project.id).title if r.project(row.project.id).hidden_at is None else None,
                     "cost": budgets.plain(r.project(row.project.id).cost), "votes": row.votes, "place": row.place,
                     "funded": {rule: row.funded(key) for rule, key in RULE_KEYS.items()}} for row in c.rows]
        rules_json = {}
        for rule, key in RULE_KEYS.items():
            s = c.summaries[key]
            rules_json[rule] = {
                "funded": [r.project(pid).id for pid in c.funded_ids(key)],
                "spent": budgets.plain(_money(s.spent)), "left": budgets.plain(_money(s.left)),
                "voters": s.voters, "satisfied_voters": s.satisfied, "funded_line": s.line,
                "funded_below_line": [r.project(pid).id for pid in c.below_line(key)],
                "increases": s.increases, "added_by_greedy": [r.project(pid).id for pid in s.added_by_greedy]}
        headings.append({"id": r.heading.id, "ward": r.heading.ward.name if r.heading.ward else None,
                         "amount": budgets.plain(r.heading.amount), "voters": len(c.election.ballots),
                         "projects": projects, "rules": rules_json,
                         "pabulib": url_for("consultations_budget_results.pabulib_file", budget_id=budget.id,
                                            heading_id=r.heading.id, _external=True)})
    return {"budget": budget.id, "official_rule": budget.outcome_rule,
            "url": url_for("consultations_budget_results.results", budget_id=budget.id, _external=True),
            "headings": headings}
