"""Forms for moderation. The rules (who may report, once, details for "other", notes) are the services'."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from civic.moderation.services import DETAILS_MAX, NOTE_MAX, REASONS


class ReportForm(FlaskForm):
    reason = RadioField("Why are you reporting this?", choices=list(REASONS.items()),
                        validators=[InputRequired("Choose why you are reporting this.")])
    details = TextAreaField("Details", validators=[
        Optional(), Length(max=DETAILS_MAX, message=f"Keep the details to {DETAILS_MAX:,} characters or fewer.")],
        description="Optional, unless you chose “Something else”. Only the council's moderators read this.")


class ActionForm(FlaskForm):
    note = TextAreaField("Note", validators=[
        InputRequired("Write a note saying why."),
        Length(max=NOTE_MAX, message=f"Keep the note to {NOTE_MAX:,} characters or fewer.")],
        description="Why you are doing this. It is kept in the audit log; the author sees it for a hide.")


class LookupForm(FlaskForm):
    class Meta:
        csrf = False

    resource_type = SelectField("Kind of content", validators=[InputRequired("Choose the kind of content.")])
    resource_id = IntegerField("Number", validators=[InputRequired("Give the content's number."),
                                                     NumberRange(min=1, message="Give the content's number.")],
                               description="The number in its address, for example 12 in /proposals/12.")


class BulkForm(FlaskForm):
    """One decision for the ticked items of the queue (the ticks, ``items``, are read by the view)."""

    action = RadioField("What to do with the ticked items", choices=[("hide", "Hide"),
                                                                    ("dismiss", "Dismiss the reports")],
                        validators=[InputRequired("Choose what to do with the ticked items.")])
    canned = SelectField("Prepared reason (optional)", choices=[("", "None")], validators=[Optional()],
                         description="Its words go first in the note; add your own below if needed.")
    note = TextAreaField("Note", validators=[
        Optional(), Length(max=NOTE_MAX, message=f"Keep the note to {NOTE_MAX:,} characters or fewer.")],
        description="Why, for every ticked item. It is kept in the audit log; authors see it for a hide.")
