"""Alert pages (blueprint ``sensing_alerts``, under /sensing): a campaign's rules and its alerts (organisers), a
device's alerts (its owner, the campaign's organisers, officers). The services are :mod:`citizen_sensing.alerts`."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import FloatField, RadioField, SelectField
from wtforms.validators import InputRequired, Optional

from citizen_sensing import alerts, services
from civic import policy
from civic.web import attempt, page_arg

bp = Blueprint("sensing_alerts", __name__, url_prefix="/sensing")


class AlertRuleForm(FlaskForm):
    kind = RadioField(_l("What the rule watches for"), default="threshold", choices=[
        ("threshold", _l("A quantity above or below a value for a while")),
        ("offline", _l("A device sending nothing for a while")),
        ("stuck", _l("A sensor giving the same value for a while (stuck)"))],
        validators=[InputRequired(_l("Choose what the rule watches for."))])
    quantity = SelectField(_l("Quantity"), coerce=int, validate_choice=False,
                           description=_l("For a value above or below, and (optionally) for a stuck sensor."))
    comparison = RadioField(_l("Above or below"), default="above",
                            choices=[("above", _l("Above")), ("below", _l("Below"))], validators=[Optional()])
    value = FloatField(_l("Value"), validators=[Optional()],
                       description=_l("In the quantity's unit, e.g. 70 for relative humidity above 70 %."))
    hours = FloatField(_l("For how many hours"), validators=[InputRequired(_l("Give the duration in hours."))],
                       description=_l("From 0.25 (a quarter of an hour) to 720 (30 days)."))


class SwitchForm(FlaskForm):
    active = SelectField(_l("Switch"), choices=[("1", _l("On")), ("0", _l("Off"))])


def _campaign_managed(slug: str):
    campaign = services.get_campaign(current_user, slug)
    policy.require(current_user, "sensing.manage", campaign)
    return campaign


@bp.route("/<slug>/alert-rules", methods=["GET", "POST"])
@login_required
def rules(slug: str):
    campaign = _campaign_managed(slug)
    form = AlertRuleForm()
    form.quantity.choices = [(0, _("Any (stuck sensors only)"))] + [
        (q.id, f"{q.name} ({q.unit})") for q in campaign.quantities]
    ok, _rule = attempt(form, lambda: alerts.add_rule(current_user, campaign, alerts.RuleInput(
        kind=form.kind.data, quantity_id=form.quantity.data or None, comparison=form.comparison.data,
        value=form.value.data, hours=form.hours.data)))
    if ok:
        flash(_("The alert rule is added. It is checked at every tick and whenever readings arrive."), "success")
        return redirect(url_for(".rules", slug=slug))
    return render_template("citizen_sensing/alert_rules.html", campaign=campaign, form=form,
                           rules=alerts.rules_of(campaign), open_counts=alerts.open_counts(campaign),
                           describe=alerts.describe, switch_form=SwitchForm())


@bp.post("/<slug>/alert-rules/<int:rule_id>/switch")
@login_required
def switch(slug: str, rule_id: int):
    campaign = _campaign_managed(slug)
    rule = alerts.get_rule(current_user, campaign, rule_id)
    form = SwitchForm()
    if not form.validate_on_submit():
        flash(_("Choose on or off."), "error")
        return redirect(url_for(".rules", slug=slug))
    active = form.active.data == "1"
    if alerts.set_active(current_user, rule, active):
        flash(_("The rule is on.") if active else _("The rule is off: its open alerts are closed."), "success")
    return redirect(url_for(".rules", slug=slug))


@bp.get("/<slug>/alerts")
@login_required
def campaign_alerts(slug: str):
    campaign = _campaign_managed(slug)
    only_open = request.args.get("show") == "open"
    return render_template("citizen_sensing/campaign_alerts.html", campaign=campaign, only_open=only_open,
                           page=alerts.campaign_alerts(campaign, page_arg(), only_open=only_open),
                           describe=alerts.describe)


@bp.get("/devices/<int:device_id>/alerts")
@login_required
def device_alerts(device_id: int):
    device = services.get_device(current_user, device_id)
    return render_template("citizen_sensing/device_alerts.html", device=device,
                           page=alerts.device_alerts(device, page_arg()), describe=alerts.describe)
