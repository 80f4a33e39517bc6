"""The search form (a GET form: no CSRF token, it changes nothing)."""

from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.validators import Optional, ValidationError

from civic.search import registry


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField("Search for", validators=[Optional()],
                    description='For example: cycle lane, damp, "air quality". Use * to end a word: cycl*.')
    type = SelectField("Show", choices=[], validators=[Optional()])
    ward = SelectField("Ward", choices=[], validators=[Optional()])
    programme = SelectField("Programme", choices=[], validators=[Optional()])
    state = SelectField("State", choices=[], validators=[Optional()])
    date_from = DateField("Published from", validators=[Optional()], format="%Y-%m-%d",
                          description="For example 2026-01-31.")
    date_to = DateField("Published until", validators=[Optional()], format="%Y-%m-%d",
                        description="For example 2026-12-31.")

    def validate_date_from(self, field) -> None:
        if field.data and self.date_to.data and field.data > self.date_to.data:
            raise ValidationError("The start date must be on or before the end date.")

    def set_choices(self, wards, programmes) -> None:
        types = registry.types()
        self.type.choices = [("", "Everything")] + [(t.name, t.plural) for t in types]
        self.ward.choices = [("", "Any ward")] + [(w.slug, w.name) for w in wards]
        self.programme.choices = [("", "Any programme")] + [(p.slug, p.name) for p in programmes]
        states: dict[str, str] = {"": "Any state", **registry.PERIOD_STATES}
        for t in types:
            for value, label in t.states.items():
                states.setdefault(value, label)
        self.state.choices = list(states.items())
