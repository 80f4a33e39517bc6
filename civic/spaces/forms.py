"""Forms for participatory processes and their phases. The rules (unique slug, scope, phases that do not
overlap, alternative text for a banner) are the services'; these forms make sure something sensible was sent."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import DateField, TimeField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from civic.spaces import phases
from civic.spaces.services import (
    BANNER_ALT_MAX,
    DESCRIPTION_MAX,
    PHASE_DESCRIPTION_MAX,
    PHASE_TITLE_MAX,
    SUBTITLE_MAX,
    TITLE_MAX,
)

UK_TIME_HINT = ("UK time (Europe/London: GMT in winter, BST in summer), as the council's clocks show it. "
                "Civic stores it in UTC.")


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes, one per choice (the template draws them in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProcessForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Enter the title of the process."),
                                             Length(max=TITLE_MAX)],
                        description="A short question or aim, like “Cleaner air around our schools”. The "
                                    "process's web address is made from it.")
    subtitle = StringField("Subtitle (optional)", validators=[Optional(), Length(max=SUBTITLE_MAX)],
                           description="One sentence shown under the title and in the list of processes.")
    description = TextAreaField(
        "Description", validators=[InputRequired("Describe the process: what the council asks and what happens "
                                                 "with the answers."), Length(max=DESCRIPTION_MAX)],
        description="What the council asks, who can take part, and what happens with the results. You can use "
                    "Markdown: **bold**, *italic*, lists, ## headings and [links](https://example.org).")
    programme = SelectField("Programme", choices=[],
                            validators=[InputRequired("Choose the programme this process belongs to.")],
                            description="Which of the council's four SMART City programmes runs it.")
    scope = RadioField("Who is it for?", choices=[("city", "The whole city"), ("wards", "Only some wards")],
                       default="city", validators=[InputRequired("Choose the whole city or some wards.")])
    wards = MultiCheckboxField("Wards", choices=[], validate_choice=False,
                               description="Choose every ward the process concerns (only when “Only some "
                                           "wards” is chosen).")
    banner = FileField("Banner image (optional)",
                       description="A JPEG, PNG or WebP image up to 5 MB, shown at the top of the process page. "
                                   "Photo metadata (such as location) is removed.")
    banner_alt = StringField("Description of the image", validators=[Optional(), Length(max=BANNER_ALT_MAX)],
                             description="Required with an image: what it shows, for people who cannot see it "
                                         "(for example “Children crossing Church Street at the school gate”).")
    remove_banner = BooleanField("Remove the current banner image")


class PhaseForm(FlaskForm):
    title = StringField("Name of the phase", validators=[InputRequired("Enter the name of the phase, like "
                                                                       "“Proposals” or “Supports”."),
                                                         Length(max=PHASE_TITLE_MAX)],
                        description="For example “Proposals”, “Supports”, “Evaluation” or “Results”.")
    description = TextAreaField("What happens in this phase (optional)",
                                validators=[Optional(), Length(max=PHASE_DESCRIPTION_MAX)],
                                description="Shown in the process's timeline. You can use Markdown.")
    # Shown day/month/year, as the hint says (the first format is the one shown; ISO dates are still read).
    starts_at = DateField("Start date", format=["%d/%m/%Y", "%Y-%m-%d"],
                          validators=[InputRequired("Enter the date the phase starts, like 27/03/2026.")],
                          description="For example 27/03/2026.")
    starts_at_time = TimeField("Start time", format=["%H:%M", "%H:%M:%S"],
                               validators=[InputRequired("Enter the time the phase starts, like 09:00.")],
                               description="24-hour clock, for example 09:00. " + UK_TIME_HINT)
    ends_at = DateField("End date", format=["%d/%m/%Y", "%Y-%m-%d"],
                        validators=[InputRequired("Enter the date the phase ends, like 30/04/2026.")],
                        description="For example 30/04/2026.")
    ends_at_time = TimeField("End time", format=["%H:%M", "%H:%M:%S"],
                             validators=[InputRequired("Enter the time the phase ends, like 23:59.")],
                             description="The phase closes at this moment (23:59 closes it a minute before "
                                         "midnight). " + UK_TIME_HINT)
    #: One checkbox ``allow_<key>`` per registered phase action, added by :func:`phase_form`.
    ACTION_FIELDS: tuple[str, ...] = ()

    def chosen_actions(self) -> list[str]:
        """The keys of the actions ticked."""
        return [name.removeprefix("allow_") for name in self.ACTION_FIELDS if self[name].data]


_phase_form_classes: dict[tuple[phases.Action, ...], type[PhaseForm]] = {}


def phase_form(*args, **kwargs) -> PhaseForm:
    """A :class:`PhaseForm` with one checkbox per phase action registered now (labels from the registry)."""
    registered = tuple(phases.actions())
    cls = _phase_form_classes.get(registered)
    if cls is None:
        checkboxes = {f"allow_{a.key}": BooleanField(a.label, description=a.description) for a in registered}
        cls = type("PhaseForm", (PhaseForm,), {**checkboxes, "ACTION_FIELDS": tuple(checkboxes)})
        _phase_form_classes[registered] = cls
    return cls(*args, **kwargs)


class ListChoiceField(SelectField):
    """A select whose unknown value (an old or mistyped link) gets a message a person understands."""

    def __init__(self, *args, unknown: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.unknown = unknown

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(self.unknown)


class FilterForm(FlaskForm):
    """GET filters on the processes list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    programme = ListChoiceField("Programme", choices=[], validators=[Optional()],
                                unknown="We do not know that programme: choose one from the list.")
    ward = ListChoiceField("Ward", choices=[], validators=[Optional()],
                           unknown="We do not know that ward: choose one from the list.",
                           description="Processes for the whole city are included.")


class ActionForm(FlaskForm):
    """Only the CSRF token, for buttons that post (publish, unpublish, remove a phase)."""
