"""Both outcome rules side by side on one election: what the results page and the API show after the close.

:func:`compare` takes the money, the projects (id and cost) and the approval ballots, and returns a
:class:`Comparison`: the projects most votes first (ties by id, greedy's order) with, for each rule, whether it
funds the project and in which order it chose it; each rule's money used and left; the number of voters with at
least one funded project they chose; and **the funded line** of each rule.

The funded line: in the list most votes first, the line sits before the first project the rule does not fund.
Every project above it is funded. Projects below it may still be funded: under greedy, a cheaper one that fits in
the money left once a dearer one was skipped; under the Method of Equal Shares, one its voters could pay for
with their share. The page draws the line and marks those below it as "funded below the line".

Plain Python, like the rest of :mod:`consultations.budgeting`: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from consultations.budgeting import rules
from consultations.budgeting.election import Election, Money, Project
from consultations.budgeting.rules import Outcome


@dataclass(frozen=True)
class Row:
    """One project in the results table: its votes, its place, and what each rule did with it."""

    project: Project
    votes: int
    #: 1 for the most votes; projects with as many votes have consecutive places, ties broken by id.
    place: int
    #: rule -> its position in the order the rule chose the projects (1 = first), or None when not funded.
    chosen: Mapping[str, int | None]

    def funded(self, rule: str) -> bool:
        return self.chosen[rule] is not None


@dataclass(frozen=True)
class Summary:
    rule: str
    funded: int
    spent: Money
    left: Money
    budget: Money
    voters: int
    #: Voters with at least one funded project they chose.
    satisfied: int
    #: Projects above the funded line (see the module's docstring).
    line: int
    #: Equal shares: how many times the completion raised the shared budget, and what greedy added after.
    increases: int = 0
    added_by_greedy: tuple[str, ...] = ()

    @property
    def satisfied_percent(self) -> int:
        return round(100 * self.satisfied / self.voters) if self.voters else 0

    @property
    def spent_percent(self) -> int:
        return round(100 * Fraction(self.spent) / Fraction(self.budget)) if self.budget else 0


@dataclass(frozen=True)
class Comparison:
    election: Election
    outcomes: Mapping[str, Outcome]
    #: Most votes first, ties by id (greedy's order).
    rows: tuple[Row, ...]
    summaries: Mapping[str, Summary] = field(default_factory=dict)

    def funded_ids(self, rule: str) -> tuple[str, ...]:
        return self.outcomes[rule].funded

    def only_in(self, rule: str) -> tuple[str, ...]:
        """Projects this rule funds and the other does not, most votes first."""
        other = next(r for r in rules.RULES if r != rule)
        return tuple(row.project.id for row in self.rows if row.funded(rule) and not row.funded(other))

    def below_line(self, rule: str) -> tuple[str, ...]:
        """Projects the rule funds below its funded line."""
        line = self.summaries[rule].line
        return tuple(row.project.id for row in self.rows[line:] if row.funded(rule))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (amounts as numbers when whole, else exact fractions as text, as ``Outcome.as_dict``)."""
        return {
            "budget": _plain(self.election.budget), "voters": len(self.election.ballots),
            "projects": [{"id": row.project.id, "name": row.project.name, "cost": _plain(row.project.cost),
                          "votes": row.votes, "place": row.place,
                          "funded": {rule: row.funded(rule) for rule in rules.RULES},
                          "chosen": dict(row.chosen)} for row in self.rows],
            "rules": {rule: {"funded": list(self.outcomes[rule].funded), "spent": _plain(s.spent),
                             "left": _plain(s.left), "voters": s.voters, "satisfied_voters": s.satisfied,
                             "funded_line": s.line, "funded_below_line": list(self.below_line(rule)),
                             "increases": s.increases, "added_by_greedy": list(s.added_by_greedy)}
                      for rule, s in self.summaries.items()},
        }


def _plain(amount: Money) -> int | str:
    return int(amount) if Fraction(amount).denominator == 1 else str(amount)


def order_by_votes(election: Election) -> list[Project]:
    """The projects most votes first, ties by id in the order of characters (the order greedy tries them)."""
    votes = election.approvals()
    return sorted(election.projects, key=lambda p: (-votes[p.id], p.id))


def of_election(election: Election) -> Comparison:
    """Both rules on an election, side by side."""
    outcomes = rules.compare(election)
    votes = election.approvals()
    positions = {rule: {pid: n for n, pid in enumerate(outcome.funded, start=1)}
                 for rule, outcome in outcomes.items()}
    rows = tuple(Row(project=p, votes=votes[p.id], place=n,
                     chosen={rule: positions[rule].get(p.id) for rule in outcomes})
                 for n, p in enumerate(order_by_votes(election), start=1))
    summaries = {}
    for rule, outcome in outcomes.items():
        line = next((n for n, row in enumerate(rows) if not row.funded(rule)), len(rows))
        summaries[rule] = Summary(rule=rule, funded=len(outcome.funded), spent=outcome.spent, left=outcome.left,
                                  budget=outcome.budget, voters=outcome.voters, satisfied=outcome.satisfied_voters,
                                  line=line, increases=outcome.increases, added_by_greedy=outcome.added_by_greedy)
    return Comparison(election=election, outcomes=outcomes, rows=rows, summaries=summaries)


def compare(budget: object, projects: Iterable[Project | tuple], ballots: Iterable[Iterable[str]],
            meta: Mapping[str, str] | None = None) -> Comparison:
    """Both rules on the election of ``budget``, ``projects`` (:class:`Project` or ``(id, cost)``) and approval
    ``ballots`` (each the ids a voter chose). Raises :class:`~.election.ElectionError` when it cannot be counted."""
    return of_election(Election.of(budget, projects, ballots, meta=meta))
