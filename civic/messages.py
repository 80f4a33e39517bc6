"""Specific messages for form fields, in one place: WTForms' own defaults never reach a person.

WTForms words its defaults for no one in particular ("This field is required.", "Field must be between 3 and 30
characters long.", "Not a valid integer value."). Every field of every form asks its *translations* for those
words (``field.gettext``), so :func:`install` gives each bound field translations of its own that know the field's
label and answer with a specific message, as GOV.UK's design system writes them:

============================================  =====================================================
WTForms' default                                the person reads (label "Nickname", 3 to 30)
============================================  =====================================================
This field is required.                         Enter nickname / Select … (a choice) / Choose a file
Field must be between 3 and 30 characters…      Nickname must be 3 to 30 characters
Field cannot be longer than 80 characters.      Nickname must be 80 characters or fewer
Field must be at least 3 characters long.       Nickname must be 3 characters or more
Number must be between 1 and 5.                 Nickname must be between 1 and 5
Not a valid integer value.                      Nickname must be a whole number
Not a valid choice.                             Select nickname from the list
Invalid email address.                          Enter an email address in the correct format, like name@example.com
============================================  =====================================================

A message a form writes itself (``InputRequired("Choose a nickname.")``) is kept: it never asks the translations.
Everything here is ``lazy_gettext``, so it can be translated like the rest of the site. ``install()`` runs once, in
``create_app``: it sets ``bind_field`` on Flask-WTF's ``FlaskForm.Meta``, the hook WTForms provides for this, so
every form (those written later too) gets the messages without importing anything.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

#: The one wording of "not an email address" (forms' own Email(...) messages use it too).
EMAIL_FORMAT = _l("Enter an email address in the correct format, like name@example.com")

_ENTER = _l("Enter %(label)s")
_SELECT = _l("Select %(label)s")
_FILE = _l("Choose a file for %(label)s")
_TICK = _l("Tick “%(label)s” to continue")

#: WTForms' (and Flask-WTF's) default -> the specific message; ``%(label)s`` is the field's label, the other
#: placeholders are the validator's own, filled in by it.
SPECIFIC: dict[str, Any] = {
    "Field must be between %(min)d and %(max)d characters long.":
        _l("%(label)s must be %(min)s to %(max)s characters"),
    "Field must be at least %(min)d character long.": _l("%(label)s must be %(min)s characters or more"),
    "Field cannot be longer than %(max)d character.": _l("%(label)s must be %(max)s characters or fewer"),
    "Field must be exactly %(max)d character long.": _l("%(label)s must be %(max)s characters"),
    "Number must be between %(min)s and %(max)s.": _l("%(label)s must be between %(min)s and %(max)s"),
    "Number must be at least %(min)s.": _l("%(label)s must be %(min)s or more"),
    "Number must be at most %(max)s.": _l("%(label)s must be %(max)s or less"),
    "Not a valid integer value.": _l("%(label)s must be a whole number, like 12"),
    "Not a valid decimal value.": _l("%(label)s must be a number, like 51.5"),
    "Not a valid float value.": _l("%(label)s must be a number, like 51.5"),
    "Not a valid choice.": _l("Select %(label)s from the list"),
    "Invalid Choice: could not coerce.": _l("Select %(label)s from the list"),
    "Invalid choice(s): one or more data inputs could not be coerced.": _l("Select %(label)s from the list"),
    "'%(value)s' is not a valid choice for this field.": _l("Select %(label)s from the list"),
    "Invalid value, must be one of: %(values)s.": _l("Select %(label)s from the list"),
    "Invalid value, can't be any of: %(values)s.": _l("%(label)s cannot be that value: choose another"),
    "Not a valid date value.": _l("%(label)s must be a real date"),
    "Not a valid datetime value.": _l("%(label)s must be a real date and time"),
    "Not a valid time value.": _l("%(label)s must be a real time, like 14:30"),
    "Invalid email address.": EMAIL_FORMAT,
    "Invalid URL.": _l("Enter a web address in the correct format, like https://www.example.org"),
    "Invalid input.": _l("%(label)s is not in the right format"),
    "Field must be equal to %(other_name)s.": _l("%(label)s must match %(other_name)s"),
    "File does not have an approved extension: {extensions}": _l("%(label)s must be a {extensions} file"),
    "File does not have an approved extension.": _l("%(label)s must be a file of an allowed type"),
}

#: Field types that are chosen rather than typed ("Select …" rather than "Enter …" when nothing was given).
CHOSEN = {"SelectField", "SelectMultipleField", "RadioField", "QuerySelectField"}


_ANSWER = _l("Your answer")


def label_of(field: Any) -> str:
    """The field's label as it reads inside a sentence; a question ("How do you live here?") is "Your answer"."""
    text = str(field.label.text or field.name.replace("_", " ")).strip().rstrip(":").strip()
    text = text.removesuffix(" (optional)")
    return str(_ANSWER) if text.endswith("?") else text


def _in_sentence(label: str) -> str:
    """Lower-case the first letter after "Enter"/"Select" unless the first word is an acronym ("NHS number")."""
    first = label.split(" ", 1)[0]
    return label if len(first) > 1 and first.isupper() else label[:1].lower() + label[1:]


def _escape(text: str) -> str:
    return text.replace("%", "%%")


class FieldMessages:
    """The translations of one bound field: specific messages for WTForms' defaults, anything else from the form's
    own translations."""

    def __init__(self, field: Any, base: Any) -> None:
        self.field = field
        self.base = base

    def _specific(self, string: str, n: int | None = None) -> str | None:
        label = label_of(self.field)
        if string == "This field is required.":
            if self.field.type in ("FileField", "MultipleFileField"):
                return str(_FILE) % {"label": _in_sentence(label)}
            if self.field.type == "BooleanField":
                return str(_TICK) % {"label": label}
            chosen = self.field.type in CHOSEN
            return str(_SELECT if chosen else _ENTER) % {"label": _in_sentence(label)}
        template = SPECIFIC.get(string)
        if template is None:
            return None
        # Fill in the label only; the validator fills its own placeholders (kept as they were) afterwards.
        keep = {"min": "%(min)d" if "%(min)d" in string else "%(min)s",
                "max": "%(max)d" if "%(max)d" in string else "%(max)s",
                "values": "%(values)s", "value": "%(value)s", "other_name": "%(other_name)s"}
        if n is not None:  # Length's one limit, known here: written with a thousands separator ("5,000")
            keep.update({k: f"{n:,}" for k in ("min", "max") if f"%({k})d" in string})
        template = str(template)
        if not template.startswith("%(label)s"):  # inside the sentence: "Select ward from the list"
            label = _in_sentence(label)
        text = template % {"label": _escape(label), **keep}
        return text if "%(" in string else text.replace("%%", "%")

    def gettext(self, string: str) -> str:
        return self._specific(string) or self.base.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._specific(singular, n) or self.base.ngettext(singular, plural, n)


def _bind_field(meta: Any, form: Any, unbound_field: Any, options: dict) -> Any:
    field = unbound_field.bind(form=form, **options)
    field._translations = FieldMessages(field, field._translations)
    return field


def install() -> None:
    """Give every form's fields the specific messages (idempotent)."""
    FlaskForm.Meta.bind_field = _bind_field
