"""Citizen sensing's web forms (CSRF on; labels through lazy_gettext)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FloatField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, Optional

from citizen_sensing.models import LICENCES


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CampaignForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Give the campaign a title.")), Length(max=150)])
    purpose = TextAreaField(_l("Purpose"), description=_l("What the campaign wants to find out, and why."),
                            validators=[Length(max=5000)])
    group = SelectField(_l("Community group"), coerce=int, validate_choice=False)
    quantities = CheckboxesField(_l("What is measured"), coerce=int, validate_choice=False)
    wards = CheckboxesField(_l("Wards"), coerce=int, validate_choice=False,
                            description=_l("Leave all unticked for the whole city."))
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(_l("Give the date the campaign starts."))])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired(_l("Give the date the campaign ends."))])
    licence = RadioField(_l("Licence of the data"), default="CC-BY-4.0",
                         choices=[(k, name) for k, (name, _url) in LICENCES.items()])
    join_mode = RadioField(_l("How volunteers join"), default="open",
                           choices=[("open", _l("Anyone may join")), ("code", _l("Only with a join code"))])
    join_code = StringField(_l("Join code"), validators=[Optional(), Length(max=40)],
                            description=_l("Only when volunteers join with a code."))


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("approve", _l("Approve: the campaign becomes public")),
                                                   ("reject", _l("Reject"))],
                          validators=[InputRequired(_l("Choose approve or reject."))])
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[Length(max=2000)])


class JoinForm(FlaskForm):
    code = StringField(_l("Join code"), validators=[Optional(), Length(max=40)])


class DeviceForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Give the device a name.")), Length(max=100)])
    kind = StringField(_l("Kind of device"), description=_l("For example: damp logger, senseBox, airrohr."),
                       validators=[Length(max=100)])
    setting = RadioField(_l("Where is it?"), default="indoor",
                         choices=[("indoor", _l("Indoors (in a home or building)")), ("outdoor", _l("Outdoors"))])
    privacy = RadioField(_l("How precisely may its place be shown?"), default="area", choices=[
        ("area", _l("Ward only: no point on the map")),
        ("fuzzed", _l("Near: about 250 metres from where it is, the same place every time")),
        ("exact", _l("Exactly (outdoor devices only)"))])
    ward = SelectField(_l("Ward"), coerce=int, validate_choice=False)
    latitude = StringField(_l("Latitude"), validators=[Length(max=40)])
    longitude = StringField(_l("Longitude"), validators=[Length(max=40)])
    quantities = CheckboxesField(_l("What it measures"), coerce=int, validate_choice=False)
    model = StringField(_l("Sensor model (optional)"), validators=[Length(max=100)])
    sensor_ids = TextAreaField(
        _l("The device's own ids for its sensors (optional)"), validators=[Length(max=2000)],
        description=_l("One a line, as quantity=id, e.g. air_temperature=5a8d1c2b3e4f5a6b7c8d9e01, so that an "
                       "openSenseMap or Smart Citizen device keeps sending what it sends today."))


class ReadingForm(FlaskForm):
    sensor = SelectField(_l("Sensor"), coerce=int, validate_choice=False)
    value = StringField(_l("Value"), validators=[InputRequired(_l("Give the value.")), Length(max=40)])
    measured_at = StringField(_l("When (UK time)"), validators=[Length(max=40)],
                              description=_l("As 2026-11-20 08:15. Leave empty for now."))


class UploadForm(FlaskForm):
    file = FileField(_l("CSV file"), description=_l(
        "Our format (a header row: timestamp, then a column per quantity), openSenseMap's CSV (sensor id, value, "
        "time) or a Smart Citizen SD card file. At most 1 MB and 2,500 readings."))


class ConfirmUploadForm(FlaskForm):
    csv = TextAreaField(_l("The file"), validators=[Length(max=1024 * 1024)])


class FlagForm(FlaskForm):
    sensor = StringField(_l("Sensor"), validators=[InputRequired(), Length(max=12)])
    measured_at = StringField(_l("Time"), validators=[InputRequired(), Length(max=40)])
    flagged = SelectField(_l("Flag"), choices=[("1", _l("Flag")), ("0", _l("Clear the flag"))])
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


class QuantityForm(FlaskForm):
    key = StringField(_l("Key"), description=_l("Letters, digits and underscores, as devices may name it: pm1."),
                      validators=[InputRequired(_l("Give a key.")), Length(max=40)])
    name = StringField(_l("Name"), validators=[InputRequired(_l("Give a name.")), Length(max=80)])
    unit = StringField(_l("Unit"), validators=[InputRequired(_l("Give the unit.")), Length(max=20)])
    min_value = FloatField(_l("Lowest possible value"), validators=[InputRequired(_l("Give the lowest value."))])
    max_value = FloatField(_l("Highest possible value"), validators=[InputRequired(_l("Give the highest value."))])
    expected_min = FloatField(_l("Lowest expected value (optional)"), validators=[Optional()])
    expected_max = FloatField(_l("Highest expected value (optional)"), validators=[Optional()])
    spike_per_minute = FloatField(_l("Largest believable change a minute (optional)"), validators=[Optional()])


class EvidenceForm(FlaskForm):
    """The evidence pack's period (a GET form: it changes nothing, so it has no CSRF token)."""

    class Meta:
        csrf = False

    start = DateField(_l("First day"), validators=[InputRequired(_l("Give the first day of the period."))])
    end = DateField(_l("Last day"), validators=[InputRequired(_l("Give the last day of the period."))],
                    description=_l("At most a year (366 days), up to today."))
    as_of = StringField(_l("Readings received up to (UTC)"), validators=[Optional(), Length(max=40)],
                        description=_l("Set by the pack's own link, so the same pack can be made again."))
