"""An election of participatory budgeting: costed projects, approval ballots and the money to share.

Amounts (costs, the budget) are whole numbers or exact fractions (:class:`fractions.Fraction`): the rules compare
them exactly, so a tie is a tie and never a rounding accident. Project ids are strings, as in a Pabulib file; the
rules break ties by them in the order of their characters (``"10"`` comes before ``"9"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

Money = int | Fraction
#: Amounts stop short of this (far beyond any budget): the rules estimate in floating point before deciding exactly.
LARGEST = 10**100


class ElectionError(ValueError):
    """An election that cannot be counted: the message says what is wrong with it."""


def money(value: object, what: str = "amount") -> Money:
    """``value`` (an int, Fraction, Decimal or a decimal string such as ``"1500"`` or ``"1500.50"``) as exact money:
    an ``int`` when it is whole, else a :class:`Fraction`. Floats are refused (they are not exact)."""
    if isinstance(value, bool | float):
        raise ElectionError(f"The {what} must be an exact number, not {value!r}.")
    try:
        if isinstance(value, str):
            amount = Fraction(Decimal(value.strip().replace(",", ".")))
        elif isinstance(value, int | Fraction | Decimal):
            amount = Fraction(value)
        else:
            raise TypeError
    except (ArithmeticError, ValueError, TypeError):
        raise ElectionError(f"The {what} {value!r} is not a number.") from None
    if abs(amount) >= LARGEST:
        raise ElectionError(f"The {what} {value!r} is too large.")
    return int(amount) if amount.denominator == 1 else amount


@dataclass(frozen=True)
class Project:
    """A costed project. ``ward`` and ``programme`` are labels carried into the ``.pb`` file, not used by the rules."""

    id: str
    cost: Money
    name: str = ""
    ward: str = ""
    programme: str = ""

    def __post_init__(self) -> None:
        if (not isinstance(self.id, str) or not self.id or self.id != self.id.strip()
                or any(c in self.id for c in ",;\n\r")):
            raise ElectionError(f"A project id must be a non-empty string without commas, semicolons, line breaks "
                                f"or surrounding spaces: {self.id!r}.")
        cost = money(self.cost, f"cost of project {self.id}")
        if cost <= 0:
            raise ElectionError(f"The cost of project {self.id} must be more than zero.")
        object.__setattr__(self, "cost", cost)


@dataclass(frozen=True)
class Election:
    """Projects, the total budget and one approval ballot (a set of project ids) per voter.

    A ballot may be empty (the voter approved nothing): it still counts as a voter, and under the Method of Equal
    Shares still receives its share of the budget, which it never spends.
    """

    budget: Money
    projects: tuple[Project, ...]
    ballots: tuple[frozenset[str], ...]
    #: Pabulib's META lines beyond those the writer computes (description, country, unit, subunit, instance,
    #: date_begin, date_end, ...).
    meta: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        budget = money(self.budget, "budget")
        if budget < 0:
            raise ElectionError("The budget must not be negative.")
        object.__setattr__(self, "budget", budget)
        object.__setattr__(self, "projects", tuple(self.projects))
        object.__setattr__(self, "ballots", tuple(frozenset(b) for b in self.ballots))
        object.__setattr__(self, "meta", dict(self.meta))
        ids = [p.id for p in self.projects]
        if len(set(ids)) != len(ids):
            doubled = sorted({i for i in ids if ids.count(i) > 1})
            raise ElectionError(f"Project ids must be unique: {', '.join(doubled)} appear more than once.")
        known = set(ids)
        for number, ballot in enumerate(self.ballots, start=1):
            unknown = ballot - known
            if unknown:
                raise ElectionError(f"Ballot {number} approves projects that are not in the election: "
                                    f"{', '.join(sorted(unknown))}.")

    @classmethod
    def of(cls, budget: object, projects: Iterable[Project | tuple], ballots: Iterable[Iterable[str]],
           meta: Mapping[str, str] | None = None) -> Election:
        """Build an election from plain values: projects as :class:`Project` or ``(id, cost)`` tuples."""
        made = tuple(p if isinstance(p, Project) else Project(*p) for p in projects)
        return cls(budget=budget, projects=made, ballots=tuple(frozenset(b) for b in ballots), meta=meta or {})

    @property
    def project_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.projects)

    def cost_of(self, ids: Iterable[str]) -> Money:
        costs = {p.id: p.cost for p in self.projects}
        return sum((costs[i] for i in ids), 0)

    def approvals(self) -> dict[str, int]:
        """The number of ballots approving each project (every project listed, zero included)."""
        counts = dict.fromkeys(self.project_ids, 0)
        for ballot in self.ballots:
            for project_id in ballot:
                counts[project_id] += 1
        return counts
