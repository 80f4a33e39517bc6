"""Public pages of consultations: the list, a consultation with its ballot, the review step, casting (the receipt
shown once), the receipt check, the results after close and the open-data files.

Thin: read the request, call a rule in :mod:`consultations.ballots` or :mod:`consultations.results`, render.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic import exports, policy
from civic.comments import services as comments
from civic.errors import RuleViolation
from civic.spaces import services as spaces
from civic.web import page_arg
from consultations import ballots, budgets, pages, results, services
from consultations.forms import ReceiptForm

bp = Blueprint("consultations", __name__)

LISTS = ("open", "closed")


@bp.get("/consultations/")
def index():
    which = request.args.get("show")
    which = which if which in LISTS else None
    listing = pages.listing(current_user, page_arg(), which)
    return render_template("consultations/index.html", listing=listing, which=which, status=services.status,
                           labels=pages.STATUS_LABELS, who=pages.who_may_take_part)


@bp.get("/processes/<slug>/consultations")
def in_process(slug: str):
    """A participatory process's consultations (its "Consultations" tab)."""
    process = spaces.get_visible(current_user, slug)
    listing = pages.listing(current_user, page_arg(), None, process_id=process.id)
    return render_template("consultations/index.html", listing=listing, which=None, status=services.status,
                           labels=pages.STATUS_LABELS, who=pages.who_may_take_part, process=process)


def _page(consultation, *, errors=None, values=None, status=200):
    context = pages.consultation_view(current_user, consultation)
    if consultation.is_published and consultation.hidden_at is None:
        context["thread"] = comments.thread("consultation", consultation.id, current_user,
                                            order=request.args.get("order", "oldest"))
    return render_template("consultations/show.html", errors=errors or {}, values=values or {},
                           preview=False, **context), status


@bp.get("/consultations/<int:consultation_id>")
def show(consultation_id: int):
    consultation = services.get_visible(current_user, consultation_id)
    if budgets.is_budget(consultation):  # a participatory budget has its own page and ballot
        return redirect(url_for("consultations_budgets.by_consultation", consultation_id=consultation.id))
    return _page(consultation)


def _read_ballot(consultation):
    """(rows, answers, errors): the answers from the form, checked by each question's kind."""
    answers, errors = {}, {}
    for q in consultation.questions:
        try:
            answers[q.id] = ballots.kinds.get(q.kind).from_form(q, request.form)
        except RuleViolation as e:
            errors[e.field or f"q{q.id}"] = e.message
    rows = {}
    if not errors:
        for q in consultation.questions:
            try:
                rows[q.id] = ballots.kinds.get(q.kind).check(q, answers[q.id])
            except RuleViolation as e:
                errors[e.field or f"q{q.id}"] = e.message
    return rows, answers, errors


def _form_values(consultation) -> dict[str, list[str]]:
    return {key: request.form.getlist(key) for key in request.form}


@bp.post("/consultations/<int:consultation_id>/review")
@login_required
def review(consultation_id: int):
    """The review step: the choices as they will be cast, with the warning that the ballot is final."""
    consultation = services.get_visible(current_user, consultation_id)
    policy.require(current_user, "consultation.vote", consultation)
    refusal = ballots.voter_refusal(current_user, consultation)
    if refusal:
        return _page(consultation, errors={"ballot": refusal}, status=409)
    rows, _answers, errors = _read_ballot(consultation)
    if errors:
        return _page(consultation, errors=errors, values=_form_values(consultation))
    return render_template("consultations/review.html", consultation=consultation,
                           lines=pages.review_lines(consultation, rows), values=_form_values(consultation))


@bp.post("/consultations/<int:consultation_id>/vote")
@login_required
def vote(consultation_id: int):
    """Cast the ballot; the receipt is shown on this response, once."""
    consultation = services.get_visible(current_user, consultation_id)
    policy.require(current_user, "consultation.vote", consultation)  # not eligible: 403 with the reason
    refusal = ballots.voter_refusal(current_user, consultation)
    if refusal:
        return _page(consultation, errors={"ballot": refusal}, status=409)
    rows, answers, errors = _read_ballot(consultation)
    if errors:
        return _page(consultation, errors=errors, values=_form_values(consultation))
    try:
        code = ballots.cast(current_user, consultation, answers)
    except RuleViolation as e:
        return _page(consultation, errors={"ballot": e.message}, status=409)
    return render_template("consultations/receipt.html", consultation=consultation, code=ballots.shown(code))


@bp.get("/consultations/<int:consultation_id>/receipt")
def receipt(consultation_id: int):
    consultation = services.get_visible(current_user, consultation_id)
    form = ReceiptForm(request.args)
    found = None
    if request.args.get("code") is not None and form.validate():
        try:
            found = ballots.receipt_counted(consultation, form.code.data)
        except RuleViolation as e:
            form.code.errors = [e.message]
    return render_template("consultations/check_receipt.html", consultation=consultation, form=form, found=found)


@bp.get("/consultations/<int:consultation_id>/results")
def results_page(consultation_id: int):
    consultation = services.get_visible(current_user, consultation_id)
    if not services.is_closed(consultation):
        return render_template("consultations/not_yet.html", consultation=consultation,
                               message=_("The results are counted after the consultation closes."))
    return render_template("consultations/results.html", consultation=consultation,
                           data=pages.results_view(consultation))


def _closed(consultation_id: int):
    consultation = services.get_visible(current_user, consultation_id)
    results.require_closed(consultation)
    return consultation


@bp.get("/consultations/<int:consultation_id>/ballots.csv")
def ballots_csv(consultation_id: int):
    consultation = _closed(consultation_id)
    header, rows = results.ballot_csv_rows(consultation)
    response = exports.stream_csv(exports.download_name(f"consultation-{consultation.id}-ballots", "csv"),
                                  header, rows)
    return exports.open_data(response, public=True)


@bp.get("/consultations/<int:consultation_id>/ballots.json")
def ballots_json(consultation_id: int):
    consultation = _closed(consultation_id)
    data = results.ballot_file(consultation)
    chunks = exports.json_document(data["ballots"], key="ballots",
                                   consultation=data["consultation"], questions=data["questions"])
    return exports.open_data(exports.stream_json(
        exports.download_name(f"consultation-{consultation.id}-ballots", "json"), chunks), public=True)


@bp.get("/consultations/<int:consultation_id>/receipts.csv")
def receipts_csv(consultation_id: int):
    consultation = _closed(consultation_id)
    response = exports.stream_csv(exports.download_name(f"consultation-{consultation.id}-receipts", "csv"),
                                  ["receipt"], ([code] for code in results.receipt_codes(consultation)))
    return exports.open_data(response, public=True)


@bp.get("/consultations/<int:consultation_id>/receipts.json")
def receipts_json(consultation_id: int):
    consultation = _closed(consultation_id)
    chunks = exports.json_document(results.receipt_codes(consultation), key="receipts",
                                   consultation={"id": consultation.id, "title": consultation.title})
    return exports.open_data(exports.stream_json(
        exports.download_name(f"consultation-{consultation.id}-receipts", "json"), chunks), public=True)
