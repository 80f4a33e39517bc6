"""The forms of a campaign's results for the council (CSRF on; labels through lazy_gettext)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from citizen_sensing import reports
from citizen_sensing.findings import ANSWER_MAX, SUMMARY_MAX, TITLE_MAX


class ReportForm(FlaskForm):
    body = TextAreaField(
        _l("The report"), validators=[Length(max=reports.BODY_MAX)],
        description=_l("Markdown: **bold**, *italic*, lists, tables and [links](https://example.org). Put a chart of "
                       "the campaign's data on a line of its own: {{chart quantity=relative_humidity "
                       "period=2026-11}}. The period is a month (2026-11), a day (2026-11-20) or a range "
                       "(2026-11-01..2026-11-14)."))


class FindingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Give the finding a title.")),
                                                 Length(max=TITLE_MAX)])
    summary = TextAreaField(
        _l("Summary"), validators=[InputRequired(_l("Summarise what the campaign found.")), Length(max=SUMMARY_MAX)],
        description=_l("What the campaign found and what you ask the council to do. The council reads it with the "
                       "campaign's published report."))


class AnswerForm(FlaskForm):
    state = RadioField(_l("State of the finding"), choices=[
        ("evaluating", _l("Being evaluated")), ("accepted", _l("Accepted")), ("rejected", _l("Rejected"))],
        validators=[InputRequired(_l("Choose the state of the finding."))])
    template = SelectField(_l("Answer template (optional)"), choices=[("", _l("None: I will write it"))],
                           validators=[Optional()], validate_choice=False)
    text = TextAreaField(
        _l("Answer"), validators=[Length(max=ANSWER_MAX)],
        description=_l("Everyone reads it on the campaign's page; the campaign's followers are told. After the "
                       "template's words, if you chose one."))


class MakeForm(FlaskForm):
    target = SelectField(_l("Where"), validate_choice=False,
                         validators=[InputRequired(_l("Choose where to make it."))])
    ward = SelectField(_l("Ward"), coerce=int, validate_choice=False,
                       description=_l("Where the proposal would happen."))
