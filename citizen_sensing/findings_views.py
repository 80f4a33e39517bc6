"""The pages of a campaign's results for the council.

Blueprint ``sensing_findings`` (public, and the organisers' forms): the report, its editor with the preview,
submitting a finding, a finding's page, turning a finding into a proposal. Blueprint ``sensing_findings_admin``
(officers): the findings awaiting an answer and the answer form."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from citizen_sensing import findings, reports, services
from citizen_sensing.finding_forms import AnswerForm, FindingForm, MakeForm, ReportForm
from citizen_sensing.policy import organises
from civic import canned, policy, resources
from civic.errors import PermissionDenied
from civic.web import attempt, page_arg

bp = Blueprint("sensing_findings", __name__, url_prefix="/sensing")
admin_bp = Blueprint("sensing_findings_admin", __name__, url_prefix="/sensing/findings")


def _writer_campaign(slug: str):
    campaign = services.get_campaign(current_user, slug)
    policy.require(current_user, "sensing.report", campaign)
    return campaign


@bp.get("/<slug>/report")
def report(slug: str):
    """The published report; its organisers (and officers) are told when there is none yet."""
    campaign = services.get_campaign(current_user, slug)
    found = findings.report_of(campaign)
    if (found is None or not found.is_published) and not (organises(current_user, campaign)
                                                           or getattr(current_user, "is_officer", False)):
        abort(404)
    rendered = reports.render(campaign, found.body) if found is not None and found.is_published else None
    return render_template("citizen_sensing/report.html", campaign=campaign, report=found, rendered=rendered,
                           may_write=policy.can(current_user, "sensing.report", campaign))


@bp.route("/<slug>/report/edit", methods=["GET", "POST"])
@login_required
def edit_report(slug: str):
    """Write the report: save the draft and see it as readers will (with the charts' problems), or publish it."""
    campaign = _writer_campaign(slug)
    found = findings.report_of(campaign)
    form = ReportForm()
    if request.method == "GET" and found is not None:
        form.body.data = found.draft
    publishing = request.form.get("then") == "publish"
    ok, saved = attempt(form, lambda: (findings.publish_report if publishing else findings.save_draft)(
        current_user, campaign, form.body.data))
    if ok and publishing:
        flash(_("The report is published."), "success")
        return redirect(url_for(".report", slug=slug))
    if ok:
        flash(_("The draft is saved. The preview below shows it as readers will see it."), "success")
        return redirect(url_for(".edit_report", slug=slug, _anchor="preview-title"))
    found = saved or findings.report_of(campaign)
    preview = reports.render(campaign, form.body.data if request.method == "POST" else
                             (found.draft if found is not None else ""), author=True)
    return render_template("citizen_sensing/report_edit.html", campaign=campaign, report=found, form=form,
                           preview=preview, max_charts=reports.MAX_CHARTS)


@bp.route("/<slug>/findings/new", methods=["GET", "POST"])
@login_required
def new_finding(slug: str):
    campaign = _writer_campaign(slug)
    found = findings.report_of(campaign)
    form = FindingForm()
    ok, finding = attempt(form, lambda: findings.submit(current_user, campaign, form.title.data, form.summary.data))
    if ok:
        flash(_("Your findings are with the council. Its answer will be public on the campaign's page."), "success")
        return redirect(url_for(".show", finding_id=finding.id))
    return render_template("citizen_sensing/finding_new.html", campaign=campaign, report=found, form=form)


@bp.get("/findings/<int:finding_id>")
def show(finding_id: int):
    finding = findings.get_finding(current_user, finding_id)
    campaign = finding.campaign
    return render_template("citizen_sensing/finding.html", finding=finding, campaign=campaign,
                           rendered=reports.render(campaign, finding.report),
                           made=resources.linked(current_user, findings.TYPE, finding.id, "to"),
                           labels=findings.ANSWER_LABELS,
                           may_make=policy.can(current_user, "sensing.report", campaign),
                           may_answer=policy.can(current_user, "sensing.answer_finding", finding))


@bp.route("/findings/<int:finding_id>/proposal", methods=["GET", "POST"])
@login_required
def make(finding_id: int):
    """Turn the finding into a proposal (or another domain's object) in a process open for proposals."""
    finding = findings.get_finding(current_user, finding_id)
    campaign = finding.campaign
    policy.require(current_user, "sensing.report", campaign)
    form = MakeForm()
    form.target.choices = [("", _("Choose a process"))] + findings.targets(current_user)
    form.ward.choices = [(0, _("Choose a ward"))] + [(w.id, w.name) for w in services.wards()]
    if request.method == "GET" and campaign.wards:
        form.ward.data = campaign.wards[0].id
    ok, made = attempt(form, lambda: findings.make(current_user, finding, form.target.data, form.ward.data or None))
    if ok:
        rt, obj = made
        flash(_("The finding is now a %(what)s: “%(title)s”.", what=rt.label.lower(), title=rt.title_of(obj)),
              "success")
        return redirect(rt.url_of(obj) or url_for(".show", finding_id=finding.id))
    return render_template("citizen_sensing/finding_make.html", finding=finding, campaign=campaign, form=form,
                           made=resources.linked(current_user, findings.TYPE, finding.id, "to"))


# Officers -------------------------------------------------------------------------------------------------------


@admin_bp.get("/awaiting-answer")
@login_required
def awaiting():
    policy.require(current_user, "sensing.answer_finding")
    return render_template("citizen_sensing/findings_awaiting.html", page=findings.awaiting_list(page_arg()),
                           labels=findings.ANSWER_LABELS)


@admin_bp.route("/<int:finding_id>/answer", methods=["GET", "POST"])
@login_required
def answer(finding_id: int):
    if not policy.can(current_user, "sensing.answer_finding"):
        raise PermissionDenied(_("Only council officers can answer a campaign's findings."))
    finding = findings.get_finding(current_user, finding_id)
    form = AnswerForm()
    form.template.choices = canned.choices(findings.ANSWER_TEMPLATES)
    if request.method == "GET" and finding.answer_state != "not_answered":
        form.state.data, form.text.data = finding.answer_state, finding.answer_text
    ok, changed = attempt(form, lambda: findings.answer(
        current_user, finding, form.state.data,
        canned.compose(findings.ANSWER_TEMPLATES, form.template.data, form.text.data)))
    if ok:
        flash(_("The answer is published on the campaign's page.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("sensing_findings.show", finding_id=finding.id, _anchor="answer-title"))
    return render_template("citizen_sensing/finding_answer.html", finding=finding, campaign=finding.campaign,
                           form=form, labels=findings.ANSWER_LABELS)
