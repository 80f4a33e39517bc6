"""Participatory budgeting (issue 19): budgets, their headings and projects, and the budget ballot.

A budget is a consultation with one question of kind ``budget`` per heading (the city's money, or each ward's);
each project is one option of its heading's question. So a budget ballot goes through the consultation's own
roll, secret box and receipts (:func:`consultations.ballots._into_the_box`), with the same review step and the
same finality; results after close, the recount and the ballot file are the consultation's.

The rules of a budget ballot live here, once, for the web page and the API (:func:`check_choice`):

- a resident chooses projects of the headings they vote in: the city's, and their own ward's (never another's);
- the chosen projects of a heading must fit its money ("knapsack"); under the approval rule their number must
  also lie between the budget's ``min_projects`` and ``max_projects``; under both, at least ``min_projects``;
- with a minimum share, the projects must spend at least that part of the heading's money.

Officers create and edit a budget in a participatory process, add projects by hand or from accepted proposals
(any resource whose type has :class:`civic.resources.SourceHooks`), all audit-logged; projects and the rules are
frozen once voting opens. Which projects are funded after close (``funded_at``, ``Budget.outcome_rule``) is
decided by the results (greedy or the Method of Equal Shares, :mod:`consultations.budgeting.rules`); the source's
page then says "Funded in the <budget>" through the core's badges (:func:`funded_badges`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from civic import events, maps, policy, resources, uploads
from civic.audit import audit
from civic.db import after_commit, after_rollback, db, utcnow
from civic.errors import NotFound, RuleViolation
from civic.resources import Badge
from civic.spaces.models import Process, Programme, Ward
from consultations import ballots, kinds
from consultations.models import Budget, BudgetHeading, BudgetProject, Consultation, Option, Question
from consultations.policy import visible

KIND = "budget"
RULES = ("knapsack", "approval")
OUTCOME_RULES = ("greedy", "equal_shares")
TITLE_MAX, INTRO_MAX, PROJECT_TITLE_MAX, PROJECT_DESCRIPTION_MAX, ALT_MAX = 200, 20000, 200, 10000, 300
MAX_PROJECTS = 300  # projects in one budget
MONEY_MAX = Decimal("1000000000000")  # a trillion pounds: far beyond any budget, below the columns' size
#: The form field and API field every refusal of a budget ballot names.
FIELD = "projects"

RULE_LABELS = {"knapsack": _l("Choose projects whose costs fit the budget"),
               "approval": _l("Choose between a minimum and a maximum number of projects (their costs must fit)")}


# Money ------------------------------------------------------------------------------------------------------


def parse_money(raw: Any, field_name: str, what: str) -> Decimal:
    """A positive amount of pounds with at most two decimals ("1500", "1,500.50", "£1500"), or a refusal."""
    if isinstance(raw, bool) or raw is None or isinstance(raw, float | list | dict):
        raise RuleViolation(_("Enter the %(what)s in pounds, like 15000 or 15000.50.", what=what), field=field_name)
    text = str(raw).strip().replace(",", "").replace("£", "").strip()
    if not text:
        raise RuleViolation(_("Enter the %(what)s in pounds, like 15000 or 15000.50.", what=what), field=field_name)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RuleViolation(_("Enter the %(what)s in pounds, like 15000 or 15000.50.", what=what),
                            field=field_name) from None
    if not amount.is_finite() or len(text) > 20:
        raise RuleViolation(_("Enter the %(what)s in pounds, like 15000 or 15000.50.", what=what), field=field_name)
    if amount <= 0:
        raise RuleViolation(_("The %(what)s must be more than £0.", what=what), field=field_name)
    if amount >= MONEY_MAX:
        raise RuleViolation(_("The %(what)s is too large.", what=what), field=field_name)
    if amount != amount.quantize(Decimal("0.01")):
        raise RuleViolation(_("Give the %(what)s to the penny at most, like 15000.50.", what=what), field=field_name)
    return amount.quantize(Decimal("0.01"))


def pounds(amount: Decimal | int | None) -> str:
    """``£15,000`` or ``£15,000.50``."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value == value.to_integral_value():
        return f"£{int(value):,}"
    return f"£{value:,.2f}"


def plain(amount: Decimal) -> str:
    """Money for JSON: ``"15000"`` or ``"15000.50"`` (a string, exact)."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    return str(int(value)) if value == value.to_integral_value() else str(value)


# Finding ----------------------------------------------------------------------------------------------------


def _load(budget_id: int) -> Budget | None:
    return db.session.get(Budget, budget_id) if isinstance(budget_id, int) else None


def get_visible(user: Any, budget_id: int) -> Budget:
    """The budget if this person may see its consultation (drafts and hidden ones: officers only)."""
    budget = _load(budget_id)
    if budget is None or not visible(user, budget.consultation):
        raise NotFound(_("We could not find that budget."))
    return budget


def get_managed(user: Any, budget_id: int) -> Budget:
    """For officers' pages: the permission first (a resident learns nothing of drafts), then the row."""
    policy.require(user, "consultation.manage")
    budget = _load(budget_id)
    if budget is None:
        raise NotFound(_("We could not find that budget."))
    return budget


def of_consultation(consultation: Consultation) -> Budget | None:
    return db.session.scalar(select(Budget).where(Budget.consultation_id == consultation.id))


def is_budget(consultation: Consultation) -> bool:
    """Whether this consultation is a budget (its questions are loaded with it: no query)."""
    return any(q.kind == KIND for q in consultation.questions)


def projects(budget: Budget) -> list[BudgetProject]:
    """The budget's projects in their order (one statement; their ward and programme joined)."""
    return list(db.session.scalars(select(BudgetProject).where(BudgetProject.budget_id == budget.id)
                                   .order_by(BudgetProject.position, BudgetProject.id)).unique())


def project_of(budget: Budget, project_id: int) -> BudgetProject:
    project = db.session.get(BudgetProject, project_id) if isinstance(project_id, int) else None
    if project is None or project.budget_id != budget.id:
        raise NotFound(_("That project is not in this budget."))
    return project


def heading_for_ward(budget: Budget, ward_id: int | None) -> BudgetHeading | None:
    for heading in budget.headings:
        if heading.ward_id == ward_id:
            return heading
    return None


def heading_title(heading: BudgetHeading) -> str:
    return heading.ward.name if heading.ward is not None else _("The whole city")


# States -----------------------------------------------------------------------------------------------------


def status(budget: Budget, now: datetime | None = None) -> str:
    """draft, upcoming, open or closed (the consultation's)."""
    from consultations.services import status as consultation_status

    return consultation_status(budget.consultation, now)


def is_frozen(budget: Budget) -> bool:
    """Projects and rules change only until voting opens."""
    consultation = budget.consultation
    return consultation.is_published and utcnow() >= consultation.opens_at


def _require_editable(budget: Budget) -> None:
    if is_frozen(budget):
        raise RuleViolation(_("Voting in this budget has opened: its projects and rules can no longer change."))


# Officers: the budget ---------------------------------------------------------------------------------------


@dataclass
class Details:
    title: str
    introduction: str
    process_slug: str | None
    opens_at: datetime | None
    closes_at: datetime | None
    #: City-wide: the total; split by ward: ignored (the sum of ``ward_amounts``).
    total: Any = None
    by_ward: bool = False
    #: Split by ward: ward id -> its money (raw text or Decimal); a ward left out has no heading.
    ward_amounts: Mapping[int, Any] = field(default_factory=dict)
    rule: str = "knapsack"
    min_projects: int | None = None
    max_projects: int | None = None
    min_share_percent: int | None = None


@dataclass
class _Clean:
    title: str
    introduction: str
    process: Process
    total: Decimal
    headings: dict[int | None, Decimal]  # ward id (None: the city) -> money
    rule: str
    min_projects: int
    max_projects: int | None
    min_share_percent: int | None


def _whole(raw: Any, field_name: str, low: int, high: int, message: str) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() and len(raw.strip()) < 8:
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise RuleViolation(message, field=field_name)
    return raw


def _clean(details: Details) -> _Clean:
    title = (details.title or "").strip()
    if not title:
        raise RuleViolation(_("Enter the title of the budget."), field="title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(_("Keep the title to %(n)d characters.", n=TITLE_MAX), field="title")
    intro = (details.introduction or "").strip()
    if len(intro) > INTRO_MAX:
        raise RuleViolation(_("Keep the introduction to %(n)d characters.", n=INTRO_MAX), field="introduction")
    process = None
    if details.process_slug:
        process = db.session.scalar(select(Process).where(Process.slug == details.process_slug))
    if process is None:
        raise RuleViolation(_("Choose the participatory process the budget belongs to."), field="process_slug")
    if details.opens_at is None:
        raise RuleViolation(_("Enter when voting opens."), field="opens_at")
    if details.closes_at is None:
        raise RuleViolation(_("Enter when voting closes."), field="closes_at")
    if details.closes_at <= details.opens_at:
        raise RuleViolation(_("The closing time must be after the opening time."), field="closes_at")
    if details.rule not in RULES:
        raise RuleViolation(_("Choose a voting rule."), field="rule")
    headings: dict[int | None, Decimal] = {}
    if details.by_ward:
        known = set(db.session.scalars(select(Ward.id)))
        for ward_id, raw in (details.ward_amounts or {}).items():
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            if ward_id not in known:
                raise RuleViolation(_("Choose wards from the list."), field="ward_amounts")
            headings[ward_id] = parse_money(raw, f"ward_{ward_id}", _("ward's money"))
        if not headings:
            raise RuleViolation(_("Give at least one ward its money."), field="ward_amounts")
        total = sum(headings.values(), Decimal(0))
        if total >= MONEY_MAX:
            raise RuleViolation(_("The %(what)s is too large.", what=_("total")), field="ward_amounts")
    else:
        total = parse_money(details.total, "total", _("total"))
        headings[None] = total
    low = _whole(details.min_projects, "min_projects", 0, MAX_PROJECTS,
                 _("The fewest projects must be a whole number from 0 to %(n)d.", n=MAX_PROJECTS))
    high = _whole(details.max_projects, "max_projects", 1, MAX_PROJECTS,
                  _("The most projects must be a whole number from 1 to %(n)d.", n=MAX_PROJECTS))
    low = 1 if low is None else low
    if details.rule == "knapsack":
        high = None
    elif high is not None and high < max(low, 1):
        raise RuleViolation(_("The most projects must be at least the fewest, and at least 1."), field="max_projects")
    share = _whole(details.min_share_percent, "min_share_percent", 0, 100,
                   _("The minimum share is a whole percentage from 0 to 100."))
    return _Clean(title, intro, process, total, headings, details.rule, low, high, share or None)


def _snapshot(budget: Budget) -> dict[str, Any]:
    c = budget.consultation
    return {"title": c.title, "process_id": c.process_id, "opens_at": c.opens_at.isoformat(),
            "closes_at": c.closes_at.isoformat(), "total": plain(budget.total), "by_ward": budget.by_ward,
            "rule": budget.rule, "min_projects": budget.min_projects, "max_projects": budget.max_projects,
            "min_share_percent": budget.min_share_percent,
            "headings": {str(h.ward_id or "city"): plain(h.amount) for h in budget.headings}}


def _apply(budget: Budget, clean: _Clean, details: Details) -> None:
    consultation = budget.consultation
    consultation.title, consultation.introduction = clean.title, clean.introduction
    consultation.opens_at, consultation.closes_at = details.opens_at, details.closes_at
    consultation.process_id = clean.process.id
    budget.total, budget.by_ward, budget.rule = clean.total, bool(details.by_ward), clean.rule
    budget.min_projects, budget.max_projects = clean.min_projects, clean.max_projects
    budget.min_share_percent = clean.min_share_percent
    # Who may vote: a budget split by ward is for the residents of its wards (the consultation's ward rule).
    ward_ids = [w for w in clean.headings if w is not None]
    consultation.whole_city = None in clean.headings
    consultation.wards = ([] if consultation.whole_city else
                          list(db.session.scalars(select(Ward).where(Ward.id.in_(ward_ids)).order_by(Ward.name))))
    current = {h.ward_id: h for h in budget.headings}
    for ward_id, heading in current.items():
        if ward_id not in clean.headings:
            has = db.session.scalar(select(func.count()).select_from(BudgetProject)
                                    .where(BudgetProject.heading_id == heading.id))
            if has:
                raise RuleViolation(_("%(heading)s has projects: remove them before taking its money away.",
                                      heading=heading_title(heading)), field="ward_amounts")
            budget.headings.remove(heading)
            consultation.questions.remove(heading.question)
    ward_names = dict(db.session.execute(select(Ward.id, Ward.name)).all()) if ward_ids else {}
    for position, (ward_id, amount) in enumerate(sorted(clean.headings.items(),
                                                        key=lambda item: (item[0] is not None,
                                                                          ward_names.get(item[0], "")))):
        heading = current.get(ward_id)
        title = ward_names[ward_id] if ward_id is not None else _("The whole city")
        if heading is None or heading not in budget.headings:
            question = Question(kind=KIND, title=title[:300], description="", position=position)
            consultation.questions.append(question)
            heading = BudgetHeading(ward_id=ward_id, amount=amount, position=position, question=question)
            budget.headings.append(heading)
        heading.amount, heading.position = amount, position
        heading.question.position = position
        heading.question.min_choices = clean.min_projects
        heading.question.max_choices = clean.max_projects


def create(actor: Any, details: Details) -> Budget:
    """A draft budget in a process, with its headings (and their questions); audit-logged."""
    policy.require(actor, "consultation.manage")
    clean = _clean(details)
    consultation = Consultation(title=clean.title, introduction=clean.introduction, opens_at=details.opens_at,
                                closes_at=details.closes_at, process_id=clean.process.id, created_by_id=actor.id)
    budget = Budget(consultation=consultation, total=clean.total)
    db.session.add(consultation)
    db.session.add(budget)
    _apply(budget, clean, details)
    db.session.flush()
    audit(actor, "budget.create", "budget", budget.id, label=clean.title, after=_snapshot(budget))
    return budget


def update(actor: Any, budget: Budget, details: Details) -> Budget:
    policy.require(actor, "consultation.manage", budget.consultation)
    _require_editable(budget)
    before = _snapshot(budget)
    clean = _clean(details)
    _apply(budget, clean, details)
    db.session.flush()
    audit(actor, "budget.update", "budget", budget.id, label=clean.title, before=before, after=_snapshot(budget))
    return budget


def publish_refusal(budget: Budget, counts: Mapping[int, int] | None = None) -> str | None:
    """Why the budget cannot be published yet, or None."""
    if counts is None:
        counts = dict(db.session.execute(select(BudgetProject.heading_id, func.count())
                                         .where(BudgetProject.budget_id == budget.id)
                                         .group_by(BudgetProject.heading_id)).all())
    for heading in budget.headings:
        n = counts.get(heading.id, 0)
        if not n:
            return _("%(heading)s has no projects yet.", heading=heading_title(heading))
        if n < budget.min_projects:
            return _("%(heading)s has fewer projects than a ballot must choose (%(n)d).",
                     heading=heading_title(heading), n=budget.min_projects)
    if budget.consultation.closes_at <= utcnow():
        return _("The closing time has passed: move it later before publishing.")
    return None


def publish(actor: Any, budget: Budget) -> Budget:
    consultation = budget.consultation
    policy.require(actor, "consultation.manage", consultation)
    if consultation.is_published:
        raise RuleViolation(_("This budget is already published."))
    refusal = publish_refusal(budget)
    if refusal:
        raise RuleViolation(refusal)
    consultation.state = "published"
    consultation.published_at = utcnow()
    db.session.flush()
    audit(actor, "budget.publish", "budget", budget.id, label=consultation.title)
    events.publish("consultation.published", consultation, actor_id=actor.id)
    return budget


# Officers: projects -----------------------------------------------------------------------------------------


@dataclass
class ProjectDetails:
    title: str
    description: str = ""
    cost: Any = None
    ward_id: int | None = None
    programme_id: int | None = None
    latitude: Any = None
    longitude: Any = None
    image: Any = None
    image_alt: str = ""
    remove_image: bool = False


def _clean_project(budget: Budget, details: ProjectDetails) -> tuple[str, str, Decimal, BudgetHeading, int | None,
                                                                      int | None, tuple[float, float] | None]:
    title = " ".join((details.title or "").split())
    if not title:
        raise RuleViolation(_("Enter the project's title."), field="title")
    if len(title) > PROJECT_TITLE_MAX:
        raise RuleViolation(_("Keep the title to %(n)d characters.", n=PROJECT_TITLE_MAX), field="title")
    description = (details.description or "").strip()
    if len(description) > PROJECT_DESCRIPTION_MAX:
        raise RuleViolation(_("Keep the description to %(n)d characters.", n=PROJECT_DESCRIPTION_MAX),
                            field="description")
    cost = parse_money(details.cost, "cost", _("cost"))
    ward_id = details.ward_id or None
    if ward_id is not None and db.session.get(Ward, ward_id) is None:
        raise RuleViolation(_("Choose a ward from the list."), field="ward_id")
    if budget.by_ward:
        if ward_id is None:
            raise RuleViolation(_("Choose the ward whose money pays for the project."), field="ward_id")
        heading = heading_for_ward(budget, ward_id)
        if heading is None:
            raise RuleViolation(_("This budget has no money for that ward: choose one of its wards."),
                                field="ward_id")
    else:
        heading = heading_for_ward(budget, None)
        if heading is None:  # pragma: no cover - a city-wide budget always has its heading
            raise RuleViolation(_("This budget has no heading for the whole city."), field="ward_id")
    if cost > heading.amount:
        raise RuleViolation(_("The project costs more than the %(amount)s of %(heading)s.",
                              amount=pounds(heading.amount), heading=heading_title(heading)), field="cost")
    programme_id = details.programme_id or None
    if programme_id is not None and db.session.get(Programme, programme_id) is None:
        raise RuleViolation(_("Choose a programme from the list."), field="programme_id")
    point = maps.parse_point(details.latitude, details.longitude)
    return title, description, cost, heading, ward_id, programme_id, point


def _project_snapshot(project: BudgetProject) -> dict[str, Any]:
    return {"title": project.title, "cost": plain(project.cost), "ward_id": project.ward_id,
            "programme_id": project.programme_id, "source": (f"{project.source_type}:{project.source_id}"
                                                             if project.source_type else None)}


def _image(details: ProjectDetails) -> tuple[str | None, str]:
    alt = " ".join((details.image_alt or "").split())[:ALT_MAX]
    if details.image is None or not getattr(details.image, "filename", ""):
        return None, alt
    if not alt:
        raise RuleViolation(_("Describe the image for people who cannot see it."), field="image_alt")
    path = uploads.save_image(details.image, "budgets", field="image")
    after_rollback(uploads.delete_image, path)
    return path, alt


def _count_projects(budget: Budget) -> int:
    return db.session.scalar(select(func.count()).select_from(BudgetProject)
                             .where(BudgetProject.budget_id == budget.id)) or 0


def add_project(actor: Any, budget: Budget, details: ProjectDetails, *, source: resources.Source | None = None,
                audit_action: str = "budget.add_project") -> BudgetProject:
    """A project in its heading (an option of the heading's question); audit-logged. Not once voting opened."""
    policy.require(actor, "consultation.manage", budget.consultation)
    _require_editable(budget)
    count = _count_projects(budget)
    if count >= MAX_PROJECTS:
        raise RuleViolation(_("A budget has at most %(n)d projects.", n=MAX_PROJECTS))
    title, description, cost, heading, ward_id, programme_id, point = _clean_project(budget, details)
    path, alt = _image(details)
    question = heading.question
    option = Option(text=title[:200], position=len(question.options))
    question.options.append(option)
    db.session.flush()
    project = BudgetProject(budget_id=budget.id, heading_id=heading.id, option_id=option.id, title=title,
                            description=description, cost=cost, ward_id=ward_id, programme_id=programme_id,
                            image_path=path, image_alt=alt if path else "",
                            latitude=point[0] if point else None, longitude=point[1] if point else None,
                            source_type=source.resource if source else None, source_id=source.id if source else None,
                            position=count, created_by_id=actor.id)
    db.session.add(project)
    db.session.flush()
    audit(actor, audit_action, "budget", budget.id, label=title, after=_project_snapshot(project))
    return project


def update_project(actor: Any, budget: Budget, project: BudgetProject, details: ProjectDetails) -> BudgetProject:
    policy.require(actor, "consultation.manage", budget.consultation)
    _require_editable(budget)
    before = _project_snapshot(project)
    title, description, cost, heading, ward_id, programme_id, point = _clean_project(budget, details)
    path, alt = _image(details)
    option = db.session.get(Option, project.option_id)
    if heading.id != project.heading_id:  # moved to another ward's money: the option moves to its question
        old = project.heading.question
        old.options.remove(option)
        for n, o in enumerate(old.options):
            o.position = n
        option = Option(text=title[:200], position=len(heading.question.options))
        heading.question.options.append(option)
        db.session.flush()
        project.option_id, project.heading_id = option.id, heading.id
    option.text = title[:200]
    project.title, project.description, project.cost = title, description, cost
    project.ward_id, project.programme_id = ward_id, programme_id
    project.latitude, project.longitude = (point if point else (None, None))
    if path is not None or details.remove_image:
        if project.image_path:
            after_commit(uploads.delete_image, project.image_path)
        project.image_path, project.image_alt = path, alt if path else ""
    elif project.image_path:
        project.image_alt = alt or project.image_alt
    db.session.flush()
    audit(actor, "budget.update_project", "budget", budget.id, label=title, before=before,
          after=_project_snapshot(project))
    return project


def remove_project(actor: Any, budget: Budget, project: BudgetProject) -> None:
    policy.require(actor, "consultation.manage", budget.consultation)
    _require_editable(budget)
    before = _project_snapshot(project)
    question = project.heading.question
    option = db.session.get(Option, project.option_id)
    if project.image_path:
        after_commit(uploads.delete_image, project.image_path)
    db.session.delete(project)
    if option is not None:
        question.options.remove(option)
        for n, o in enumerate(question.options):
            o.position = n
    db.session.flush()
    audit(actor, "budget.remove_project", "budget", budget.id, label=before["title"], before=before)


# Officers: projects from accepted proposals (through the core's resource registry) ---------------------------


@dataclass
class Candidate:
    source: resources.Source
    label: str  # the resource type's label ("Proposal")
    project_id: int | None  # the project already made from it in this budget
    ward_name: str


def candidates(actor: Any, budget: Budget) -> list[Candidate]:
    """What the budget's process offers to build on (accepted proposals), each with the project already made
    from it: one statement per source type, one for the projects, one for the wards."""
    policy.require(actor, "consultation.manage", budget.consultation)
    process_id = budget.consultation.process_id
    if process_id is None:
        return []
    made = {(t, i): pid for t, i, pid in db.session.execute(
        select(BudgetProject.source_type, BudgetProject.source_id, BudgetProject.id)
        .where(BudgetProject.budget_id == budget.id, BudgetProject.source_type.is_not(None)))}
    wards = dict(db.session.execute(select(Ward.id, Ward.name)).all())
    out = []
    for rt in resources.with_capability("source"):
        for source in rt.sources.accepted(process_id):
            out.append(Candidate(source, rt.label, made.get((source.resource, source.id)),
                                 wards.get(source.ward_id, "")))
    return out


def add_from_source(actor: Any, budget: Budget, resource: str, source_id: int, *, cost: Any = None,
                    programme_id: int | None = None) -> BudgetProject:
    """A project made from an accepted proposal (or another source) of the budget's process: its title,
    description, ward, location and cost (``cost`` overrides a missing or changed one). Linked both ways: the
    project names the source; the source's page shows the budget once the project is funded."""
    policy.require(actor, "consultation.manage", budget.consultation)
    rt = resources.find(resource) if isinstance(resource, str) else None
    if rt is None or rt.sources is None or not isinstance(source_id, int):
        raise RuleViolation(_("Choose an accepted proposal from the list."), field="source")
    source = rt.sources.get(source_id)
    process_id = budget.consultation.process_id
    if source is None or process_id is None or source.id not in {
            s.id for s in rt.sources.accepted(process_id)}:
        raise RuleViolation(_("Choose an accepted proposal of this budget's process from the list."), field="source")
    exists = db.session.scalar(select(BudgetProject.id).where(BudgetProject.budget_id == budget.id,
                                                              BudgetProject.source_type == source.resource,
                                                              BudgetProject.source_id == source.id))
    if exists is not None:
        raise RuleViolation(_("“%(title)s” is already a project of this budget.", title=source.title),
                            field="source")
    chosen_cost = cost if cost not in (None, "") else source.cost
    if chosen_cost is None:
        raise RuleViolation(_("“%(title)s” has no cost in its answer: enter the project's cost.",
                              title=source.title), field="cost")
    ward_id = source.ward_id
    if not budget.by_ward and ward_id is not None and db.session.get(Ward, ward_id) is None:
        ward_id = None
    details = ProjectDetails(title=source.title[:PROJECT_TITLE_MAX], description=source.description[
        :PROJECT_DESCRIPTION_MAX], cost=chosen_cost if not isinstance(chosen_cost, Decimal) else str(chosen_cost),
        ward_id=ward_id, programme_id=programme_id or budget.consultation.process.programme_id,
        latitude=source.latitude, longitude=source.longitude)
    return add_project(actor, budget, details, source=source, audit_action="budget.add_project_from_source")


def funded_badges(ids: list[int]) -> dict[int, list[Badge]]:
    """The core's badges for proposals: "Funded in the <budget>" for each proposal made into a funded project of
    a published budget (one statement)."""
    rows = db.session.execute(
        select(BudgetProject.source_id, BudgetProject.budget_id, Consultation.title)
        .join(Budget, Budget.id == BudgetProject.budget_id)
        .join(Consultation, Consultation.id == Budget.consultation_id)
        .where(BudgetProject.source_type == "proposal", BudgetProject.source_id.in_(ids),
               BudgetProject.funded_at.is_not(None), Consultation.state == "published",
               Consultation.hidden_at.is_(None))
        .order_by(BudgetProject.budget_id)).all()
    out: dict[int, list[Badge]] = {}
    for source_id, budget_id, title in rows:
        out.setdefault(source_id, []).append(Badge(_("Funded in the %(budget)s", budget=title),
                                                   url_for("consultations_budgets.show", budget_id=budget_id)))
    return out


# The ballot -------------------------------------------------------------------------------------------------


def voter_headings(budget: Budget, ward_id: int | None) -> list[BudgetHeading]:
    """The headings a resident of ``ward_id`` votes in: the city's, and their ward's."""
    return [h for h in budget.headings if h.ward_id is None or h.ward_id == ward_id]


@dataclass
class HeadingTotal:
    """What a person chose in one heading, against its money (the running total)."""

    heading: BudgetHeading
    title: str
    chosen: list[BudgetProject]
    spent: Decimal
    amount: Decimal
    minimum: Decimal | None  # the least the ballot must spend here, with a minimum share
    problems: list[str]

    @property
    def left(self) -> Decimal:
        return self.amount - self.spent

    @property
    def over(self) -> bool:
        return self.spent > self.amount


def _ids(value: Any) -> list[int]:
    """Project ids from a form's list or JSON: ints or digit strings; anything else refused naming the field."""
    if value is None or value == "":
        return []
    if not isinstance(value, list | tuple):
        raise RuleViolation(_("Send the chosen projects as a list of project ids."), field=FIELD)
    out = []
    for raw in value:
        if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() and len(raw.strip()) < 11:
            raw = int(raw.strip())
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise RuleViolation(_("Choose among the projects of this budget."), field=FIELD)
        out.append(raw)
    return out


def totals(budget: Budget, all_projects: Iterable[BudgetProject], ward_id: int | None, chosen_ids: Iterable[int],
           *, strict: bool = True) -> list[HeadingTotal]:
    """The running total of each heading the person votes in, with what is wrong with the choice so far.

    ``strict``: refuse at once (a RuleViolation naming ``projects``) a project that is not in the budget, one
    chosen twice, or one of another ward; otherwise (the page's running total) such ids are left out."""
    by_id = {p.id: p for p in all_projects}
    ids = list(chosen_ids)
    if strict and len(set(ids)) != len(ids):
        raise RuleViolation(_("Choose each project at most once."), field=FIELD)
    mine = voter_headings(budget, ward_id)
    mine_ids = {h.id for h in mine}
    chosen: dict[int, list[BudgetProject]] = {h.id: [] for h in mine}
    for pid in dict.fromkeys(ids):
        project = by_id.get(pid)
        if project is None:
            if strict:
                raise RuleViolation(_("Choose among the projects of this budget."), field=FIELD)
            continue
        if project.hidden_at is not None:
            if strict:
                raise RuleViolation(_("A project you chose was hidden by the moderators, so it cannot be chosen. "
                                      "Choose another project."), field=FIELD)
            continue
        if project.heading_id not in mine_ids:
            if strict:
                where = project.ward.name if project.ward is not None else _("another ward")
                raise RuleViolation(_("“%(project)s” is a project of %(ward)s: you vote in the projects of your own "
                                      "ward.", project=project.title, ward=where), field=FIELD)
            continue
        chosen[project.heading_id].append(project)
    out = []
    for heading in mine:
        picked = chosen[heading.id]
        spent = sum((p.cost for p in picked), Decimal(0))
        minimum = None
        if budget.min_share_percent:
            minimum = (heading.amount * budget.min_share_percent / 100).quantize(Decimal("0.01"))
        problems = []
        title = heading_title(heading)
        if spent > heading.amount:
            problems.append(_("Your projects cost %(spent)s, more than the %(amount)s of %(heading)s. Remove a "
                              "project.", spent=pounds(spent), amount=pounds(heading.amount), heading=title))
        if len(picked) < budget.min_projects:
            problems.append(ngettext("Choose at least %(num)d project in %(heading)s.",
                                     "Choose at least %(num)d projects in %(heading)s.", budget.min_projects,
                                     heading=title))
        if budget.max_projects is not None and len(picked) > budget.max_projects:
            problems.append(ngettext("Choose at most %(num)d project in %(heading)s.",
                                     "Choose at most %(num)d projects in %(heading)s.", budget.max_projects,
                                     heading=title))
        if minimum is not None and spent < minimum:
            problems.append(_("Spend at least %(percent)d%% of the money of %(heading)s (%(minimum)s): your "
                              "projects cost %(spent)s.", percent=budget.min_share_percent, heading=title,
                              minimum=pounds(minimum), spent=pounds(spent)))
        out.append(HeadingTotal(heading, title, picked, spent, heading.amount, minimum, problems))
    return out


def check_choice(budget: Budget, all_projects: Iterable[BudgetProject], ward_id: int | None,
                 value: Any) -> dict[int, list[tuple[int, int | None]]]:
    """The one rule of a budget ballot, for the page and the API: the rows to cast (question id -> option ids),
    or a RuleViolation naming ``projects`` with the first reason."""
    if budget.by_ward and heading_for_ward(budget, ward_id) is None and heading_for_ward(budget, None) is None:
        raise RuleViolation(_("This budget has no money for your ward."), field=FIELD)
    lines = totals(budget, all_projects, ward_id, _ids(value))
    for line in lines:
        if line.problems:
            raise RuleViolation(line.problems[0], field=FIELD)
    rows: dict[int, list[tuple[int, int | None]]] = {h.question_id: [] for h in budget.headings}
    for line in lines:
        rows[line.heading.question_id] = [(p.option_id, None) for p in line.chosen]
    return rows


def voter_refusal(user: Any, budget: Budget, entry: Any = False) -> str | None:
    """Why this person cannot vote in the budget now (the consultation's reasons: timing, sign-in, verified
    residents of its wards, already voted), or None."""
    return ballots.voter_refusal(user, budget.consultation, entry)


def cast(user: Any, budget: Budget, value: Any, all_projects: Iterable[BudgetProject] | None = None) -> str:
    """Put the person's budget ballot into the consultation's box; returns the receipt code (shown once).

    As :func:`consultations.ballots.cast`: the policy, the timing, then the choice (someone who has voted is told
    so first), then the roll's ``INSERT ... ON CONFLICT DO NOTHING`` decides, under concurrency too."""
    consultation = budget.consultation
    policy.require(user, "consultation.vote", consultation)
    timing = ballots.timing_refusal(consultation)
    if timing:
        raise RuleViolation(timing)
    try:
        rows = check_choice(budget, projects(budget) if all_projects is None else all_projects, user.ward_id, value)
    except RuleViolation:
        entry = ballots.roll_entry(consultation, user)
        if entry is not None:
            raise RuleViolation(ballots._voted_message(entry)) from None
        raise
    try:
        return ballots._into_the_box(consultation, rows, {
            "user_id": user.id, "register_entry_id": ballots._claimed_entry(user).scalar_subquery(),
            "ward_id": user.ward_id, "channel": "online"})
    except ballots.AlreadyOnRoll as e:
        entry = ballots.roll_entry(consultation, user)
        raise RuleViolation(ballots._voted_message(entry) if entry is not None else e.message) from None


# The kind: a budget heading's question ----------------------------------------------------------------------


class BudgetKind(kinds.Kind):
    """A heading of a participatory budget. Its options are the heading's projects; its ballots are read and
    checked by :func:`check_choice` (which knows the voter's ward and the costs), not on the consultation's
    generic ballot form, so officers never add such a question by hand (``selectable``)."""

    key = KIND
    label = _l("Participatory budget")
    description = _l("Choose projects whose costs fit the budget.")
    template = "consultations/kinds/budget.html"
    selectable = False

    def configure(self, option_count, min_choices, max_choices):
        raise RuleViolation(_("Create a participatory budget from its own page."), field="kind")

    def check(self, question, value):
        """The consultation's generic ballot (page, API, paper) knows neither the voter's ward nor the costs: it
        refuses, and the budget's own page and API cast with :func:`cast`."""
        raise RuleViolation(_("Vote in this participatory budget on its own page."), field=kinds.field_name(question))

    def from_form(self, question, form):
        return form.getlist(kinds.field_name(question))

    def as_value(self, rows):
        return [o for o, _r in rows]

    def rule_text(self, question):
        return _("Choose projects whose costs fit the budget.")


kinds.register(BudgetKind())


def _image_visible(name: str, user: Any) -> bool:
    """A project's image is served to those who see its budget (civic.uploads asks); a project hidden by
    moderation's, to officers only."""
    project = db.session.scalar(select(BudgetProject).where(BudgetProject.image_path == name))
    if project is None or (project.hidden_at is not None and not getattr(user, "is_officer", False)):
        return False
    return visible(user, project.budget.consultation)


uploads.register_owner("budgets", _image_visible)
