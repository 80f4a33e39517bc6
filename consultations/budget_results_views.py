"""A participatory budget's results after the close (blueprint ``consultations_budget_results``): the page with
both rules side by side and, for officers, the choice of the official rule; each heading's anonymised election as
a Pabulib ``.pb`` file; the same results and files in the JSON API (``consultations_budget_results_api``).

Thin: read the request, call :mod:`consultations.budget_results`, render.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField

from civic import api, exports, openapi
from civic.accounts.api_tokens import api_user
from civic.web import attempt
from consultations import budget_results, budgets, services

bp = Blueprint("consultations_budget_results", __name__)
api_bp = api.blueprint("consultations_budget_results_api", __name__)


class OutcomeForm(FlaskForm):
    # The service refuses an unknown rule with its own words (validate_choice off).
    rule = RadioField(choices=list(budget_results.RULE_LABELS.items()), validate_choice=False)


def _form(budget, *, submitted: bool = False) -> OutcomeForm:
    form = OutcomeForm() if submitted else OutcomeForm(formdata=None, data={"rule": budget.outcome_rule})
    form.rule.label.text = _("The official outcome")
    return form


def _results_page(budget, form=None, status=200):
    consultation = budget.consultation
    if not services.is_closed(consultation):
        return render_template("consultations/not_yet.html", consultation=consultation,
                               message=_("The results are counted after voting closes.")), 200
    view = budget_results.page_view(current_user, budget)
    if form is None and view["may_choose"]:  # only officers get the form (and so a CSRF token in their session)
        form = _form(budget)
    return render_template("consultations/budget_results.html", form=form, **view), status


@bp.get("/budgets/<int:budget_id>/results")
def results(budget_id: int):
    return _results_page(budgets.get_visible(current_user, budget_id))


@bp.post("/budgets/<int:budget_id>/outcome")
@login_required
def choose(budget_id: int):
    """Officers pick the official rule after the close (audit-logged); the funded projects follow from it."""
    budget = budgets.get_managed(current_user, budget_id)
    if not services.is_closed(budget.consultation):  # the page has no form yet: say why on it
        flash(_("The outcome rule is chosen after voting closes."), "error")
        return redirect(url_for(".results", budget_id=budget.id))
    form = _form(budget, submitted=True)
    ok, funded = attempt(form, lambda: budget_results.choose_rule(current_user, budget, form.rule.data))
    if ok:
        flash(_("The official outcome is %(rule)s: %(n)d projects funded.",
                rule=budget_results.RULE_LABELS[form.rule.data], n=len(funded)), "success")
        return redirect(url_for(".results", budget_id=budget.id))
    return _results_page(budget, form=form)


def _pb_response(budget, heading_id: int) -> Response:
    heading = budget_results.heading_of(budget, heading_id)
    text = budget_results.pb_text(budget, heading)
    response = Response(text, content_type="text/plain; charset=utf-8")
    exports.attachment(response, exports.download_name(budget_results.pb_filename(budget, heading), "pb"))
    return exports.open_data(response, public=True)


@bp.get("/budgets/<int:budget_id>/results/<int:heading_id>.pb")
def pabulib_file(budget_id: int, heading_id: int):
    return _pb_response(budgets.get_visible(current_user, budget_id), heading_id)


# The JSON API -----------------------------------------------------------------------------------------------


def _visible(budget_id: int):
    return budgets.get_visible(api_user() or current_user, budget_id)


@api_bp.get("/budgets/<int:budget_id>/results")
@openapi.operation("A budget's results, after close",
                   description="Each heading (the city's money, or a ward's): its projects most votes first and "
                               "what the greedy rule and the Method of Equal Shares fund, each rule's money, "
                               "voters with a funded project they chose and funded line; the official rule once "
                               "officers pick it; the address of its Pabulib file. 409 until voting closes.",
                   responses={200: {"type": "object"}}, errors=(404, 409), tags=["budgets"])
def results_json(budget_id: int):
    return jsonify(budget_results.api_view(_visible(budget_id)))


@api_bp.get("/budgets/<int:budget_id>/results/<int:heading_id>/pabulib")
@openapi.operation("A heading's anonymised election as a Pabulib .pb file, after close",
                   description="Recompute it with `flask consultations tally FILE.pb`. 409 until voting closes.",
                   responses={200: "The .pb file (text)."}, errors=(404, 409), tags=["budgets"],
                   content_type="text/plain")
def pabulib_json(budget_id: int, heading_id: int):
    return _pb_response(_visible(budget_id), heading_id)

