"""Consultations in the open data: one row per published consultation with its turnout and, once closed, the
addresses of its results, its anonymised ballots (shuffled) and its receipt list (CSV and JSON, with the
licence). Never who voted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import url_for
from sqlalchemy import select

from civic.db import db
from civic.exports import timestamp
from civic.opendata import Column, Dataset, Distribution
from consultations import services
from consultations.models import Budget, Consultation

COLUMNS = (
    Column("id", "The consultation's number on the site.", "integer"),
    Column("title", "Its title.", "text"),
    Column("status", "upcoming, open or closed.", "text"),
    Column("opens_at", "When voting opens.", "datetime", "UTC"),
    Column("closes_at", "When voting closes.", "datetime", "UTC"),
    Column("ballots", "Ballots cast so far (online and on paper).", "integer", "ballots"),
    Column("url", "Its page.", "url"),
    Column("results_url", "Its results (JSON), once closed; empty before.", "url"),
    Column("ballots_csv_url", "Its anonymised ballots, shuffled (CSV), once closed; empty before.", "url"),
    Column("receipts_csv_url", "Its receipt list (CSV), once closed; empty before.", "url"),
)


def _public() -> list[Consultation]:
    return list(db.session.scalars(select(Consultation).where(Consultation.state == "published",
                                                              Consultation.hidden_at.is_(None))
                                   .order_by(Consultation.id)))


def rows() -> Iterator[list[Any]]:
    for c in _public():
        status = services.status(c)
        closed = status == "closed"
        yield [c.id, c.title, status, timestamp(c.opens_at), timestamp(c.closes_at), c.turnout,
               url_for("consultations.show", consultation_id=c.id, _external=True),
               url_for("consultations_api.results_json", consultation_id=c.id, _external=True) if closed else "",
               url_for("consultations.ballots_csv", consultation_id=c.id, _external=True) if closed else "",
               url_for("consultations.receipts_csv", consultation_id=c.id, _external=True) if closed else ""]


def _closed_budgets(consultation_ids: list[int]) -> dict[int, Budget]:
    """The budgets among these consultations, with their headings (two statements whatever their number)."""
    if not consultation_ids:
        return {}
    return {b.consultation_id: b for b in db.session.scalars(
        select(Budget).where(Budget.consultation_id.in_(consultation_ids)))}


def distributions() -> Iterator[Distribution]:
    closed = [c for c in _public() if services.status(c) == "closed"]
    budgets = _closed_budgets([c.id for c in closed])
    for c in closed:
        budget = budgets.get(c.id)
        if budget is not None:  # a participatory budget: each heading's election as a Pabulib file
            for heading in budget.headings:
                part = heading.ward.name if heading.ward is not None else "the whole city"
                yield Distribution(f"{c.title}: {part}, the anonymised election (Pabulib .pb)", url_for(
                    "consultations_budget_results.pabulib_file", budget_id=budget.id, heading_id=heading.id,
                    _external=True), "text/plain")
        for endpoint, what, media in (("ballots_csv", "ballots (CSV)", "text/csv"),
                                      ("ballots_json", "ballots (JSON)", "application/json"),
                                      ("receipts_csv", "receipts (CSV)", "text/csv"),
                                      ("receipts_json", "receipts (JSON)", "application/json")):
            yield Distribution(f"{c.title}: {what}", url_for(f"consultations.{endpoint}", consultation_id=c.id,
                                                              _external=True), media)


CONSULTATIONS_DATASET = Dataset(
    key="consultations", title="Consultations",
    description="Every published consultation with its turnout; once closed, its results, its anonymised ballots "
                "(shuffled, with nothing linking them to a voter) and its receipt list, from which anyone can "
                "recount the results; for a participatory budget, each part's anonymised election as a Pabulib "
                ".pb file, from which anyone can recompute the funded projects.",
    columns=COLUMNS, rows=rows, distributions=distributions,
    keywords=("participation", "consultations", "ballots", "Westminster"))

DATASETS = (CONSULTATIONS_DATASET,)
