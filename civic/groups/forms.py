"""Forms for community groups. The rules (unique name, website scheme, ward) are checked by the services;
these forms only make sure something sensible was sent."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import InputRequired, Length, Optional

from civic.groups.services import DESCRIPTION_MAX, NAME_MAX, WEBSITE_MAX


class GroupForm(FlaskForm):
    name = StringField("Name of the group", validators=[InputRequired("Enter the group's name."),
                                                        Length(max=NAME_MAX)],
                       description="Each group has its own name.")
    description = TextAreaField(
        "What the group does", validators=[InputRequired("Say what the group does."),
                                           Length(max=DESCRIPTION_MAX)],
        description="Who you are, what you do and who can join. You can use Markdown: **bold**, *italic*, "
                    "lists and [links](https://example.org).")
    ward = SelectField("Ward (optional)", choices=[], validators=[Optional()],
                       description="Choose a ward if the group works mainly in one part of Westminster.")
    website = URLField("Website (optional)", validators=[Optional(), Length(max=WEBSITE_MAX)],
                       description="An address starting with http:// or https://.")


class FilterForm(FlaskForm):
    """GET filters on the groups index (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Name contains", validators=[Optional(), Length(max=100)])
    ward = SelectField("Ward", choices=[], validators=[Optional()])
    verified = BooleanField("Verified by the council only")
    unverified = BooleanField("Not yet verified by the council (officers)")
    archived = BooleanField("Archived groups (officers)")


class InviteForm(FlaskForm):
    nickname = StringField("Nickname, name or email address",
                           validators=[InputRequired("Enter the nickname of the person to invite."), Length(max=254)],
                           description="Their nickname is on their profile page, after the @. Not sure? Type part "
                                       "of their name and choose them from the list, or type their email address.")


class VerifyForm(FlaskForm):
    verified = HiddenField()
    reason = TextAreaField("Reason", validators=[InputRequired("Say why, for the audit log."), Length(max=1000)],
                           description="Recorded in the audit log.")


class ActionForm(FlaskForm):
    """Only the CSRF token, for buttons that post (join, leave, accept, promote...)."""
