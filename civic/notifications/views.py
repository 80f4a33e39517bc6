"""The notification centre, preferences, area alerts, follows and unsubscribe links. Thin: services decide."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from civic.db import writes_on_get
from civic.errors import RuleViolation
from civic.extensions import csrf
from civic.notifications import forms, registry, services
from civic.web import attempt, form_error, page_arg, safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
follow_bp = Blueprint("follows", __name__)


# The centre -------------------------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    unread_only = request.args.get("show") == "unread"
    page, items = services.page_for(current_user, page_arg(), unread_only=unread_only)
    return render_template("notifications/index.html", page=page, items=items, unread_only=unread_only,
                           unread=services.unread_count(current_user), form=forms.MarkForm())


@bp.get("/<int:notification_id>")
@writes_on_get
@login_required
def open_(notification_id: int):
    """Following a notification marks it read (like a letter opened) and goes where it points."""
    return redirect(safe_next(services.open_one(current_user, notification_id), url_for("notifications.index")))


@bp.post("/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    if forms.MarkForm().validate_on_submit():
        services.mark_read(current_user, notification_id)
    return redirect(url_for("notifications.index", page=request.args.get("page", type=int)))


@bp.post("/read-all")
@login_required
def mark_all_read():
    if forms.MarkForm().validate_on_submit():
        n = services.mark_all_read(current_user)
        flash(f"Marked {n} notification{'s' if n != 1 else ''} as read." if n else "Nothing was unread.", "success")
    return redirect(url_for("notifications.index"))


# Preferences and alerts -------------------------------------------------------------------------------------


def _grouped_kinds(form) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for k in registry.kinds():
        if not k.email_fixed:
            groups.setdefault(k.group, []).append(getattr(form, f"kind_{k.key}"))
    return list(groups.items())


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    settings = services.settings_for(current_user)
    current = {f"kind_{k}": v for k, v in services.preferences(current_user).items()}
    data = {**current, "follow_own": settings.follow_own, "follow_commented": settings.follow_commented}
    form = forms.preferences_form(data=data, formdata=request.form if request.method == "POST" else None)
    ok, _result = attempt(form, lambda: services.set_preferences(
        current_user, {k.key: getattr(form, f"kind_{k.key}").data for k in registry.kinds() if not k.email_fixed},
        follow_own=form.follow_own.data, follow_commented=form.follow_commented.data))
    if ok:
        flash("Your notification settings are saved.", "success")
        return redirect(url_for("notifications.preferences"))
    fixed = [k for k in registry.kinds() if k.email_fixed]
    return render_template("notifications/preferences.html", form=form, groups=_grouped_kinds(form), fixed=fixed)


@bp.route("/alerts", methods=["GET", "POST"])
@login_required
def alerts():
    current = services.alerts_for(current_user)
    form = forms.AlertsForm(data=None if request.method == "POST" else {
        "enabled": current.enabled,
        "wards": current.ward_ids or ([current_user.ward_id] if current_user.ward_id else []),
        "programmes": current.programme_ids, "latitude": current.latitude, "longitude": current.longitude,
        "radius_m": current.radius_m or 1000})
    form.wards.choices = [(w.id, w.name) for w in services.wards()]
    form.programmes.choices = [(p.id, p.name) for p in services.programmes()]
    if form.validate_on_submit():
        try:
            if form.enabled.data:
                services.save_alerts(current_user, ward_ids=form.wards.data or [],
                                     programme_ids=form.programmes.data or [], latitude=form.latitude.data,
                                     longitude=form.longitude.data,
                                     radius_m=form.radius_m.data if form.latitude.data is not None else None)
                flash("Your area alerts are saved.", "success")
            else:
                services.stop_alerts(current_user)
                flash("Area alerts are off.", "success")
        except RuleViolation as e:
            form_error(form, e)
        else:
            return redirect(url_for("notifications.alerts"))
    return render_template("notifications/alerts.html", form=form, current=current)


@bp.get("/following")
@login_required
def following():
    page, items = services.following_page(current_user, page_arg())
    return render_template("notifications/following.html", page=page, items=items)


# Unsubscribe: a signed link from the mail; one click (RFC 8058) needs no session and no CSRF token ----------


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    found = services.read_unsubscribe(token)
    if found is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 404
    user, kind = found
    if request.method == "POST":
        services.unsubscribe(user, kind)
        return render_template("notifications/unsubscribe.html", done=True, label=services.unsubscribe_label(kind))
    return render_template("notifications/unsubscribe.html", label=services.unsubscribe_label(kind), token=token)


# Following --------------------------------------------------------------------------------------------------


def _follow_target(form: forms.FollowForm) -> tuple[str, int]:
    raw_id = form.resource_id.data or ""
    if not form.validate_on_submit() or not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 9):
        abort(400)
    return form.resource_type.data, int(raw_id)


@follow_bp.post("/follow")
@login_required
def follow():
    form = forms.FollowForm()
    resource_type, resource_id = _follow_target(form)
    try:
        services.follow(current_user, resource_type, resource_id)
    except RuleViolation as e:
        flash(e.message, "error")
    else:
        flash("You are following this. We will tell you when something happens.", "success")
    return redirect(safe_next(form.next.data, url_for("notifications.following")))


@follow_bp.post("/unfollow")
@login_required
def unfollow():
    form = forms.FollowForm()
    resource_type, resource_id = _follow_target(form)
    services.unfollow(current_user, resource_type, resource_id)
    flash("You are no longer following this.", "success")
    return redirect(safe_next(form.next.data, url_for("notifications.following")))
