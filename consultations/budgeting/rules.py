"""Outcome rules: which projects an election funds.

Two rules, both on approval ballots (see docs/participatory-budgeting.md):

- :func:`greedy` (Decidim's and Consul's): projects in order of approvals, most first; a project that no longer
  fits in the money left is skipped and the next one is tried.
- :func:`equal_shares`: the Method of Equal Shares with cost utilities (a voter's gain from a project is its
  cost), followed by a completion while money is left: the budget the voters share is raised by steps of 10 % of
  the real budget (at most :data:`MAX_INCREASES` times, so to twice the budget) for as long as the outcome still
  fits the real budget and leaves room for another approved project; then the money still left goes greedily (as
  :func:`greedy`) to the approved projects that fit.

Ties are broken exactly as pabutools' lexicographic rule, which the tests compare against: between projects with
as many approvals (greedy), or as cheap for their voters (equal shares), the one whose id comes first in the
order of characters wins (``"10"`` before ``"9"``). Projects nobody approved are never funded.

All arithmetic is exact (``int`` and :class:`fractions.Fraction`), as pabutools' (gmpy2 rationals).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain

from consultations.budgeting.election import Election, Money

GREEDY = "greedy"
EQUAL_SHARES = "equal-shares"
RULES = (GREEDY, EQUAL_SHARES)

#: The completion raises the budget the voters share by this part of the real budget at each step ...
INCREASE_STEP = Fraction(1, 10)
#: ... at most this many times (to twice the real budget): each step is a new run of the method, and the bound
#: keeps their number small on any election; a completion that stops there keeps the last outcome that fitted.
MAX_INCREASES = 10


@dataclass(frozen=True)
class Outcome:
    """What one rule funds. ``funded`` is in the order the rule chose the projects."""

    rule: str
    budget: Money
    funded: tuple[str, ...]
    spent: Money
    #: Voters with at least one funded project they approved.
    satisfied_voters: int
    voters: int
    #: Equal shares only: how many times the completion raised the voters' budget, and the projects the final
    #: greedy step added (the tail of ``funded``).
    increases: int = 0
    added_by_greedy: tuple[str, ...] = ()

    @property
    def left(self) -> Money:
        return self.budget - self.spent

    def as_dict(self) -> dict:
        return {"rule": self.rule, "funded": list(self.funded), "spent": _plain(self.spent),
                "left": _plain(self.left), "budget": _plain(self.budget), "voters": self.voters,
                "satisfied_voters": self.satisfied_voters, "increases": self.increases,
                "added_by_greedy": list(self.added_by_greedy)}


def _plain(amount: Money) -> int | str:
    """Money for JSON: an int when whole, else the exact fraction as text ("2501/3")."""
    return int(amount) if Fraction(amount).denominator == 1 else str(amount)


class _Counting:
    """The election prepared for counting: projects by index, identical ballots grouped with their number."""

    def __init__(self, election: Election) -> None:
        self.election = election
        self.ids = election.project_ids
        self.costs: list[Money] = [p.cost for p in election.projects]
        index = {project_id: i for i, project_id in enumerate(self.ids)}
        grouped = Counter(tuple(sorted(index[p] for p in ballot)) for ballot in election.ballots)
        self.ballots: list[tuple[int, ...]] = list(grouped)
        self.weights: list[int] = list(grouped.values())
        self.voters = len(election.ballots)
        self.supporters: list[list[int]] = [[] for _ in self.ids]  # project -> groups approving it
        self.approvals = [0] * len(self.ids)
        for group, ballot in enumerate(self.ballots):
            weight = self.weights[group]
            for project in ballot:
                self.supporters[project].append(group)
                self.approvals[project] += weight
        #: Projects someone approved: the only ones a rule may fund.
        self.approved = [p for p in range(len(self.ids)) if self.approvals[p]]
        #: Greedy's order: most approvals first, then by id.
        self.by_votes = sorted(self.approved, key=lambda p: (-self.approvals[p], self.ids[p]))

    def cost(self, projects: list[int]) -> Money:
        return sum((self.costs[p] for p in projects), 0)

    def fill_greedily(self, chosen: list[int], budget: Money) -> list[int]:
        """The projects greedy adds to ``chosen`` with what is left of ``budget``."""
        left = budget - self.cost(chosen)
        taken = set(chosen)
        added = []
        for project in self.by_votes:
            if project not in taken and self.costs[project] <= left:
                added.append(project)
                left -= self.costs[project]
        return added

    def exhaustive(self, chosen: list[int], budget: Money) -> bool:
        """No approved project left out fits in what ``chosen`` leaves of ``budget``."""
        left = budget - self.cost(chosen)
        taken = set(chosen)
        return not any(self.costs[p] <= left for p in self.approved if p not in taken)

    def outcome(self, rule: str, chosen: list[int], increases: int = 0, added: list[int] = ()) -> Outcome:
        funded = [self.ids[p] for p in chosen]
        wanted = set(chosen)
        satisfied = sum(weight for ballot, weight in zip(self.ballots, self.weights, strict=True)
                        if not wanted.isdisjoint(ballot))
        return Outcome(rule=rule, budget=self.election.budget, funded=tuple(funded), spent=self.cost(chosen),
                       satisfied_voters=satisfied, voters=self.voters, increases=increases,
                       added_by_greedy=tuple(self.ids[p] for p in added))

    def equal_shares(self, budget: Money) -> list[int]:
        """One run of the Method of Equal Shares with cost utilities, each voter starting with ``budget / voters``.

        A project costing c is bought by its supporters each paying at most q, the least q with
        sum(min(money_i, q)) = c; its price per unit of utility is rho = q / c, and the project with the least rho
        is bought (ties: smallest id). Voters are kept in classes of equal money (all start in one class; buying a
        project moves its supporters of a class to a new one), and each project keeps how many of its supporters
        are in each class, so a round costs a sort of a few classes per project, not a pass over the voters.

        Money is exact (Fractions); each round first estimates every project's rho in floating point, and then
        computes exactly the rho of the projects whose estimate is within :data:`_CLOSE` of the least (and of any
        project whose estimate was too close to call), so the choice, ties included, is the exact one.
        """
        if not self.voters:
            return []
        ids, costs, ballots, weights = self.ids, self.costs, self.ballots, self.weights
        money: list[Fraction] = [Fraction(budget) / self.voters]  # class -> money of each voter in it
        approx: list[float] = [float(money[0])]  # the same as floats
        zero = None  # the class of voters with nothing left
        member = [0] * len(ballots)  # group -> class
        classes: list[dict[int, int] | None] = [None] * len(ids)  # project -> {class: supporters}, None once out
        rho: dict[int, float] = {}  # (about) a lower bound of each live project's rho: rho never falls
        for project in self.approved:
            classes[project] = {0: self.approvals[project]}
            rho[project] = 1 / self.approvals[project]
        live = list(self.approved)
        chosen: list[int] = []
        while live:
            live.sort(key=rho.__getitem__)
            best = math.inf
            kept: list[int] = []
            exact: dict[int, Fraction | None] = {}
            for project in live:
                if rho[project] > best * (1 + _CLOSE):
                    kept.append(project)  # its rho can only be higher still: not this round
                    continue
                estimate = _estimate(costs[project], [(approx[c], n) for c, n in classes[project].items()])
                if estimate is None:  # too close to call in floating point
                    value = exact[project] = _exact_rho(costs[project],
                                                        [(approx[c], money[c], n) for c, n in classes[project].items()])
                    if value is None:
                        classes[project] = None  # its supporters can no longer pay for it, and never will
                        continue
                    estimate = float(value)
                elif estimate == math.inf:
                    classes[project] = None
                    continue
                rho[project] = estimate
                kept.append(project)
                best = min(best, estimate)
            live = kept
            if best == math.inf:
                break
            bought, price = None, None
            for project in live:
                if rho[project] <= best * (1 + _CLOSE):
                    value = exact.get(project)
                    if value is None:
                        value = _exact_rho(costs[project],
                                           [(approx[c], money[c], n) for c, n in classes[project].items()])
                    if price is None or value < price or (value == price and ids[project] < ids[bought]):
                        bought, price = project, value
            q = price * costs[bought]
            chosen.append(bought)
            live.remove(bought)
            moved: dict[int, int] = {}
            for c in classes[bought]:
                if money[c] <= q:
                    if zero is None:
                        zero = len(money)
                        money.append(Fraction(0))
                        approx.append(0.0)
                    moved[c] = zero
                else:
                    moved[c] = len(money)
                    money.append(money[c] - q)
                    approx.append(float(money[-1]))
            classes[bought] = None
            # Move the buyers, class by class, and tell each project how many of its supporters moved: identical
            # ballots counted once with their weight, the single ones by a Counter over their ballots (C speed).
            leaving: dict[int, list[int]] = {}
            for group in self.supporters[bought]:
                leaving.setdefault(member[group], []).append(group)
            for old, groups in leaving.items():
                new = moved[old]
                for group in groups:
                    member[group] = new
                if new == old:
                    continue
                singles = [g for g in groups if weights[g] == 1]
                counted = Counter(chain.from_iterable(map(ballots.__getitem__, singles)))
                if len(singles) < len(groups):
                    for group in groups:
                        if weights[group] > 1:
                            for project in ballots[group]:
                                counted[project] += weights[group]
                for project, number in counted.items():
                    counts = classes[project]
                    if counts is None:
                        continue
                    left = counts[old] - number
                    if left:
                        counts[old] = left
                    else:
                        del counts[old]
                    counts[new] = counts.get(new, 0) + number
        return chosen


#: Relative closeness under which floating point cannot tell two amounts apart for sure: exact arithmetic decides.
_CLOSE = 1e-9


def _estimate(cost: Money, held: list[tuple[float, int]]) -> float | None:
    """A project's rho in floating point from its supporters' (money, number) pairs: ``inf`` when they cannot pay
    for it, ``None`` when a comparison on the way is too close to call."""
    held.sort()
    cost = float(cost)
    tolerance = _CLOSE * cost
    remaining, payers = cost, sum(n for _, n in held)
    for m, n in held:
        paid = m * payers
        if abs(paid - remaining) <= tolerance:
            return None
        if paid > remaining:
            return remaining / (payers * cost)
        remaining -= m * n  # these pay all they have
        payers -= n
    return math.inf


def _exact_rho(cost: Money, held: list[tuple[float, Fraction, int]]) -> Fraction | None:
    """A project's rho, exactly (``None`` when its supporters cannot pay for it), from (money as a float, money,
    number) triples: rho = q / cost, where q is the least amount with sum(min(money, q)) = cost."""
    held.sort()  # by the floats, the exact amounts deciding only between equal floats
    remaining, payers = Fraction(cost), sum(n for _, _, n in held)
    for _, m, n in held:
        if m * payers >= remaining:
            return remaining / (payers * cost)
        remaining -= m * n  # these pay all they have
        payers -= n
    return None


def greedy(election: Election) -> Outcome:
    """Most approvals first; skip a project that does not fit in the money left; ties by id."""
    counting = _Counting(election)
    return counting.outcome(GREEDY, counting.fill_greedily([], election.budget))


def equal_shares(election: Election, *, complete: bool = True) -> Outcome:
    """The Method of Equal Shares with cost utilities, with the completion described in the module's docstring
    (``complete=False``: the plain method, which may leave money unspent)."""
    counting = _Counting(election)
    budget = election.budget
    chosen = counting.equal_shares(budget)
    if not complete:
        return counting.outcome(EQUAL_SHARES, chosen)
    increases = 0
    if not counting.exhaustive(chosen, budget):
        step = budget * INCREASE_STEP
        for k in range(1, MAX_INCREASES + 1):
            raised = counting.equal_shares(budget + k * step)
            if counting.cost(raised) > budget:
                break
            chosen, increases = raised, k
            if counting.exhaustive(raised, budget):
                break
    added = counting.fill_greedily(chosen, budget)
    return counting.outcome(EQUAL_SHARES, chosen + added, increases=increases, added=added)


def outcome(election: Election, rule: str) -> Outcome:
    if rule == GREEDY:
        return greedy(election)
    if rule == EQUAL_SHARES:
        return equal_shares(election)
    raise ValueError(f"Unknown rule {rule!r}: one of {', '.join(RULES)}.")


def compare(election: Election) -> dict[str, Outcome]:
    """Both rules side by side: ``{"greedy": Outcome, "equal-shares": Outcome}``."""
    return {rule: outcome(election, rule) for rule in RULES}
