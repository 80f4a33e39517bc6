"""Read-models of consultations for pages and the API: the list, one consultation with what the viewer may do,
and the results with their charts' figures. A fixed number of queries each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from civic.db import Page, paginate, utcnow
from consultations import ballots, kinds, results, services
from consultations.models import Consultation, Question

PER_PAGE = 20
STATUS_LABELS = {"draft": "Draft", "upcoming": "Opens soon", "open": "Open now", "closed": "Closed"}


def listing(user: Any, page: int, which: str | None = None, *, process_id: int | None = None,
            per_page: int = PER_PAGE) -> Page:
    """Published consultations (officers also see drafts), newest opening first: three queries whatever the
    number (the count, the page, their questions and wards by ``selectin``)."""
    stmt: Select = select(Consultation).options(selectinload(Consultation.questions).selectinload(Question.options),
                                                selectinload(Consultation.wards))
    if not getattr(user, "is_officer", False):
        stmt = stmt.where(Consultation.state == "published", Consultation.hidden_at.is_(None))
    if process_id is not None:
        stmt = stmt.where(Consultation.process_id == process_id)
    now = utcnow()
    if which == "open":
        stmt = stmt.where(Consultation.state == "published", Consultation.opens_at <= now,
                          Consultation.closes_at > now)
    elif which == "closed":
        stmt = stmt.where(Consultation.state == "published", Consultation.closes_at <= now)
    return paginate(stmt.order_by(Consultation.opens_at.desc(), Consultation.id.desc()), page, per_page)


def who_may_take_part(consultation: Consultation) -> str:
    parts = [_("Verified residents")]
    if not consultation.whole_city:
        parts.append(_("of %(wards)s", wards=", ".join(w.name for w in consultation.wards)))
    else:
        parts.append(_("of the whole city"))
    if consultation.minimum_age:
        parts.append(_("aged %(age)d or over", age=consultation.minimum_age))
    return " ".join(str(p) for p in parts) + "."


@dataclass
class QuestionView:
    question: Question
    kind: kinds.Kind
    rule: str
    field: str


def questions(consultation: Consultation) -> list[QuestionView]:
    out = []
    for q in consultation.questions:
        kind = kinds.get(q.kind)
        out.append(QuestionView(q, kind, kind.rule_text(q), kinds.field_name(q)))
    return out


def consultation_view(user: Any, consultation: Consultation) -> dict[str, Any]:
    """Everything the consultation's page shows: its state, who may take part, whether this viewer may vote and
    why not, the turnout (a count, live), and the questions. The roll is read once (and not at all signed out)."""
    status = services.status(consultation)
    entry = ballots.roll_entry(consultation, user) if status != "draft" else None
    refusal = ballots.voter_refusal(user, consultation, entry)
    return {"consultation": consultation, "status": status, "status_label": STATUS_LABELS[status],
            "who": who_may_take_part(consultation), "refusal": refusal, "may_vote": refusal is None,
            "voted": entry, "questions": questions(consultation), "turnout": consultation.turnout,
            "results_ready": status == "closed"}


def chosen_values(consultation: Consultation, answers: dict[int, Any]) -> dict[int, Any]:
    return {q.id: answers.get(q.id) for q in consultation.questions}


def review_lines(consultation: Consultation, rows: dict[int, list[tuple[int, int | None]]]) -> list[dict[str, Any]]:
    """The review step: each question with the options chosen (ranked: in order), as the voter will cast them."""
    out = []
    for q in consultation.questions:
        names = {o.id: o.text for o in q.options}
        chosen = sorted(rows.get(q.id, []), key=lambda row: row[1] or 0)
        out.append({"question": q, "kind": q.kind, "choices": [names[o] for o, _r in chosen],
                    "value": kinds.get(q.kind).as_value(rows.get(q.id, []))})
    return out


def results_view(consultation: Consultation) -> dict[str, Any]:
    """The results with option names beside ids, and the largest figure of each chart (for its scale)."""
    data = results.results(consultation)
    names = {o.id: o.text for q in consultation.questions for o in q.options}
    for q in data["questions"]:
        result = q["result"]
        for row in result["options"]:
            row["text"] = names.get(row["option"], str(row["option"]))
        result["top"] = max([row["votes"] for row in result["options"]] + [1])
        if "runoff" in result:
            for round_ in result["runoff"]["rounds"]:
                for row in round_["votes"]:
                    row["text"] = names.get(row["option"], str(row["option"]))
                round_["eliminated_text"] = names.get(round_["eliminated"]) if round_["eliminated"] else None
            winner = result["runoff"]["winner"]
            result["runoff"]["winner_text"] = names.get(winner) if winner else None
            for row in result["borda"]["points"]:
                row["text"] = names.get(row["option"], str(row["option"]))
            result["borda"]["top"] = max([row["points"] for row in result["borda"]["points"]] + [1])
    return data
