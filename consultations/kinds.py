"""The kinds of question, a registry: single choice, multiple choice and ranked choice.

A kind knows how officers configure it (:meth:`Kind.configure`), how a ballot's answer is read from a web form
(:meth:`Kind.from_form`) or from JSON (:meth:`Kind.check`, the one rule both use), how the answer reads back on
the review page, and how its ballots are counted (:meth:`Kind.tally`). The ballot box, the roll, receipts,
results after close and the recount are the same for every kind; a new kind (participatory budgeting, say)
subclasses :class:`Kind`, gives a ``template`` for its fields on the ballot form and calls :func:`register`.

An answer, whatever the kind, is stored as rows of (option id, rank or None) and counted from tuples of option
ids (for a ranked question in rank order), as the ballot file publishes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from civic import registries
from civic.errors import RuleViolation
from consultations import tallies

Rows = list[tuple[int, int | None]]


def field_name(question: Any) -> str:
    return f"q{question.id}"


def _option_id(question: Any, raw: Any) -> int:
    """The id of one of this question's options, or a refusal naming the question."""
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 11:
        raw = int(raw)
    ids = {o.id for o in question.options}
    if not isinstance(raw, int) or raw not in ids:
        raise RuleViolation(_("Choose among the options of “%(question)s”.", question=question.title),
                            field=field_name(question))
    return raw


class Kind:
    key = ""
    label: Any = ""
    description: Any = ""
    #: The template of its fields on the ballot form (given ``question`` and ``chosen``: the rows so far).
    template = ""
    #: Offered to officers when they add a question (a budget's headings are made by the budget itself).
    selectable = True
    #: The results' template (given ``question`` and ``result``).
    results_template = "consultations/results/counts.html"

    def configure(self, option_count: int, min_choices: int | None, max_choices: int | None) -> tuple[int, int | None]:
        """The question's (min_choices, max_choices) from the officer's figures, or a refusal naming the field."""
        raise NotImplementedError

    def check(self, question: Any, value: Any) -> Rows:
        """The rows of a valid answer (JSON shape), or a RuleViolation naming the question's field."""
        raise NotImplementedError

    def from_form(self, question: Any, form: Mapping[str, Any]) -> Any:
        """The answer, in its JSON shape, from a web form (``form.getlist`` for repeated names)."""
        raise NotImplementedError

    def as_value(self, rows: Rows) -> Any:
        """Rows back to the JSON shape (for the review page's hidden fields and the ballot file)."""
        raise NotImplementedError

    def tally(self, question: Any, option_ids: list[int], ballots: list[tuple[int, ...]]) -> dict[str, Any]:
        return tallies.counts(option_ids, ballots)

    def rule_text(self, question: Any) -> str:
        """What the voter may do, said beside the question."""
        return ""


class Single(Kind):
    key = "single"
    label = _l("Single choice")
    description = _l("Choose one option.")
    template = "consultations/kinds/single.html"

    def configure(self, option_count, min_choices, max_choices):
        return (0 if min_choices == 0 else 1), 1

    def check(self, question, value):
        if value in (None, "", []):
            if question.min_choices:
                raise RuleViolation(_("Choose an option for “%(question)s”.", question=question.title),
                                    field=field_name(question))
            return []
        if isinstance(value, list):
            if len(value) != 1:
                raise RuleViolation(_("Choose only one option for “%(question)s”.", question=question.title),
                                    field=field_name(question))
            value = value[0]
        return [(_option_id(question, value), None)]

    def from_form(self, question, form):
        values = form.getlist(field_name(question))
        return values if len(values) > 1 else (values[0] if values else None)

    def as_value(self, rows):
        return rows[0][0] if rows else None

    def rule_text(self, question):
        return _("Choose one option.")


class Multiple(Kind):
    key = "multiple"
    label = _l("Multiple choice")
    description = _l("Choose between a minimum and a maximum number of options.")
    template = "consultations/kinds/multiple.html"

    def configure(self, option_count, min_choices, max_choices):
        low = 1 if min_choices is None else min_choices
        high = option_count if max_choices is None else max_choices
        if low < 0:
            raise RuleViolation(_("The minimum cannot be below 0."), field="min_choices")
        if option_count and low > option_count:
            raise RuleViolation(_("The minimum cannot be more than the number of options."), field="min_choices")
        if high < max(low, 1):
            raise RuleViolation(_("The maximum must be at least the minimum, and at least 1."), field="max_choices")
        return low, high

    def check(self, question, value):
        if value in (None, ""):
            value = []
        if not isinstance(value, list):
            value = [value]
        ids = [_option_id(question, v) for v in value]
        if len(set(ids)) != len(ids):
            raise RuleViolation(_("Choose each option of “%(question)s” at most once.", question=question.title),
                                field=field_name(question))
        self._within(question, len(ids))
        return [(i, None) for i in ids]

    def _within(self, question, n):
        high = question.max_choices if question.max_choices is not None else len(question.options)
        if n < question.min_choices:
            raise RuleViolation(ngettext("Choose at least %(num)d option for “%(question)s”.",
                                         "Choose at least %(num)d options for “%(question)s”.",
                                         question.min_choices, question=question.title), field=field_name(question))
        if n > high:
            raise RuleViolation(ngettext("Choose at most %(num)d option for “%(question)s”.",
                                         "Choose at most %(num)d options for “%(question)s”.",
                                         high, question=question.title), field=field_name(question))

    def from_form(self, question, form):
        return form.getlist(field_name(question))

    def as_value(self, rows):
        return [o for o, _r in rows]

    def rule_text(self, question):
        high = question.max_choices if question.max_choices is not None else len(question.options)
        if question.min_choices == high:
            return ngettext("Choose %(num)d option.", "Choose %(num)d options.", high)
        return _("Choose from %(low)d to %(high)d options.", low=question.min_choices, high=high)


class Ranked(Kind):
    key = "ranked"
    label = _l("Ranked choice")
    description = _l("Put the options in order of preference: all of them, or up to a number.")
    template = "consultations/kinds/ranked.html"
    results_template = "consultations/results/ranked.html"

    def configure(self, option_count, min_choices, max_choices):
        if max_choices is None:
            return option_count, None  # rank all
        if max_choices < 1:
            raise RuleViolation(_("Ranking up to N needs N of at least 1."), field="max_choices")
        return 1, max_choices

    def limit(self, question) -> int:
        n = len(question.options)
        return n if question.max_choices is None else min(question.max_choices, n)

    def check(self, question, value):
        if value in (None, ""):
            value = []
        if not isinstance(value, list):
            raise RuleViolation(_("Give the options of “%(question)s” in order of preference.",
                                  question=question.title), field=field_name(question))
        ids = [_option_id(question, v) for v in value]
        if len(set(ids)) != len(ids):
            raise RuleViolation(_("Rank each option of “%(question)s” at most once.", question=question.title),
                                field=field_name(question))
        if question.max_choices is None and len(ids) != len(question.options):
            raise RuleViolation(_("Rank every option of “%(question)s”.", question=question.title),
                                field=field_name(question))
        if not ids:
            raise RuleViolation(_("Rank at least one option of “%(question)s”.", question=question.title),
                                field=field_name(question))
        if len(ids) > self.limit(question):
            raise RuleViolation(ngettext("Rank at most %(num)d option of “%(question)s”.",
                                         "Rank at most %(num)d options of “%(question)s”.",
                                         self.limit(question), question=question.title), field=field_name(question))
        return [(o, n) for n, o in enumerate(ids, start=1)]

    def from_form(self, question, form):
        """A rank number per option (blank: not ranked); two options with one rank are refused, naming them."""
        ranked: dict[int, Any] = {}
        for option in question.options:
            raw = (form.get(f"{field_name(question)}-o{option.id}") or "").strip()
            if not raw:
                continue
            if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= len(question.options):
                raise RuleViolation(_("Give “%(option)s” a rank from 1 to %(n)d, or leave it blank.",
                                      option=option.text, n=len(question.options)), field=field_name(question))
            rank = int(raw)
            if rank in ranked:
                raise RuleViolation(_("“%(option)s” has the same rank (%(rank)d) as “%(other)s”: give each option "
                                      "its own rank.", option=option.text, rank=rank, other=ranked[rank].text),
                                    field=field_name(question))
            ranked[rank] = option
        return [ranked[r].id for r in sorted(ranked)]

    def as_value(self, rows):
        return [o for o, _r in sorted(rows, key=lambda row: row[1] or 0)]

    def tally(self, question, option_ids, ballots):
        return {**tallies.counts(option_ids, [b[:1] for b in ballots]),
                "runoff": tallies.instant_runoff(option_ids, ballots),
                "borda": tallies.borda(option_ids, ballots)}

    def rule_text(self, question):
        if question.max_choices is None:
            return _("Rank every option: 1 for your first choice, 2 for your second, and so on.")
        return ngettext("Rank up to %(num)d option: 1 for your first choice, and so on.",
                        "Rank up to %(num)d options: 1 for your first choice, 2 for your second, and so on.",
                        self.limit(question))


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    return registries.put(_kinds, kind.key, kind, "question kind")


def get(key: str) -> Kind:
    try:
        return _kinds[key]
    except KeyError:
        raise RuleViolation(_("Choose a kind of question."), field="kind") from None


def all_kinds() -> list[Kind]:
    return list(_kinds.values())


def selectable_kinds() -> list[Kind]:
    """The kinds officers choose from when they add a question."""
    return [k for k in _kinds.values() if k.selectable]


for _kind in (Single(), Multiple(), Ranked()):
    register(_kind)
