"""Form fields shared by every package: the GOV.UK date input.

``DateInputField`` is a date typed in three boxes, day, month and year (GOV.UK's "date input" pattern), rendered
by the ``date_input`` macro of ``templates/_macros.html`` with ``autocomplete="bday-day"``... for a date of birth.
Its boxes are named ``<name>-day``, ``<name>-month`` and ``<name>-year``; the month may be a number or a name
("3", "03", "March", "mar"). Its ``data`` is a ``datetime.date`` or None, and its messages say which part is wrong,
as GOV.UK writes them ("Date of birth must include a month", "Date of birth must be a real date").
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import StopValidation

MONTHS = {name: n for n, names in enumerate(
    (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")), start=1) for name in names}

PARTS = ("day", "month", "year")


class DateInputField(Field):
    """A date in three boxes. ``required``: a message when nothing is entered (None: the date is optional)."""

    def __init__(self, label: Any = None, validators: Any = None, *, required: Any = None,
                 example: str = "27 3 1985", **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.example = example
        self.parts = {p: "" for p in PARTS}
        self.part_errors: set[str] = set()
        self._problem: Any = None

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        super().process(None, data, extra_filters)
        if isinstance(self.data, date):
            self.parts = {"day": str(self.data.day), "month": str(self.data.month), "year": str(self.data.year)}
        if formdata is None or not any(f"{self.name}-{p}" in formdata for p in PARTS):
            return
        self.parts = {p: str(formdata.get(f"{self.name}-{p}", ""))[:20].strip() for p in PARTS}
        self.raw_data = [self.parts[p] for p in PARTS]
        self.data, self._problem = self._parse()

    def _label(self) -> str:
        return str(self.label.text).removesuffix(" (optional)")

    def _parse(self) -> tuple[date | None, Any]:
        given = {p: v for p, v in self.parts.items() if v}
        if not given:
            return None, None
        missing = [p for p in PARTS if p not in given]
        if missing:
            self.part_errors = set(missing)
            words = {"day": _l("a day"), "month": _l("a month"), "year": _l("a year")}
            what = " and ".join(str(words[p]) for p in missing)
            return None, _l("%(label)s must include %(what)s", label=self._label(), what=what)
        day, month, year = self.parts["day"], self.parts["month"].lower().rstrip("."), self.parts["year"]
        month_n = int(month) if month.isdigit() and month.isascii() else MONTHS.get(month)
        if not (day.isdigit() and day.isascii()):
            self.part_errors = {"day"}
        elif month_n is None:
            self.part_errors = {"month"}
        elif not re.fullmatch(r"[0-9]{4}", year):
            self.part_errors = {"year"}
            return None, _l("Year must include 4 numbers")
        if self.part_errors:
            return None, _l("%(label)s must be a real date", label=self._label())
        try:
            return date(int(year), month_n, int(day)), None
        except ValueError:
            self.part_errors = set(PARTS)
            return None, _l("%(label)s must be a real date", label=self._label())

    def pre_validate(self, form: Any) -> None:
        if self._problem is not None:
            raise StopValidation(str(self._problem))
        if self.data is None and self.required:
            self.part_errors = set(PARTS)
            raise StopValidation(str(self.required))
        if self.data is None:
            raise StopValidation()  # optional and empty: no other check applies

    def _value(self) -> str:
        return self.data.isoformat() if isinstance(self.data, date) else ""
