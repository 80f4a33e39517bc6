"""Officers' forms: official answers, and the process's proposal settings and categories. The rules are
checked by ``proposals.answers``, ``proposals.settings`` and ``proposals.categories``; these forms only make
sure something sensible was sent."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from proposals.answering import BULK_ACTIONS
from proposals.answers import ANSWER_LABELS, ANSWER_TEXT_MAX, DELIVERY_MAX
from proposals.categories import CATEGORY_NAME_MAX
from proposals.settings import NUMBER_MAX


class WholeNumberField(IntegerField):
    """A text box for a whole number (``inputmode="numeric"``, not ``type="number"``, which browsers may empty)."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError("Enter a whole number, like 0 or 3.") from None


def _in_range(form, field) -> None:
    if field.data is not None and not 0 <= field.data <= NUMBER_MAX:
        raise ValidationError(f"Enter a whole number from 0 to {NUMBER_MAX:,}.")


def _number(label: str, description: str) -> WholeNumberField:
    return WholeNumberField(label, description=description,
                            validators=[InputRequired("Enter a whole number (0 or more)."), _in_range],
                            render_kw={"inputmode": "numeric", "spellcheck": "false"})


class SettingsForm(FlaskForm):
    support_limit = _number(
        "Supports each participant may give",
        "How many proposals one person may support in this process. 0 means no limit.")
    min_supports = _number(
        "Supports a participant must give before theirs count",
        "A person's supports only count once they have supported at least this many proposals; until then "
        "they see “you have given 2 of 3; your supports count from 3”. Withdrawing below it uncounts them "
        "again. 0 means supports count from the first. It cannot be more than the support limit.")
    threshold = _number(
        "Threshold of supports per proposal",
        "A proposal that reaches this many counted supports gets a “threshold reached” badge and officers are "
        "told. 0 means no threshold.")
    close_at_threshold = BooleanField(
        "Close supporting when a proposal reaches the threshold",
        description="When ticked, nobody can support a proposal once it has reached the threshold. When not "
                    "ticked, supports go on beyond it.")
    proposal_limit = _number(
        "Proposals each participant may publish",
        "How many published proposals one person may have in this process. 0 means no limit.")
    verified_only = BooleanField(
        "Only verified residents may support",
        description="When ticked, people must verify their residency before they can support. When not ticked, "
                    "anyone with a confirmed account may support.")
    ward_only = BooleanField(
        "Only residents of a proposal's ward may support it",
        description="People can then support only proposals in their own ward, the ward set when they "
                    "verified their residency (so “only verified residents” must be ticked too).")
    edit_window_minutes = _number(
        "Minutes authors may edit after publishing",
        "Authors can edit a published proposal for this many minutes, and only until it has its first "
        "support. 0 means no editing after publishing.")


class CategoryForm(FlaskForm):
    name = StringField("Name of the new category", validators=[
        InputRequired("Enter the category's name."), Length(max=CATEGORY_NAME_MAX)],
        description="For example “Cycling” or “Green space”. Authors tag their proposals with categories.")


class RenameCategoryForm(FlaskForm):
    """One per category on the settings page, with its own prefix so the fields' ids differ."""

    name = StringField("New name", validators=[InputRequired("Enter the category's new name."),
                                               Length(max=CATEGORY_NAME_MAX)])


class AnswerForm(FlaskForm):
    state = RadioField("State of the proposal", choices=list(ANSWER_LABELS.items()),
                       validators=[InputRequired("Choose the state of the proposal.")])
    text = TextAreaField(
        "Answer", validators=[Length(max=ANSWER_TEXT_MAX)],
        description="Shown to everyone on the proposal's page; needed unless the state is “Not answered yet”. "
                    "You can use Markdown: **bold**, *italic*, lists and [links](https://example.org).")
    cost = StringField(
        "Estimated cost in pounds (optional)", validators=[Optional(), Length(max=20)],
        description="Only for accepted proposals. For example 12500 or 12,500.50.")
    delivery = TextAreaField(
        "Delivery note (optional)", validators=[Length(max=DELIVERY_MAX)],
        description="Only for accepted proposals: when and how the council will deliver it.")


class BulkAnswerForm(FlaskForm):
    """The answering queue's bulk actions on the ticked proposals (the ticks are read by the view)."""

    action = RadioField("What to do with the ticked proposals", choices=list(BULK_ACTIONS.items()),
                        validators=[InputRequired("Choose what to do with the ticked proposals.")])
    template = SelectField("Answer template (optional)", choices=[("", "None")], validators=[Optional()])
    text = TextAreaField("Text residents read on each proposal", validators=[Length(max=ANSWER_TEXT_MAX)],
                         description="For “Being evaluated”: after the template's words, if you chose one.")
    category = SelectField("Category", choices=[("", "No category")], validators=[Optional()],
                           description="For “Add the category”: the categories of the process you filtered by.")
