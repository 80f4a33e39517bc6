"""Moderation pages: report content, the officer queue and its actions, and the public transparency page.

Thin: parse, call a service (which holds every rule and permission), redirect or render.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_login import current_user, login_required

from civic import canned, resources
from civic.errors import RuleViolation
from civic.extensions import limiter
from civic.moderation import forms, services
from civic.web import form_error, page_arg

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

ACTIONS = {
    "hide": ("Hide", "Hide this content", services.hide, "The content is hidden."),
    "unhide": ("Show again", "Show this content again", services.unhide,
               "The content is shown again and its reports are closed."),
    "dismiss": ("Keep showing", "Keep this content showing", services.dismiss,
                "The content stays up and its reports are closed."),
}
#: Dismissing the reports on hidden content keeps it hidden: the button and the page are named for that outcome.
KEEP_HIDDEN = ("Keep hidden", "Keep this content hidden", services.dismiss,
               "The content stays hidden and its reports are closed.")
#: What each outcome means, on its page above the button.
OUTCOMES = {
    "hide": "Other people will no longer see it. Its author is told why and can appeal.",
    "unhide": "Everyone can see it again. Its open reports are closed, so they cannot hide it again.",
    "dismiss": "It stays visible to everyone. Its open reports are closed.",
    "keep_hidden": "It stays hidden. Its open reports are closed and your note is recorded as the decision; its "
                   "author can still appeal.",
}


@bp.app_template_filter("month_name")
def month_name(month: str) -> str:
    """``"2026-12"`` -> ``"December 2026"`` (the transparency figures' months)."""
    try:
        year, number = (int(part) for part in month.split("-"))
        return format_date(date(year, number, 1), "MMMM yyyy")
    except (ValueError, AttributeError):
        return month


def _user_key() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr or ""


@bp.app_template_global()
def moderation_hidden_notice(resource_type: str, resource_id: int):
    """For the author's view of hidden content: the moderation row saying when and why (one query)."""
    return services.hidden_notice(resource_type, resource_id)


@bp.route("/report/<resource_type>/<int:resource_id>", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", key_func=_user_key, methods=["POST"])
def report(resource_type: str, resource_id: int):
    rt, obj = services.report_target(current_user, resource_type, resource_id)
    already = services.has_reported(current_user, rt.name, obj.id)
    form = forms.ReportForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.report(current_user, rt.name, obj.id, form.reason.data, form.details.data or "")
        except RuleViolation as e:
            form_error(form, e)
        else:
            flash("Thank you for your report. The council's moderators will look at it.", "success")
            return redirect(services.url_of(rt, obj) or url_for("pages.home"))
    return render_template("moderation/report.html", form=form, rt=rt, obj=obj, title=services.title_of(rt, obj),
                           url=services.url_of(rt, obj), already=already)


@bp.get("/")
@login_required
def queue():
    status = request.args.get("status", "open")
    if status not in services.FILTERS:
        status = "open"
    kinds = _reportable_choices()
    kind = request.args.get("kind", "")
    kind = kind if kind in dict(kinds) else ""
    sort = request.args.get("sort", "reports")
    sort = sort if sort in services.QUEUE_SORTS else "reports"
    q = " ".join(request.args.get("q", "").split())[:services.SEARCH_MAX]
    page, items = services.queue(current_user, status, page_arg(), kind=kind, sort=sort, q=q)
    lookup = forms.LookupForm(formdata=None)
    lookup.resource_type.choices = kinds
    return render_template("moderation/queue.html", page=page, items=items, status=status,
                           filters=services.FILTERS, reasons=services.REASONS, lookup=lookup,
                           kinds=kinds, kind=kind, sorts=services.QUEUE_SORTS, sort=sort, q=q,
                           bulk_form=_bulk_form(formdata=None))


def _reportable_choices() -> list[tuple[str, str]]:
    return [(rt.name, rt.label) for rt in resources.with_capability("reportable")]


@bp.get("/lookup")
@login_required
def lookup():
    """Officers hide content that nobody reported: find it by kind and number."""
    services.require_moderator(current_user)
    form = forms.LookupForm(request.args)
    form.resource_type.choices = _reportable_choices()
    if form.validate():
        return redirect(url_for(".hide", resource_type=form.resource_type.data, resource_id=form.resource_id.data))
    if not request.args:
        return redirect(url_for(".queue"))
    page, items = services.queue(current_user, "open", 1)
    return render_template("moderation/queue.html", page=page, items=items, status="open",
                           filters=services.FILTERS, reasons=services.REASONS, lookup=form,
                           kinds=_reportable_choices(), kind="", sorts=services.QUEUE_SORTS, sort="reports",
                           bulk_form=_bulk_form(formdata=None)), 400


def _act(action: str, resource_type: str, resource_id: int):
    rt, obj, mod = services.moderator_target(current_user, resource_type, resource_id)
    keep_hidden = action == "dismiss" and mod is not None and mod.hidden_at is not None
    label, heading, do, done = KEEP_HIDDEN if keep_hidden else ACTIONS[action]
    form = forms.ActionForm(formdata=_with_canned(_purpose(action)))
    if request.method == "POST" and form.validate_on_submit():
        try:
            do(current_user, rt.name, obj.id, form.note.data)
        except RuleViolation as e:
            form_error(form, e)
        else:
            flash(done, "success")
            return redirect(url_for(".queue"))
    reports = services.open_reports(mod)
    return render_template("moderation/act.html", form=form, action=action, label=label, heading=heading, rt=rt,
                           outcome=OUTCOMES["keep_hidden" if keep_hidden else action],
                           obj=obj, mod=mod, reports=reports, title=services.title_of(rt, obj),
                           refusal=services.own_content_refusal(current_user, rt, obj, action),
                           url=services.url_of(rt, obj), reasons=services.REASONS,
                           canned_texts=canned.for_purpose(_purpose(action)))


@bp.route("/<resource_type>/<int:resource_id>/hide", methods=["GET", "POST"])
@login_required
def hide(resource_type: str, resource_id: int):
    return _act("hide", resource_type, resource_id)


@bp.route("/<resource_type>/<int:resource_id>/unhide", methods=["GET", "POST"])
@login_required
def unhide(resource_type: str, resource_id: int):
    return _act("unhide", resource_type, resource_id)


@bp.route("/<resource_type>/<int:resource_id>/dismiss", methods=["GET", "POST"])
@login_required
def dismiss(resource_type: str, resource_id: int):
    return _act("dismiss", resource_type, resource_id)


@bp.get("/transparency")
def transparency():
    months, by_reason, by_kind = services.transparency()
    return render_template("moderation/transparency.html", months=months, by_reason=by_reason, by_kind=by_kind,
                           reasons=services.REASONS, kinds=services.TRANSPARENCY_KINDS)


# Prepared reasons, bulk decisions, finding content by its words --------------------------------------------


def _purpose(action: str) -> str:
    return "moderation.hide" if action == "hide" else "moderation.decide"


def _with_canned(purpose: str):
    """The posted form with a chosen prepared reason put first in the note (None on a GET: an empty form)."""
    if request.method != "POST":
        return None
    data = request.form.copy()
    if data.get("canned"):
        data["note"] = canned.compose(purpose, data.get("canned"), data.get("note"))
    return data


def _bulk_form(**kwargs) -> forms.BulkForm:
    form = forms.BulkForm(**kwargs)
    hide = [(f"moderation.hide:{c.id}", f"Hide: {c.title}") for c in canned.for_purpose("moderation.hide")]
    decide = [(f"moderation.decide:{c.id}", f"Dismiss: {c.title}") for c in canned.for_purpose("moderation.decide")]
    form.canned.choices = [("", "None: I will write it"), *hide, *decide]
    return form


@bp.post("/bulk")
@login_required
def bulk():
    services.require_moderator(current_user)
    form = _bulk_form()
    back = url_for(".queue", **{k: v for k, v in request.args.items() if k in ("status", "kind", "sort", "q")})
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back)
    purpose, _sep, canned_id = (form.canned.data or "").partition(":")
    note = canned.compose(purpose, canned_id, form.note.data) if purpose else form.note.data
    try:
        done, refused = services.bulk(current_user, form.action.data,
                                      services.parse_items(request.form.getlist("items")), note)
    except RuleViolation as e:
        flash(e.message, "error")
        return redirect(back)
    if done:
        verb = "Hidden" if form.action.data == "hide" else "Reports dismissed"
        flash(f"{verb}: {len(done)} {'item' if len(done) == 1 else 'items'}.", "success")
    for title, why in refused:
        flash(f"Not changed: “{title}”. {why}", "error")
    return redirect(back)


@bp.get("/find")
@login_required
def find():
    """Officers find content to hide by its words (reported or not), instead of typing its number."""
    services.require_moderator(current_user)
    q = " ".join(request.args.get("q", "").split())[:services.SEARCH_MAX]
    return render_template("moderation/find.html", q=q, found=services.find_content(current_user, q))
