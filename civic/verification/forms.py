"""Forms for residency verification. The rules (postcode, date of birth, limits) live in the services."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from civic.fields import DateInputField

DOB_HINT = "For example, 27 3 1985."


class SelfServiceForm(FlaskForm):
    postcode = StringField("Postcode", validators=[InputRequired("Enter your postcode."), Length(max=12)],
                           description="The postcode of the address where you live, for example W2 1AA.")
    date_of_birth = DateInputField("Date of birth", required="Enter your date of birth.", description=DOB_HINT)


class ManualRequestForm(FlaskForm):
    postcode = StringField("Postcode", validators=[InputRequired("Enter your postcode."), Length(max=12)])
    ward = SelectField("Ward", choices=[], validators=[InputRequired("Choose the ward you live in.")])
    date_of_birth = DateInputField("Date of birth (optional)",
                                   description=DOB_HINT + " It helps the officer find you in the register.")
    statement = TextAreaField(
        "How do you live in Westminster?",
        validators=[InputRequired("Tell the officer how you live in Westminster."),
                    Length(max=2000)],
        description="For example: how long you have lived at your address, or why you may not be on the "
                    "register (you moved recently, you rent a room). Do not send documents here.")


class DecisionForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[InputRequired("Give a reason: the resident will see it."),
                                                 Length(max=2000)],
                           description="The resident sees this in the email and on their verification page.")


class BulkDecisionForm(FlaskForm):
    """One decision and one reason for the ticked requests of the queue (the ticks, ``ids``, are read by the view)."""

    decision = RadioField("What to do with the ticked requests", choices=[("approve", "Approve"),
                                                                        ("refuse", "Refuse")],
                          validators=[InputRequired("Choose to approve or refuse the ticked requests.")])
    canned = SelectField("Prepared reason for a refusal (optional)", choices=[("", "None: I will write it")],
                         validators=[Optional()], description="Its words go first in the reason.")
    reason = TextAreaField("Reason", validators=[Length(max=2000)],
                           description="Every ticked resident sees it in the email and on their verification page.")


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[InputRequired("Say why, for the audit log."),
                                                 Length(max=1000)],
                           description="Recorded in the audit log.")


class RegisterUploadForm(FlaskForm):
    file = FileField("Register file (CSV)", validators=[FileRequired("Choose a CSV file to upload.")],
                     description="The first line must be postcode,date_of_birth,ward. Dates as 1985-03-27 or "
                                 "27/03/1985; wards by name.")
    replace = BooleanField("Replace the whole register with this file",
                           description="Residents not in the file are removed from the register (people already "
                                       "verified stay verified); a different ward in the file wins. Without it, "
                                       "the file's residents are added and conflicts are listed.")


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField("Status", choices=[("", "All, pending first"), ("pending", "Pending"),
                                            ("approved", "Approved"), ("refused", "Refused"),
                                            ("withdrawn", "Withdrawn")], validators=[Optional()])
    q = StringField("Name, nickname, email or postcode", validators=[Optional(), Length(max=100)])
