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
    """Grant or remove one role (two forms on the person's page, each with its own prefix; the view narrows the
    choices to the roles the person lacks or has)."""

    role = SelectField("Role", choices=[(r, roles.LABELS[r]) for r in roles.GRANTABLE],
                       validators=[InputRequired("Choose the role.")])
    reason = TextAreaField("Reason", validators=[InputRequired("Say why, for the audit log."), Length(max=1000)],
                           description="Recorded in the audit log and sent to the person.")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Words in the object or the reason", validators=[Optional(), Length(max=100)])
    action = SelectField("Action", choices=[], validators=[Optional()])
    actor = StringField("Done by (nickname)", validators=[Optional(), Length(max=40)])
    since = DateField("From", format=["%d/%m/%Y", "%Y-%m-%d"], validators=[Optional()],
                      description="For example 27/03/2026.")
    until = DateField("Until (inclusive)", format=["%d/%m/%Y", "%Y-%m-%d"], validators=[Optional()],
                      description="For example 27/03/2026.")


class ActionForm(FlaskForm):
    """Only the CSRF token, for buttons that post (try a job again, mark it as resolved)."""


class CannedForm(FlaskForm):
    """A prepared text: add one (with its purpose) or edit one (prefixed by its id)."""

    purpose = SelectField("What it is for", choices=[], validators=[Optional()])
    title = StringField("Short title", validators=[InputRequired("Give the text a short title."), Length(max=80)],
                        description="What staff pick from the list, for example “Personal details”.")
    body = TextAreaField("Text", validators=[InputRequired("Write the text."), Length(max=2000)],
                         description="The words that go into the note or the answer; staff may add their own.")


class InviteRoleForm(FlaskForm):
    """Offer a role to an email address that has no account yet."""

    email = StringField("Email address", validators=[InputRequired("Enter the email address."), Length(max=254)],
                        description="They are sent a message with the way to create their account; the role is "
                                    "theirs once they confirm this address.")
    role = SelectField("Role", choices=[(r, roles.LABELS[r]) for r in roles.GRANTABLE],
                       validators=[InputRequired("Choose the role.")])
    reason = TextAreaField("Reason", validators=[InputRequired("Say why, for the audit log."), Length(max=1000)],
                           description="Recorded in the audit log and sent to the person.")
