"""Forms of participatory budgets: the officers' budget (with a money field per ward, made for the wards of the
day), project and "from an accepted proposal" forms. The residents' ballot is read by
:mod:`consultations.budget_views` (its fields are the projects)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import DateField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from consultations import budgets
from consultations.forms import DATE_FORMATS, TIME_FORMATS, UK_TIME

MONEY_HINT = _l("In pounds, like 250000 or 250000.50.")


class BudgetForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Enter the title of the budget.")),
                                                 Length(max=budgets.TITLE_MAX)],
                        description=_l("For example “2027 budget”: a funded proposal says “Funded in the 2027 "
                                       "budget”."))
    introduction = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=budgets.INTRO_MAX)],
                                 description=_l("What the money is for and how the winners are chosen. You can use "
                                                "Markdown."))
    process_slug = SelectField(_l("Participatory process"), choices=[], validate_choice=False,
                               validators=[InputRequired(_l("Choose the participatory process the budget belongs "
                                                            "to."))])
    opens_at = DateField(_l("Voting opens on"), format=DATE_FORMATS,
                         validators=[InputRequired(_l("Enter the opening date, like 27/03/2026."))])
    opens_at_time = TimeField(_l("Opening time"), format=TIME_FORMATS, description=UK_TIME,
                              validators=[InputRequired(_l("Enter the opening time, like 09:00."))])
    closes_at = DateField(_l("Voting closes on"), format=DATE_FORMATS,
                          validators=[InputRequired(_l("Enter the closing date, like 30/04/2026."))])
    closes_at_time = TimeField(_l("Closing time"), format=TIME_FORMATS, description=UK_TIME,
                               validators=[InputRequired(_l("Enter the closing time, like 17:00."))])
    by_ward = BooleanField(_l("Split the money by ward (each ward its own budget; residents vote in their ward's)"))
    total = StringField(_l("Total money (a budget for the whole city)"), validators=[Optional(), Length(max=20)],
                        description=MONEY_HINT)
    rule = RadioField(_l("Voting rule"), choices=[(k, v) for k, v in budgets.RULE_LABELS.items()],
                      default="knapsack", validators=[InputRequired(_l("Choose a voting rule."))])
    min_projects = IntegerField(_l("Fewest projects a ballot chooses"), default=1,
                                validators=[Optional(), NumberRange(0, budgets.MAX_PROJECTS)])
    max_projects = IntegerField(_l("Most projects a ballot chooses (approval rule; blank: no limit)"),
                                validators=[Optional(), NumberRange(1, budgets.MAX_PROJECTS)])
    min_share_percent = IntegerField(_l("Minimum share of the money to spend (per cent, optional)"),
                                     validators=[Optional(), NumberRange(0, 100)],
                                     description=_l("A ballot must spend at least this part of the money before it "
                                                    "can be cast."))


def budget_form(wards: list[Any], *args: Any, **kwargs: Any) -> BudgetForm:
    """The budget form with one money field per ward (``ward_<id>``): blank means no money for that ward."""

    class WithWards(BudgetForm):
        pass

    for ward in wards:
        setattr(WithWards, f"ward_{ward.id}", StringField(ward.name, validators=[Optional(), Length(max=20)]))
    form = WithWards(*args, **kwargs)
    form.ward_fields = [getattr(form, f"ward_{w.id}") for w in wards]
    form.ward_ids = [w.id for w in wards]
    return form


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Enter the project's title.")),
                                                 Length(max=budgets.PROJECT_TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=budgets.PROJECT_DESCRIPTION_MAX)],
                                description=_l("You can use Markdown."))
    cost = StringField(_l("Cost"), validators=[InputRequired(_l("Enter the project's cost.")), Length(max=20)],
                       description=MONEY_HINT)
    ward_id = SelectField(_l("Ward"), choices=[], validate_choice=False,
                          description=_l("In a budget split by ward, the ward whose money pays for it."))
    programme_id = SelectField(_l("Programme"), choices=[], validate_choice=False)
    latitude = StringField(_l("Latitude (optional)"), validators=[Optional(), Length(max=20)])
    longitude = StringField(_l("Longitude (optional)"), validators=[Optional(), Length(max=20)])
    image = FileField(_l("Image (optional)"), description=_l("A JPEG, PNG or WebP image up to 5 MB."))
    image_alt = StringField(_l("Description of the image"), validators=[Optional(), Length(max=300)],
                            description=_l("Required with an image: what it shows, for people who cannot see it."))
    remove_image = BooleanField(_l("Remove the image"))


class FromSourceForm(FlaskForm):
    source = StringField(_l("Accepted proposal"), validators=[InputRequired(_l("Choose an accepted proposal.")),
                                                              Length(max=60)])
    cost = StringField(_l("Cost (if not the one in its answer)"), validators=[Optional(), Length(max=20)],
                       description=MONEY_HINT)
