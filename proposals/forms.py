"""Forms of the public pages: making and editing a proposal, the list's filters, co-authors and buttons.

The rules (title length, ward of the process, point in London, proposal limit...) are checked by the services;
these forms make sure something sensible was sent, and show every problem at once. Officers' forms are in
``admin_forms``."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from proposals.listing import ORDERS, STATE_FILTERS
from proposals.services import ADDRESS_MAX, ALT_MAX, BODY_MAX, TITLE_MAX, TITLE_MIN


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProposalForm(FlaskForm):
    title = StringField(
        "Title", validators=[InputRequired("Enter a title for your proposal."),
                             Length(min=TITLE_MIN, max=TITLE_MAX,
                                    message=f"The title must be between {TITLE_MIN} and {TITLE_MAX} characters.")],
        description=f"Say what you propose in a sentence ({TITLE_MIN} to {TITLE_MAX} characters).")
    body = TextAreaField(
        "Describe your proposal", validators=[InputRequired("Describe your proposal."), Length(max=BODY_MAX)],
        description="What should happen, where, and who would benefit. You can use Markdown: **bold**, "
                    "*italic*, lists and [links](https://example.org).")
    ward = SelectField("Ward", choices=[], validators=[InputRequired("Choose the ward where your proposal would "
                                                                    "happen.")],
                       description="The ward where it would happen.")
    address = StringField("Address or postcode (optional)", validators=[Optional(), Length(max=ADDRESS_MAX)],
                          description="For example “Church Street market, NW8 8EU”. If you can see the map, you "
                                      "can also choose a point on it.")
    latitude = StringField(_l("Latitude (optional)"), validators=[Optional(), Length(max=30)],
                           description=_l("For example 51.5225. Or choose the point on the map."))
    longitude = StringField(_l("Longitude (optional)"), validators=[Optional(), Length(max=30)],
                            description=_l("For example -0.1705."))
    point_confirmed = BooleanField(_l("The point is right"))
    photo = FileField("Photo (optional)",
                      description="A JPEG, PNG or WebP image of up to 5 MB. We remove its hidden details, such as "
                                  "where it was taken.")
    photo_alt = StringField("Describe the photo", validators=[Optional(), Length(max=ALT_MAX)],
                            description="Needed with a photo: what it shows, for people who cannot see it.")
    remove_photo = BooleanField("Remove the photo")
    categories = CheckboxesField("Categories (optional)", choices=[], coerce=int, validate_choice=True,
                                 validators=[Optional()])

    def validate_photo_alt(self, field):
        has_photo = bool(getattr(self.photo.data, "filename", None))
        keeps = getattr(self, "_has_existing_photo", False) and not self.remove_photo.data
        if (has_photo or keeps) and not (field.data or "").strip():
            raise ValidationError("Describe the photo for people who cannot see it.")


class FilterForm(FlaskForm):
    """GET filters on the proposals list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Words in the title or description", validators=[Optional(), Length(max=100)])
    ward = SelectField("Ward", choices=[], validators=[Optional()])
    state = SelectField("State", choices=[("", "Any (not withdrawn)"), *STATE_FILTERS.items()],
                        validators=[Optional()])
    category = SelectField("Category", choices=[], validators=[Optional()])
    order = SelectField("Order", choices=list(ORDERS.items()), validators=[Optional()])


class CoauthorForm(FlaskForm):
    nickname = StringField("Nickname", validators=[InputRequired("Enter the nickname of the person to invite."),
                                                   Length(max=41)],
                           description="Their nickname is on their profile page, after the @.")


class GroupCoauthorForm(FlaskForm):
    group = SelectField("Your group", choices=[], validators=[InputRequired("Choose one of your groups.")])


class ActionForm(FlaskForm):
    """Only the CSRF token, for buttons that post (publish, withdraw, accept...)."""
