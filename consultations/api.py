"""JSON API (``/api/v1``) of consultations: the list, one consultation with its questions, the results after
close, the ballot and receipt files, and casting a ballot with a personal access token (the same rules as the
web page: :func:`consultations.ballots.cast`)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask_login import current_user

from civic import api, openapi
from civic.accounts.api_tokens import api_user
from civic.api import envelope, iso, paging, payload, require_user, write_limit
from civic.openapi import json_body
from consultations import ballots, pages, results, services
from consultations.models import Consultation

bp = api.blueprint("consultations_api", __name__)
COLLECTIONS = (api.Collection("consultations", "consultations_api.index",
                              "Published consultations: their questions, results after close, ballot and receipt "
                              "files; casting a ballot with a token."),)

_OPTION = openapi.obj(("id", "text"), id=openapi.INTEGER, text=openapi.STRING, description=openapi.STRING)
_QUESTION = openapi.obj(("id", "kind", "title", "options"), id=openapi.INTEGER,
                        kind={"type": "string", "description": "single, multiple or ranked"},
                        title=openapi.STRING, description=openapi.STRING, min_choices=openapi.INTEGER,
                        max_choices=openapi.nullable(openapi.INTEGER), rule=openapi.STRING,
                        options={"type": "array", "items": _OPTION})
_CONSULTATION = openapi.obj(("id", "title", "status", "opens_at", "closes_at", "url"), id=openapi.INTEGER,
                            title=openapi.STRING, status={"enum": ["upcoming", "open", "closed", "draft"]},
                            opens_at=openapi.TIME, closes_at=openapi.TIME, turnout=openapi.INTEGER,
                            who=openapi.STRING, url=openapi.URL, results=openapi.nullable(openapi.URL),
                            questions={"type": "array", "items": _QUESTION})
_BALLOT_BODY = openapi.obj(("answers",), answers={
    "type": "object", "description": "Question id -> answer: single, an option id; multiple, a list of option ids; "
                                     "ranked, a list of option ids in order of preference (first = 1)."})
_RECEIPT = openapi.obj(("receipt",), receipt={"type": "string", "description": "Shown once."})


def _visible(consultation_id: int) -> Consultation:
    return services.get_visible(api_user() or current_user, consultation_id)


def consultation_json(consultation: Consultation, *, detail: bool = False) -> dict[str, Any]:
    status = services.status(consultation)
    data = {"id": consultation.id, "title": consultation.title, "status": status,
            "opens_at": iso(consultation.opens_at), "closes_at": iso(consultation.closes_at),
            "turnout": consultation.turnout, "who": pages.who_may_take_part(consultation),
            "url": url_for("consultations.show", consultation_id=consultation.id, _external=True),
            "results": url_for(".results_json", consultation_id=consultation.id, _external=True)
            if status == "closed" else None}
    if detail:
        data["introduction"] = consultation.introduction
        data["questions"] = [
            {"id": v.question.id, "kind": v.question.kind, "title": v.question.title,
             "description": v.question.description, "min_choices": v.question.min_choices,
             "max_choices": v.question.max_choices, "rule": v.rule,
             "options": [{"id": o.id, "text": o.text, "description": o.description} for o in v.question.options]}
            for v in pages.questions(consultation)]
    return data


@bp.get("/consultations")
@openapi.operation("Consultations", description="Published consultations, newest opening first.",
                   parameters=openapi.paging(), responses={200: openapi.page_of(_CONSULTATION)},
                   tags=["consultations"])
def index():
    page, per_page = paging()
    listing = pages.listing(api_user(), page, None, per_page=per_page)
    items = [consultation_json(c) for c in listing.items]
    return api.listed(envelope(items, page, per_page, listing.total))


@bp.get("/consultations/<int:consultation_id>")
@openapi.operation("A consultation with its questions", responses={200: _CONSULTATION}, errors=(404,),
                   tags=["consultations"])
def consultation(consultation_id: int):
    return jsonify(consultation_json(_visible(consultation_id), detail=True))


@bp.get("/consultations/<int:consultation_id>/results")
@openapi.operation("The results, after close", description="409 until the consultation closes.",
                   responses={200: {"type": "object"}}, errors=(404, 409), tags=["consultations"])
def results_json(consultation_id: int):
    return jsonify(results.results(_visible(consultation_id)))


@bp.get("/consultations/<int:consultation_id>/ballots")
@openapi.operation("The anonymised ballots, shuffled, after close",
                   description="With the questions; recount with `flask consultations tally`.",
                   responses={200: {"type": "object"}}, errors=(404, 409), tags=["consultations"])
def ballot_file(consultation_id: int):
    return jsonify(results.ballot_file(_visible(consultation_id)))


@bp.get("/consultations/<int:consultation_id>/receipts")
@openapi.operation("The receipt list, after close", responses={200: {"type": "object"}}, errors=(404, 409),
                   tags=["consultations"])
def receipts(consultation_id: int):
    consultation = _visible(consultation_id)
    return jsonify({"consultation": consultation.id, "receipts": results.receipt_codes(consultation)})


@bp.post("/consultations/<int:consultation_id>/ballot")
@openapi.operation("Cast your ballot", request_body=json_body(_BALLOT_BODY, "A JSON object."),
                   responses={201: _RECEIPT}, errors=(403, 409, 422, 429), sign_in=True, tags=["consultations"])
@write_limit
def cast(consultation_id: int):
    user = require_user()
    consultation = services.get_visible(user, consultation_id)
    data = payload()
    code = ballots.cast(user, consultation, data.get("answers") if isinstance(data, dict) else None)
    return jsonify({"receipt": ballots.shown(code)}), 201
