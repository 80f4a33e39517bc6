"""Participatory budgeting: the Method of Equal Shares on 50,000 approval ballots over 60 projects (issue 19).

A seeded election (the same every run): 60 projects costing £10,000-£300,000, a budget of £3,000,000, and 50,000
ballots, each approving 1-10 projects drawn by a skewed popularity (a few projects very popular, most not), as a
city-wide vote looks. It times, in this process, one after another:

- Civic's Method of Equal Shares alone (``rules.equal_shares(election, complete=False)``) and with its completion
  (``rules.equal_shares(election)``, the outcome the site shows: up to 11 runs of the method, then greedy), each
  the median of 3 runs; and the greedy rule;
- pabutools' ``method_of_equal_shares`` with cost utilities on the same election (once: it is slow), when pabutools
  is installed (the ``test`` extras), and whether it funds the same projects in the same order.

Budget: **≤ 2 s** for Civic's Method of Equal Shares, alone and with the completion.
"""

from __future__ import annotations

import random
import statistics
import time

from consultations.budgeting import rules
from consultations.budgeting.election import Election, Project

PROJECTS = 60
BALLOTS = 50_000
BUDGET = 3_000_000
BUDGET_S = 2.0
SEED = 19


def election() -> Election:
    rng = random.Random(SEED)
    projects = [Project(str(i + 1), rng.randrange(10_000, 300_001, 1_000)) for i in range(PROJECTS)]
    popularity = [rng.paretovariate(1.2) for _ in projects]
    ballots = [frozenset(p.id for p in rng.choices(projects, popularity, k=rng.randint(1, 10)))
               for _ in range(BALLOTS)]
    return Election.of(BUDGET, projects, ballots)


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def pabutools_time(e: Election) -> tuple[float, tuple[str, ...]] | None:
    try:
        from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance
        from pabutools.election import Project as PabuProject
        from pabutools.fractions import frac
        from pabutools.rules import method_of_equal_shares
    except ImportError:
        return None
    projects = {p.id: PabuProject(p.id, frac(p.cost)) for p in e.projects}
    instance = Instance(projects.values(), budget_limit=frac(e.budget))
    profile = ApprovalProfile([ApprovalBallot([projects[i] for i in b]) for b in e.ballots])
    seconds, outcome = timed(lambda: method_of_equal_shares(instance, profile, sat_class=Cost_Sat), 1)
    return seconds, tuple(p.name for p in outcome)


def main() -> bool:
    e = election()
    print(f"{len(e.ballots):,} approval ballots ({len(set(e.ballots)):,} different), {len(e.projects)} projects, "
          f"budget £{e.budget:,}")
    alone_s, alone = timed(lambda: rules.equal_shares(e, complete=False), 3)
    completed_s, completed = timed(lambda: rules.equal_shares(e), 3)
    greedy_s, greedy = timed(lambda: rules.greedy(e), 3)
    rows = [("Civic: equal shares alone", alone_s, alone, True),
            ("Civic: equal shares + completion", completed_s, completed, True),
            ("Civic: greedy", greedy_s, greedy, False)]
    print(f"{'rule':34} {'seconds':>8} {'funded':>6} {'spent':>11}  budget")
    within = True
    for label, seconds, outcome, budgeted in rows:
        verdict = ""
        if budgeted:
            ok = seconds <= BUDGET_S
            within &= ok
            verdict = f"<= {BUDGET_S:.0f} s  {'PASS' if ok else 'OVER'}"
        print(f"{label:34} {seconds:8.2f} {len(outcome.funded):6} {outcome.spent:>11,}  {verdict}")
    print(f"  (completion: shared budget raised {completed.increases} time(s), greedy added "
          f"{len(completed.added_by_greedy)}; voters with a funded project they chose: equal shares "
          f"{completed.satisfied_voters:,}, greedy {greedy.satisfied_voters:,})")
    theirs = pabutools_time(e)
    if theirs is None:
        print("pabutools: not installed (make install-test), not timed")
    else:
        seconds, funded = theirs
        same = "same projects, same order" if funded == alone.funded else "DIFFERENT OUTCOME"
        print(f"{'pabutools: method_of_equal_shares':34} {seconds:8.2f} {len(funded):6} {'':>11}  ({same}; "
              f"Civic alone is {seconds / alone_s:.0f}x faster)")
        within &= funded == alone.funded
    return within


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
