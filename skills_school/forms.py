"""The school's forms: the catalogue's filters, and the instructors', learners' and officers' forms (CSRF on).
The rules are the services'; these make sure something sensible was sent and show every problem at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from skills_school import courses, sessions
from skills_school.catalogue import AUDIENCE_LABELS, LEVEL_LABELS, TOPIC_LABELS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class FilterForm(FlaskForm):
    """The catalogue's filters (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Words in the title or description"), validators=[Optional(), Length(max=100)])
    topic = SelectField(_l("Topic"), choices=[("", _l("Any topic")), *TOPIC_LABELS.items()], validators=[Optional()])
    level = SelectField(_l("Level"), choices=[("", _l("Any level")), *LEVEL_LABELS.items()], validators=[Optional()])
    audience = SelectField(_l("Who it is for"), choices=[("", _l("Anyone")), *AUDIENCE_LABELS.items()],
                           validators=[Optional()])


class ActionForm(FlaskForm):
    """A button (CSRF only)."""


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        InputRequired(_l("Enter a title for the course.")),
        Length(min=courses.TITLE_MIN, max=courses.TITLE_MAX,
               message=_l("The title must be between 5 and 150 characters."))],
        description=_l("What learners will learn, in a few words. For example “Your first email”."))
    summary = TextAreaField(_l("Summary"), validators=[InputRequired(_l("Say what the course is about.")),
                                                       Length(max=courses.SUMMARY_MAX)],
                            description=_l("What learners will be able to do afterwards, in plain words. You can "
                                           "use Markdown."))
    topic = SelectField(_l("Topic"), choices=[("", _l("Choose a topic")), *TOPIC_LABELS.items()],
                        validators=[InputRequired(_l("Choose a topic."))])
    level = SelectField(_l("Level"), choices=list(LEVEL_LABELS.items()), default="beginner")
    audience = SelectField(_l("Who it is for"), choices=list(AUDIENCE_LABELS.items()), default="everyone")
    language = StringField(_l("Language"), default="English", validators=[Optional(), Length(max=40)])
    duration_minutes = IntegerField(_l("Length in minutes"), default=60, validators=[
        InputRequired(_l("Give the course's length in minutes.")),
        NumberRange(min=0, max=courses.DURATION_MAX, message=_l("Give a number of minutes from 0 to 43200."))],
        description=_l("About how long the whole course takes, in minutes."))
    accessibility = TextAreaField(_l("Accessibility notes (optional)"), validators=[Optional(), Length(max=2000)],
                                  description=_l("For example: large-print handouts, captions on videos."))
    prerequisites = TextAreaField(_l("What learners need first (optional)"),
                                  validators=[Optional(), Length(max=2000)])
    requires_attendance = BooleanField(_l("Learners must attend an in-person session to complete the course"))
    cover = FileField(_l("Cover image (optional)"),
                      description=_l("A JPEG, PNG or WebP image of up to 5 MB, shown in the catalogue."))
    cover_alt = StringField(_l("Describe the image"), validators=[Optional(), Length(max=courses.ALT_MAX)],
                            description=_l("Needed with an image: what it shows, for people who cannot see it."))
    remove_cover = BooleanField(_l("Remove the cover image"))


class LessonForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Enter a title for the lesson.")),
                                                 Length(min=2, max=150)])
    body = TextAreaField(_l("The lesson"), validators=[Optional(), Length(max=courses.LESSON_BODY_MAX)],
                         description=_l("Markdown: **bold**, lists, [links](https://example.org). Short sentences "
                                        "help people new to computers."))
    minutes = IntegerField(_l("Time it takes, in minutes"), default=10, validators=[
        InputRequired(_l("Give the time in minutes.")),
        NumberRange(min=0, max=courses.LESSON_MINUTES_MAX, message=_l("Give a number of minutes from 0 to 600."))])
    required = BooleanField(_l("Learners must complete it to complete the course"), default=True)


class SessionForm(FlaskForm):
    title = StringField(_l("Name of the session"), validators=[InputRequired(_l("Name the session.")),
                                                               Length(min=3, max=150)],
                        description=_l("For example “Robotics workshop at Church Street Library”."))
    venue = StringField(_l("Venue and address"), validators=[InputRequired(_l("Say where it happens.")),
                                                             Length(min=3, max=200)])
    ward = SelectField(_l("Ward"), choices=[], validators=[InputRequired(_l("Choose the ward."))])
    starts_at = DateTimeLocalField(_l("Starts (London time)"), format=DATETIME_FORMAT,
                                   validators=[InputRequired(_l("Give the day and time it starts."))])
    ends_at = DateTimeLocalField(_l("Ends (London time)"), format=DATETIME_FORMAT,
                                 validators=[InputRequired(_l("Give the day and time it ends."))])
    capacity = IntegerField(_l("Places"), default=12, validators=[
        InputRequired(_l("Give the number of places.")),
        NumberRange(min=1, max=sessions.CAPACITY_MAX, message=_l("Give a number of places from 1 to 500."))])
    accessibility = TextAreaField(_l("Accessibility (optional)"), validators=[Optional(), Length(max=2000)],
                                  description=_l("Step-free access, hearing loop, toilets, quiet room..."))


class QuizForm(FlaskForm):
    pass_mark = IntegerField(_l("Pass mark (per cent)"), default=70, validators=[
        InputRequired(_l("Give the pass mark.")), NumberRange(min=0, max=100, message=_l("From 0 to 100."))])
    retry_minutes = IntegerField(_l("Wait before another try (minutes)"), default=10, validators=[
        InputRequired(_l("Give the wait in minutes.")),
        NumberRange(min=0, max=10080, message=_l("From 0 to 10080 minutes (a week)."))])


class QuestionForm(FlaskForm):
    text = StringField(_l("Question"), validators=[InputRequired(_l("Write the question.")), Length(max=500)])
    kind = SelectField(_l("Answers"), choices=[("single", _l("One right answer")),
                                               ("multiple", _l("One or more right answers"))])
    choices = TextAreaField(_l("Answers, one a line"), validators=[InputRequired(_l("Give the answers.")),
                                                                   Length(max=4000)],
                            description=_l("Put a star (*) before each right answer. After a bar (|) you can add "
                                           "feedback the learner sees: “* A strong password | Yes: long and "
                                           "unusual.”"))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AttendanceForm(FlaskForm):
    attended = CheckboxesField(_l("Who came"), choices=[], coerce=int, validate_choice=False,
                               validators=[Optional()])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Why is it revoked?"), validators=[InputRequired(_l("Say why.")), Length(max=500)],
                           description=_l("The verification page shows this reason."))
