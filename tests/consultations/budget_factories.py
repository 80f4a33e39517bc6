"""Participatory budgets for tests, written directly (no audit entry): a published budget open now in a process
whose phase opens voting, with its headings (the city's money, or each ward's) and projects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from civic.db import db, utcnow
from consultations.models import Budget, BudgetHeading, BudgetProject, Consultation, Option, Question
from tests.factories import process as make_process
from tests.factories import programme_named, save, unique, ward_named

#: (title, cost[, ward name])
ProjectSpec = tuple

DEFAULT_PROJECTS: tuple[ProjectSpec, ...] = (
    ("Trees on Edgware Road", "40000"), ("A play street", "30000"), ("Bike hangars", "20000"),
    ("Water fountains", "10000"))


def budget(*, title: str | None = None, total: str = "60000", wards: Mapping[str, str] | None = None,
           projects: Sequence[ProjectSpec] = DEFAULT_PROJECTS, rule: str = "knapsack", min_projects: int = 1,
           max_projects: int | None = None, min_share_percent: int | None = None, opens: datetime | None = None,
           closes: datetime | None = None, published: bool = True, process=None, located: bool = False,
           programme: str = "cleantech-city", commit: bool = True) -> Budget:
    """A budget open now (from yesterday for a week); ``wards`` ({ward name: money}) splits it by ward, and then
    each project names its ward (third item). The process (made when not given) opens voting now."""
    now = utcnow()
    opens = opens or now - timedelta(days=1)
    closes = closes or now + timedelta(days=7)
    if process is None:
        process = make_process(allow_vote=True, allow_comment=True, commit=False)
    consultation = Consultation(title=title or f"Budget {unique()}", introduction="Choose **projects**.",
                                opens_at=opens, closes_at=closes, state="published" if published else "draft",
                                published_at=opens - timedelta(days=1) if published else None,
                                process_id=process.id, whole_city=not wards)
    consultation.wards = [ward_named(w) for w in (wards or {})]
    amounts = {None: Decimal(total)} if not wards else {ward_named(w).id: Decimal(m) for w, m in wards.items()}
    made = Budget(consultation=consultation, total=sum(amounts.values(), Decimal(0)), by_ward=bool(wards), rule=rule,
                  min_projects=min_projects, max_projects=max_projects, min_share_percent=min_share_percent)
    headings = {}
    for n, (ward_id, amount) in enumerate(amounts.items()):
        q = Question(kind="budget", title="City" if ward_id is None else str(ward_id), position=n,
                     min_choices=min_projects, max_choices=max_projects)
        consultation.questions.append(q)
        headings[ward_id] = BudgetHeading(ward_id=ward_id, amount=amount, position=n, question=q)
        made.headings.append(headings[ward_id])
    db.session.add(consultation)
    db.session.add(made)
    db.session.flush()
    programme_id = programme_named(programme).id
    for n, spec in enumerate(projects):
        name, cost = spec[:2]
        ward = ward_named(spec[2]) if len(spec) > 2 and spec[2] else None
        heading = headings[ward.id if wards else None]
        option = Option(text=name, position=len(heading.question.options))
        heading.question.options.append(option)
        db.session.flush()
        db.session.add(BudgetProject(
            budget_id=made.id, heading_id=heading.id, option_id=option.id, title=name, cost=Decimal(cost),
            description=f"About **{name}**.", ward_id=ward.id if ward else None, programme_id=programme_id,
            latitude=51.52 + n / 1000 if located else None, longitude=-0.17 if located else None, position=n))
    save(commit)
    return made


def project_ids(made: Budget) -> dict[str, int]:
    """Title -> project id."""
    from sqlalchemy import select

    return dict(db.session.execute(select(BudgetProject.title, BudgetProject.id)
                                   .where(BudgetProject.budget_id == made.id)).all())
