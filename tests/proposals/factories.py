"""Factories for the proposals domain, on top of the core's (``tests/factories.py``).

- ``process(**settings)``: ``tests.factories.process`` plus the process's ``ProposalSettings`` (keyword arguments
  named like its columns: ``support_limit=3``, ``threshold=10``...) and ``categories`` (names, creating
  ``Category`` rows). Every other keyword goes to the core factory (``title``, ``slug``, ``programme``, ``wards``,
  ``published``, ``phases``, ``allow_propose=False``...).
- ``proposal(process, author, **fields)``: a published proposal (``state="draft"`` for a draft), in the process's
  first ward unless ``ward=`` (a name) is given; ``categories=[Category, ...]`` links tags.
- ``categories_of(process)``: its categories by name.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from civic.accounts.models import User
from civic.db import db, utcnow
from civic.spaces.models import Process
from proposals.models import Category, Proposal, ProposalCategoryLink, ProposalSettings
from tests import factories

SETTINGS_FIELDS = {"support_limit", "min_supports", "threshold", "close_at_threshold", "proposal_limit",
                   "verified_only", "ward_only", "edit_window_minutes"}


def process(*, categories: Iterable[str] = (), commit: bool = True, **kwargs) -> Process:
    settings = {k: kwargs.pop(k) for k in list(kwargs) if k in SETTINGS_FIELDS}
    made = factories.process(commit=False, **kwargs)
    db.session.add(ProposalSettings(process_id=made.id, **settings))
    for name in categories:
        db.session.add(Category(process_id=made.id, slug=name.lower().replace(" ", "-"), name=name))
    factories.save(commit)
    return made


def proposal(process: Process, author: User, *, title: str | None = None, body: str = "A **good** idea for us all.",
             ward: str | None = None, categories: Iterable[Category] = (), state: str = "published",
             commit: bool = True, **fields) -> Proposal:
    if ward is not None:
        ward_id = factories.ward_named(ward).id
    elif process.wards:
        ward_id = process.wards[0].id
    else:
        ward_id = factories.ward_named("Church Street").id
    if state != "draft":
        fields.setdefault("published_at", utcnow())
    if state == "withdrawn":
        fields.setdefault("withdrawn_at", utcnow())
    title = title or f"Test proposal number {factories.unique()}"
    made = Proposal(process_id=process.id, author_id=author.id, title=title, body=body, ward_id=ward_id, state=state,
                    **fields)
    db.session.add(made)
    db.session.flush()
    for category in categories:
        db.session.add(ProposalCategoryLink(proposal_id=made.id, category_id=category.id))
    factories.save(commit)
    return made


def categories_of(process: Process) -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.process_id == process.id).order_by(Category.name)))


# Form posts ---------------------------------------------------------------------------------------------------


def form(ward_id, **overrides):
    """The new-proposal form's fields, filled in well; ``overrides`` changes some."""
    data = {"title": "More street trees along Church Street", "body": "Plant **twenty** trees by the market.",
            "ward": str(ward_id("Church Street")), "address": "", "latitude": "", "longitude": "",
            "photo_alt": ""}
    data.update(overrides)
    return data


def proposals_of(user) -> list[Proposal]:
    """This person's proposals as they are in the database, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(Proposal).where(Proposal.author_id == user.id).order_by(Proposal.id)))
