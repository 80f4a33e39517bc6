"""Officers' and organisers' actions on a campaign (blueprint ``citizen_sensing_admin``, the same addresses):
an officer approves or rejects a proposed campaign; an organiser flags or clears a reading. Both audit-logged."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from citizen_sensing import forms, pages, quality, services
from citizen_sensing.models import Device
from civic import policy
from civic.db import db
from civic.errors import DomainError, PermissionDenied
from civic.web import attempt, digits, flash_domain_error, page_arg

bp = Blueprint("citizen_sensing_admin", __name__, url_prefix="/sensing")


@bp.get("/proposed")
@login_required
def proposed():
    """The campaigns waiting for an officer's approval, oldest first; each is decided on its own page."""
    policy.require(current_user, "sensing.decide")
    return render_template("citizen_sensing/proposed.html", page=pages.proposed_list(page_arg()))


@bp.post("/<slug>/decision")
@login_required
def decide(slug: str):
    policy.require(current_user, "sensing.decide")
    campaign = services.get_campaign(current_user, slug)
    form = forms.DecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose approve or reject."), "error")
        return redirect(url_for("citizen_sensing.show", slug=slug))
    try:
        services.decide_campaign(current_user, campaign, form.decision.data == "approve", form.reason.data or "")
        flash(_("The campaign is approved and public.") if form.decision.data == "approve"
              else _("The campaign is rejected."), "success")
    except DomainError as e:
        flash_domain_error(e)
    return redirect(url_for("citizen_sensing.show", slug=slug))


@bp.post("/<slug>/flag")
@login_required
def flag(slug: str):
    campaign = services.get_campaign(current_user, slug)
    if not policy.can(current_user, "sensing.manage", campaign):
        raise PermissionDenied(_("Only the organisers of the group running this campaign can do that."))
    form = forms.FlagForm()
    sensor_id = digits(form.sensor.data or "")
    try:
        when = datetime.fromisoformat((form.measured_at.data or "").strip())
    except ValueError:
        when = None
    if not form.validate_on_submit() or sensor_id is None or when is None or when.tzinfo is None:
        flash(_("Say which reading: its sensor and its time."), "error")
        return redirect(url_for("citizen_sensing.show", slug=slug))
    try:
        reading = quality.set_flag(current_user, sensor_id, when, form.flagged.data == "1", form.reason.data or "")
        if db.session.get(Device, reading.device_id).campaign_id != campaign.id:
            raise PermissionDenied(_("That reading is not from this campaign."))
        flash(_("The reading is flagged: it is left out of the aggregates.") if reading.flag
              else _("The flag is cleared."), "success")
    except DomainError as e:
        if isinstance(e, PermissionDenied):
            raise
        flash_domain_error(e)
    return redirect(url_for("citizen_sensing.show", slug=slug))


@bp.route("/quantities", methods=["GET", "POST"])
@login_required
def quantities():
    """The catalogue of quantities; administrators add to it."""
    policy.require(current_user, "sensing.catalogue")
    form = forms.QuantityForm()
    ok, made = attempt(form, lambda: services.add_quantity(current_user, services.QuantityInput(
        key=form.key.data, name=form.name.data, unit=form.unit.data, min_value=form.min_value.data,
        max_value=form.max_value.data, expected_min=form.expected_min.data, expected_max=form.expected_max.data,
        spike_per_minute=form.spike_per_minute.data)))
    if ok:
        flash(_("%(name)s is in the catalogue.", name=made.name), "success")
        return redirect(url_for(".quantities"))
    return render_template("citizen_sensing/quantities.html", form=form, quantities=services.quantities())
