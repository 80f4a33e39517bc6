"""Issue 14, item 8: no WTForms default message ("This field is required.", "Field must be between 3 and 30
characters long.", "Not a valid integer value.") reaches a person; each is specific to its field."""

from __future__ import annotations

import re
from pathlib import Path

import flask_wtf
import pytest
import wtforms
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from civic import messages
from tests.support.pages import field_error

#: How WTForms' and Flask-WTF's own defaults begin: none of them may be shown.
DEFAULTS = re.compile(r"^(This field is required|Field must be|Field cannot be|Not a valid|Invalid |Number must be|"
                      r"File does not have|File must be|'.*' is not a valid choice).*\.$")


def wtforms_defaults() -> set[str]:
    """Every message WTForms and Flask-WTF pass through ``field.gettext``/``ngettext`` (read from their source)."""
    found = set()
    for package in (wtforms, flask_wtf):
        for path in Path(package.__file__).parent.rglob("*.py"):
            source = path.read_text()
            for call in re.finditer(r"(?:field|self)\.n?gettext\(\s*((?:\"[^\"]*\"\s*)+)", source):
                found.add("".join(re.findall(r"\"([^\"]*)\"", call.group(1))))
    return found


def test_every_default_a_person_could_meet_has_a_specific_message():
    internal = {"Choices cannot be None.", "Invalid field name '%s'.", "This field cannot be edited.",
                "This field is disabled and cannot have a value.", "Invalid IP address.", "Invalid Mac address.",
                "Invalid UUID.", "Not a valid week value.",
                # WTForms' session CSRF, which Civic does not use (Flask-WTF's CSRF error is "The form expired")
                "CSRF failed.", "CSRF token expired.", "CSRF token missing.", "Invalid CSRF Token."}
    handled = set(messages.SPECIFIC) | {"This field is required."}
    missing = {m for m in wtforms_defaults() - internal if m not in handled and not m.startswith("File must be")}
    assert not missing, f"defaults without a specific message: {sorted(missing)}"


def all_form_classes() -> list[type]:
    seen, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith(("civic.", "proposals.")) and cls not in seen:
            seen.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(seen, key=lambda c: (c.__module__, c.__name__))


@pytest.mark.parametrize("junk", ["", "zz", "x" * 6000])
def test_no_form_shows_a_default_message(app, junk):
    classes = all_form_classes()
    assert len(classes) > 40
    shown = {}
    for cls in classes:
        with app.test_request_context(method="POST"):
            form = cls(formdata=MultiDict())
            data = MultiDict({f.name: junk for f in form if f.type not in ("CSRFTokenField",)})
            form = cls(formdata=data)
            for f in form:
                if getattr(f, "choices", ()) is None:
                    f.choices = []
            form.validate()
            for name, errors in form.errors.items():
                for e in errors if isinstance(errors, list) else [errors]:
                    if isinstance(e, str) and DEFAULTS.match(e):
                        shown[f"{cls.__module__}.{cls.__name__}.{name}"] = e
    assert not shown, shown


def test_the_nickname_message_names_the_field_and_its_limits(client):
    page = client.post("/sign-up", data={"display_name": "Ada", "nickname": "ab", "email": "ada@example.org",
                                         "password": "violet harbour lanterns"})
    assert field_error(page, "nickname") == "Nickname must be 3 to 30 characters"
    assert "Field must be" not in page.text


def test_a_choice_a_number_and_nothing_at_all(client_as, make_process):
    client, _ = client_as("officer")
    page = client.post("/processes/new", data={"title": "", "programme": "not-a-programme"})
    assert field_error(page, "programme") == "Select programme from the list"
    assert "This field is required" not in page.text and "Not a valid choice" not in page.text


def test_the_specific_messages_in_a_form_of_ones_own(app):
    from wtforms import IntegerField, SelectField, StringField
    from wtforms.validators import InputRequired, Length, NumberRange

    class Example(FlaskForm):
        name = StringField("Nickname", validators=[Length(min=3, max=30)])
        age = IntegerField("Age", validators=[NumberRange(min=16, max=120)])
        ward = SelectField("Ward", choices=[("a", "A")], validators=[InputRequired()])
        own = StringField("Postcode", validators=[InputRequired("Enter your postcode, like W2 1AA.")])
        percent = StringField("Share in %", validators=[Length(max=3)])

    with app.test_request_context(method="POST"):
        form = Example(formdata=MultiDict({"name": "ab", "age": "ten", "percent": "1234"}))
        form.validate()
        assert {name: errors[0] for name, errors in form.errors.items()} == {  # the page shows the first
            "name": "Nickname must be 3 to 30 characters", "age": "Age must be a whole number, like 12",
            "ward": "Select ward", "own": "Enter your postcode, like W2 1AA.",
            "percent": "Share in % must be 3 characters or fewer"}
        form = Example(formdata=MultiDict({"name": "abc", "age": "12", "ward": "b", "own": "W2", "percent": ""}))
        form.validate()
        assert form.errors == {"age": ["Age must be between 16 and 120"], "ward": ["Select ward from the list"]}
