from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from civic.accounts import roles


class UserFilterForm(FlaskForm):
    """GET filters on the users list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Name, nickname or email", validators=[Optional(), Length(max=100)])
    role = SelectField("Role", choices=[("", "Any role")] + [(r, roles.LABELS[r]) for r in roles.STORED],
                       validators=[Optional()])
    ward = SelectField("Ward", choices=[], validators=[Optional()])
    status = SelectField("Status", choices=[("", "Any"), ("active", "Active"), ("unconfirmed", "Email not confirmed"),
                                            ("blocked", "Blocked"), ("deleted", "Deleted")], validators=[Optional()])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[(r, roles.LABELS[r]) for r in roles.GRANTABLE])
    reason = TextAreaField("Reason", validators=[InputRequired("Say why, for the audit log."), Length(max=1000)],
                           description="Recorded in the audit log.")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField("Action", choices=[], validators=[Optional()])
    actor = StringField("Done by (nickname)", validators=[Optional(), Length(max=40)])
    since = DateField("From", validators=[Optional()])
    until = DateField("Until (inclusive)", validators=[Optional()])


class ActionForm(FlaskForm):
    """Only the CSRF token, for buttons that post (try a job again, mark it as resolved)."""
