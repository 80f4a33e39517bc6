"""Forms of consultations: the officers' (consultation, question, option, extension, paper ballot) and the
residents' receipt check. The ballot itself is read by each question's kind (:mod:`consultations.kinds`), because
its fields depend on the questions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import DateField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from consultations import services

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
UK_TIME = _l("24-hour clock, UK time (Europe/London), for example 09:00. Civic stores it in UTC.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConsultationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Enter the title of the consultation.")),
                                                 Length(max=services.TITLE_MAX)])
    introduction = TextAreaField(
        _l("Introduction"), validators=[Optional(), Length(max=services.INTRO_MAX)],
        description=_l("What the council asks, and what happens with the answers. You can use Markdown."))
    process_slug = SelectField(_l("Participatory process (optional)"), choices=[], validate_choice=False,
                          description=_l("As a component of a process, voting is open only in the phases that "
                                         "open “Voting”."))
    opens_at = DateField(_l("Opening date"), format=DATE_FORMATS,
                         validators=[InputRequired(_l("Enter the opening date, like 27/03/2026."))])
    opens_at_time = TimeField(_l("Opening time"), format=TIME_FORMATS, description=UK_TIME,
                              validators=[InputRequired(_l("Enter the opening time, like 09:00."))])
    closes_at = DateField(_l("Closing date"), format=DATE_FORMATS,
                          validators=[InputRequired(_l("Enter the closing date, like 30/04/2026."))])
    closes_at_time = TimeField(_l("Closing time"), format=TIME_FORMATS, description=UK_TIME,
                               validators=[InputRequired(_l("Enter the closing time, like 17:00."))])
    wards = MultiCheckboxField(_l("Only these wards (optional)"), choices=[], coerce=int, validate_choice=False,
                               description=_l("Leave all unticked for every verified resident of the city."))
    minimum_age = BooleanField(_l("Only residents aged 16 or over"))


class QuestionForm(FlaskForm):
    kind = RadioField(_l("Kind of question"), choices=[], validators=[InputRequired(_l("Choose a kind of question."))])
    title = StringField(_l("Question"), validators=[InputRequired(_l("Enter the question.")),
                                                    Length(max=services.QUESTION_MAX)])
    description = TextAreaField(_l("More about the question (optional)"),
                                validators=[Optional(), Length(max=services.DESCRIPTION_MAX)])
    min_choices = IntegerField(_l("Fewest choices (multiple choice)"), validators=[Optional(), NumberRange(0, 30)])
    max_choices = IntegerField(_l("Most choices (multiple choice), or rank up to (ranked; blank: rank all)"),
                               validators=[Optional(), NumberRange(1, 30)])
    options = TextAreaField(_l("Options, one per line"), validators=[Optional()],
                            description=_l("You can add, describe and remove options afterwards."))


class EditQuestionForm(FlaskForm):
    title = StringField(_l("Question"), validators=[InputRequired(_l("Enter the question.")),
                                                    Length(max=services.QUESTION_MAX)])
    description = TextAreaField(_l("More about the question (optional)"),
                                validators=[Optional(), Length(max=services.DESCRIPTION_MAX)])
    min_choices = IntegerField(_l("Fewest choices (multiple choice)"), validators=[Optional(), NumberRange(0, 30)])
    max_choices = IntegerField(_l("Most choices (multiple choice), or rank up to (ranked; blank: rank all)"),
                               validators=[Optional(), NumberRange(1, 30)])


class OptionForm(FlaskForm):
    text = StringField(_l("Option"), validators=[InputRequired(_l("Enter the option's text.")),
                                                 Length(max=services.OPTION_MAX)])
    description = TextAreaField(_l("Description (optional)"),
                                validators=[Optional(), Length(max=services.DESCRIPTION_MAX)])
    image = FileField(_l("Image (optional)"), description=_l("A JPEG, PNG or WebP image up to 5 MB."))
    image_alt = StringField(_l("Description of the image"), validators=[Optional(), Length(max=300)],
                            description=_l("Required with an image: what it shows, for people who cannot see it."))


class ExtendForm(FlaskForm):
    closes_at = DateField(_l("New closing date"), format=DATE_FORMATS,
                          validators=[InputRequired(_l("Enter the new closing date."))])
    closes_at_time = TimeField(_l("New closing time"), format=TIME_FORMATS, description=UK_TIME,
                               validators=[InputRequired(_l("Enter the new closing time."))])
    reason = StringField(_l("Reason (for the audit log)"), validators=[Optional(), Length(max=300)])


class FindVoterForm(FlaskForm):
    class Meta:
        csrf = False  # a search (GET)

    name = StringField(_l("Name"), validators=[Optional(), Length(max=80)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=10)])
    date_of_birth = StringField(_l("Date of birth"), validators=[Optional(), Length(max=12)],
                                description=_l("For example 27/3/1985."))


class ReceiptForm(FlaskForm):
    class Meta:
        csrf = False  # a look-up (GET)

    code = StringField(_l("Receipt code"), validators=[InputRequired(_l("Enter your receipt code.")),
                                                       Length(max=40)],
                       description=_l("As it was shown after you voted, like ABCD-EFGH-JKMN-PQRS."))
