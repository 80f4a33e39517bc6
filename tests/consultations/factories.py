"""The consultations' rows for tests, on top of the core's factories (written directly, no audit entry)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from civic.db import db, utcnow
from consultations.models import Consultation, Option, Question
from tests.factories import save, unique, ward_named

#: (kind, title, options[, min_choices, max_choices])
QuestionSpec = tuple

DEFAULT_QUESTIONS: tuple[QuestionSpec, ...] = (
    ("single", "Should the park open later?", ["Yes", "No", "Not sure"]),
    ("multiple", "Which facilities would you use?", ["Gym", "Table tennis", "Garden", "Fountain"], 1, 2),
    ("ranked", "Rank the improvements", ["Lighting", "Trees", "Play area", "Toilets"], 1, 3),
)


def consultation(*, title: str | None = None, questions: Sequence[QuestionSpec] = DEFAULT_QUESTIONS,
                 opens: datetime | None = None, closes: datetime | None = None, published: bool = True,
                 wards: Iterable[str] = (), process=None, minimum_age: bool = False, commit: bool = True,
                 created_by=None) -> Consultation:
    """A consultation open now (from yesterday for a week) unless ``opens``/``closes`` say otherwise, published
    unless ``published=False``, with ``questions``: (kind, title, [options], min, max); ranked with max None
    ranks all."""
    now = utcnow()
    opens = opens or now - timedelta(days=1)
    closes = closes or now + timedelta(days=7)
    made = Consultation(title=title or f"Consultation {unique()}", introduction="Tell us **what you think**.",
                        opens_at=opens, closes_at=closes, state="published" if published else "draft",
                        published_at=opens - timedelta(days=1) if published else None,
                        whole_city=not wards, minimum_age=16 if minimum_age else None,
                        process_id=process.id if process is not None else None,
                        created_by_id=created_by.id if created_by is not None else None)
    made.wards = [ward_named(w) for w in wards]
    for n, spec in enumerate(questions):
        kind, text, options = spec[:3]
        low = spec[3] if len(spec) > 3 else (len(options) if kind == "ranked" else 1)
        high = spec[4] if len(spec) > 4 else (None if kind == "ranked" else (1 if kind == "single" else len(options)))
        q = Question(kind=kind, title=text, min_choices=low, max_choices=high, position=n)
        q.options = [Option(text=t, position=k) for k, t in enumerate(options)]
        made.questions.append(q)
    db.session.add(made)
    save(commit)
    return made


def option_ids(consultation: Consultation, question: int) -> list[int]:
    """The option ids of the consultation's ``question``-th question (0-based), in ballot order."""
    return [o.id for o in consultation.questions[question].options]
