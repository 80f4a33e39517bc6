"""Consultations in the platform's search: published ones not hidden by moderation, with their period (open now,
upcoming, finished) and their wards."""

from __future__ import annotations

from civic import search
from consultations.models import Consultation


def _document(consultation: Consultation) -> search.Document | None:
    if not consultation.is_published or consultation.hidden_at is not None:
        return None
    questions = "\n".join(q.title for q in consultation.questions)
    return search.Document(
        title=consultation.title, body=search.plain(f"{consultation.introduction}\n\n{questions}"),
        ward=search.WHOLE_CITY if consultation.whole_city else [w.slug for w in consultation.wards],
        programme=consultation.process.programme.slug if consultation.process else None,
        date=consultation.published_at, starts=consultation.opens_at, ends=consultation.closes_at,
        parent=f"process:{consultation.process_id}" if consultation.process_id else None)


CONSULTATIONS = search.SearchType(
    name="consultation", label="Consultation", plural="Consultations", model=Consultation, to_document=_document,
    indexed_columns=frozenset({"title", "introduction", "state", "published_at", "hidden_at", "opens_at",
                               "closes_at", "whole_city", "process_id"}),
    states=dict(search.PERIOD_STATES), position=30)
