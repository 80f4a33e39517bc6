"""Results after close, the ballot file and the recount.

Nobody sees a count of choices before the close, officers and administrators included: :func:`results` refuses.
Turnout (a count of ballots) is live. After the close the results are computed from the ballots with
:mod:`consultations.tallies` through each question's kind, and frozen (``results_json``) by the scheduled task
``consultations.count``, which also tells the followers; the ballots cannot change after the close, so the
live computation before the freeze and the frozen one are the same.

The ballot file (:func:`ballot_file`) holds the questions with their options and every ballot's choices,
shuffled, and nothing else; :func:`tally_file` recounts from such a file alone, exactly as :func:`results` counts.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import defaultdict
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from civic import events
from civic.db import db, utcnow
from civic.errors import RuleViolation
from civic.exports import timestamp
from civic.spaces.models import Ward
from civic.spaces.services import when
from consultations import kinds
from consultations.models import Ballot, Choice, Consultation, Receipt, RollEntry
from consultations.services import is_closed

#: Turnout in a ward below this is shown as "<10", so that a tiny ward's count cannot single anyone out.
SMALL = 10


def masked(n: int) -> int | str:
    return n if n >= SMALL else f"<{SMALL}"


def require_closed(consultation: Consultation) -> None:
    if not is_closed(consultation):
        raise RuleViolation(_("The results are counted after the consultation closes on %(when)s. Until then only "
                              "the number of ballots is shown.", when=when(consultation.closes_at)))


# The ballots ------------------------------------------------------------------------------------------------


def questions_spec(consultation: Consultation) -> list[dict[str, Any]]:
    return [{"id": q.id, "kind": q.kind, "title": q.title, "min_choices": q.min_choices,
             "max_choices": q.max_choices,
             "options": [{"id": o.id, "text": o.text, "position": o.position} for o in q.options]}
            for q in consultation.questions]


def ballots_of(consultation: Consultation) -> list[dict[int, tuple[int, ...]]]:
    """Every ballot as {question id: option ids (ranked: in rank order)}, in the order of their random keys."""
    per: dict[str, dict[int, list[tuple[int, int]]]] = {}
    for key in db.session.scalars(select(Ballot.id).where(Ballot.consultation_id == consultation.id)):
        per[key] = defaultdict(list)
    rows = db.session.execute(
        select(Choice.ballot_id, Choice.question_id, Choice.option_id, Choice.rank)
        .join(Ballot, Ballot.id == Choice.ballot_id).where(Ballot.consultation_id == consultation.id))
    for ballot_id, question_id, option_id, rank in rows:
        per[ballot_id][question_id].append((rank or 0, option_id))
    return [{q: tuple(o for _r, o in sorted(chosen)) for q, chosen in answers.items()}
            for _k, answers in sorted(per.items())]


def tally(spec: list[dict[str, Any]], ballots: list[dict[int, tuple[int, ...]]]) -> list[dict[str, Any]]:
    """Each question's result from the questions' specification and the ballots alone."""
    out = []
    for q in spec:
        option_ids = [o["id"] for o in sorted(q["options"], key=lambda o: o["position"])]
        question_ballots = [tuple(b.get(q["id"], ())) for b in ballots]
        kind = kinds.get(q["kind"])
        out.append({"id": q["id"], "kind": q["kind"], "title": q["title"],
                    "result": kind.tally(q, option_ids, question_ballots)})
    return out


def turnout(consultation: Consultation) -> dict[str, Any]:
    """Ballots cast (live), online and on paper, and by ward (masked under 10)."""
    by_channel = dict(db.session.execute(select(RollEntry.channel, func.count()).where(
        RollEntry.consultation_id == consultation.id).group_by(RollEntry.channel)).all())
    by_ward = db.session.execute(
        select(Ward.name, func.count(RollEntry.id)).join(Ward, Ward.id == RollEntry.ward_id)
        .where(RollEntry.consultation_id == consultation.id).group_by(Ward.name).order_by(Ward.name)).all()
    return {"ballots": consultation.turnout, "online": masked(by_channel.get("online", 0)),
            "paper": masked(by_channel.get("paper", 0)),
            "wards": [{"ward": name, "ballots": masked(n)} for name, n in by_ward]}


def compute(consultation: Consultation) -> dict[str, Any]:
    spec = questions_spec(consultation)
    return {"consultation": consultation.id, "closed_at": timestamp(consultation.closes_at),
            "turnout": turnout(consultation), "questions": tally(spec, ballots_of(consultation))}


def results(consultation: Consultation) -> dict[str, Any]:
    """The published results: frozen at the count, or computed now (the same) until the task has counted."""
    require_closed(consultation)
    if consultation.results_json:
        return json.loads(consultation.results_json)
    return compute(consultation)


def count_closed(now=None) -> int:
    """The scheduled task: freeze the results of consultations that have closed, and tell their followers."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(Consultation.id).where(
        Consultation.state == "published", Consultation.closes_at <= now, Consultation.counted_at.is_(None))))
    for cid in ids:
        consultation = db.session.get(Consultation, cid)
        frozen = json.dumps(compute(consultation), sort_keys=True)
        done = db.session.execute(update(Consultation).where(Consultation.id == cid,
                                                             Consultation.counted_at.is_(None))
                                  .values(results_json=frozen, counted_at=now))
        if done.rowcount:
            events.publish("consultation.results_published", consultation)
    return len(ids)


def count_task() -> str:
    return f"{count_closed()} consultations counted"


# Files ------------------------------------------------------------------------------------------------------


def ballot_records(consultation: Consultation) -> list[dict[str, list[int]]]:
    """The anonymised ballots, shuffled afresh each time: {"<question id>": [option ids]}."""
    require_closed(consultation)
    records = [{str(q): list(chosen) for q, chosen in sorted(b.items())} for b in ballots_of(consultation)]
    random.SystemRandom().shuffle(records)
    return records


def ballot_file(consultation: Consultation) -> dict[str, Any]:
    return {"consultation": {"id": consultation.id, "title": consultation.title,
                             "closes_at": timestamp(consultation.closes_at)},
            "questions": questions_spec(consultation), "ballots": ballot_records(consultation)}


def ballot_csv_rows(consultation: Consultation) -> tuple[list[str], list[list[str]]]:
    """CSV: a column per question (``q<id>``); ranked choices joined with ``>`` in rank order, others with
    ``;``."""
    records = ballot_records(consultation)
    header = [f"q{q.id}" for q in consultation.questions]
    joiners = {q.id: ">" if q.kind == "ranked" else ";" for q in consultation.questions}
    rows = [[joiners[q.id].join(str(o) for o in r.get(str(q.id), [])) for q in consultation.questions]
            for r in records]
    return header, rows


def receipt_codes(consultation: Consultation) -> list[str]:
    """The receipt list, in alphabetical order (which says nothing of the order of voting)."""
    require_closed(consultation)
    return list(db.session.scalars(select(Receipt.code).where(Receipt.consultation_id == consultation.id)
                                   .order_by(Receipt.code)))


def read_ballot_file(text: str, spec: list[dict[str, Any]] | None = None) -> tuple[list[dict], list[dict]]:
    """(questions, ballots) from a ballot file: JSON (with its questions) or CSV (questions from ``spec``)."""
    stripped = text.lstrip("\ufeff").lstrip()
    if stripped.startswith("{"):
        data = json.loads(stripped)
        spec = data["questions"]
        ballots = [{int(q): tuple(int(o) for o in chosen) for q, chosen in b.items()} for b in data["ballots"]]
        return spec, ballots
    if spec is None:
        raise ValueError("a CSV ballot file needs the consultation's questions")
    reader = csv.DictReader(io.StringIO(stripped))
    expected = [f"q{q['id']}" for q in spec]
    if list(reader.fieldnames or []) != expected:
        raise ValueError(f"the CSV's columns should be {', '.join(expected)}")
    ballots = []
    for row in reader:
        ballot = {}
        for column, cell in row.items():
            if column and column.startswith("q") and cell:
                ballot[int(column[1:])] = tuple(int(o) for o in cell.replace(">", ";").split(";") if o)
        ballots.append(ballot)
    return spec, ballots


def tally_file(text: str, spec: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Each question's result recounted from a ballot file alone."""
    questions, ballots = read_ballot_file(text, spec)
    return tally(questions, ballots)
