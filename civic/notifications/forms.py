from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, HiddenField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from civic.notifications import registry, services
from civic.spaces.forms import MultiCheckboxField


class FollowForm(FlaskForm):
    resource_type = HiddenField(validators=[InputRequired()])
    resource_id = HiddenField(validators=[InputRequired()])
    next = HiddenField()


class MarkForm(FlaskForm):
    """Only the CSRF token: mark read, mark all read, unfollow."""


def preferences_form(data: dict[str, str] | None = None, formdata=None) -> FlaskForm:
    """A form with one choice per kind of notification (built from the registry, so domains add theirs)."""

    class PreferencesForm(FlaskForm):
        follow_own = BooleanField("Follow what I write (proposals and other content), so I hear about comments "
                                  "and answers on it")
        follow_commented = BooleanField("Follow what I comment on")

    choices = [(k, v) for k, v in services.EMAIL_LABELS.items()]
    for k in registry.kinds():
        if k.email_fixed:
            continue
        setattr(PreferencesForm, f"kind_{k.key}",
                SelectField(k.label, choices=choices, default=k.email_default,
                            validators=[InputRequired("Choose how you want to hear about this.")]))
    return PreferencesForm(formdata=formdata, data=data)


class AlertsForm(FlaskForm):
    enabled = BooleanField("Send me alerts about my area")
    wards = MultiCheckboxField("Wards", coerce=int, validate_choice=False)
    programmes = MultiCheckboxField("Programmes (optional: leave all unticked for every programme)", coerce=int,
                                    validate_choice=False)
    latitude = FloatField("Latitude", validators=[Optional(), NumberRange(-90, 90, "Enter a latitude.")],
                          description="Optional: a point in London, for example 51.5145 (or pick it on the map).")
    longitude = FloatField("Longitude", validators=[Optional(), NumberRange(-180, 180, "Enter a longitude.")],
                           description="For example -0.1575.")
    radius_m = SelectField("Distance from the point", coerce=int, choices=[
        (r, f"{r} metres" if r < 1000 else f"{r // 1000} kilometre{'s' if r > 1000 else ''}")
        for r in services.RADIUS_CHOICES], default=1000)
