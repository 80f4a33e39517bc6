"""The counting rules, by hand and cross-checked against pref_voting (a maintained implementation from PyPI) on
generated elections, ties and exhausted ballots included."""

from __future__ import annotations

import random

import pytest
from pref_voting.profiles import Profile
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.voting_methods import (
    instant_runoff,
    instant_runoff_for_truncated_linear_orders,
    instant_runoff_put,
)

from consultations import tallies

A, B, C, D = 11, 12, 13, 14


def test_counts_and_percentages_of_the_ballots_that_answered():
    result = tallies.counts([A, B, C], [(A,), (A,), (B,), ()])
    assert result["answered"] == 3
    assert [(r["option"], r["votes"], r["percent"]) for r in result["options"]] == [
        (A, 2, 66.7), (B, 1, 33.3), (C, 0, 0.0)]


def test_instant_runoff_transfers_and_exhausts():
    ballots = [(A, B)] * 4 + [(B, A)] * 3 + [(C, B)] * 2 + [(C,)] * 1
    result = tallies.instant_runoff([A, B, C], ballots)
    first, second = result["rounds"]
    assert [r["votes"] for r in first["votes"]] == [4, 3, 3]
    # B and C tie for fewest with no earlier round: the one listed last (C) is eliminated.
    assert first["eliminated"] == C and first["tie_broken"]
    assert [r["votes"] for r in second["votes"]] == [4, 5] and second["exhausted"] == 1
    assert result["winner"] == B


def test_ties_are_broken_by_earlier_rounds_first():
    # Round 1: A 5, B 4, C 3, D 3 -> D eliminated (listed last among C and D tied with no earlier round).
    # Round 2: D's ballots go to C: A 5, B 4, C 6?  Build a case where B and C tie in round 2 but differed in 1.
    ballots = [(A,)] * 6 + [(B,)] * 4 + [(C,)] * 3 + [(D, C)] * 1 + [(D, B)] * 0 + [(D,)] * 1
    result = tallies.instant_runoff([A, B, C, D], ballots)
    r1, r2 = result["rounds"][:2]
    assert r1["eliminated"] == D and not r1["tie_broken"]
    assert {r["option"]: r["votes"] for r in r2["votes"]} == {A: 6, B: 4, C: 4}
    assert r2["eliminated"] == C and r2["tie_broken"]  # C had 3 to B's 4 in round 1


def test_borda_gives_n_minus_1_down_to_nothing_for_unranked():
    result = tallies.borda([A, B, C], [(A, B, C), (B,), (C, A)])
    assert {r["option"]: r["points"] for r in result["points"]} == {A: 2 + 1, B: 1 + 2, C: 0 + 2}
    assert [r["option"] for r in result["points"]] == [A, B, C]  # ties in ballot order


def test_no_ballots_no_winner():
    assert tallies.instant_runoff([A, B], [])["winner"] is None


def _election(rng: random.Random, complete: bool) -> tuple[list[int], list[tuple[int, ...]]]:
    n = rng.randint(2, 6)
    options = list(range(100, 100 + n))
    ballots = []
    for _ in range(rng.randint(1, 40)):
        order = options[:]
        rng.shuffle(order)
        ballots.append(tuple(order if complete else order[:rng.randint(1, n)]))
    return options, ballots


@pytest.mark.parametrize("seed", range(300))
def test_instant_runoff_agrees_with_pref_voting_on_complete_ballots(seed):
    rng = random.Random(seed)
    options, ballots = _election(rng, complete=True)
    ours = tallies.instant_runoff(options, ballots)
    profile = Profile([[options.index(o) for o in b] for b in ballots])
    every_tie_breaking = {options[c] for c in instant_runoff_put(profile)}
    assert ours["winner"] in every_tie_breaking
    if not any(r["tie_broken"] for r in ours["rounds"]):
        assert [options[c] for c in instant_runoff(profile)] == [ours["winner"]]
    theirs = profile.borda_scores()
    assert {r["option"]: r["points"] for r in tallies.borda(options, ballots)["points"]} == {
        options[c]: s for c, s in theirs.items()}


def test_instant_runoff_agrees_with_pref_voting_on_truncated_ballots():
    """Exhausted ballots included. pref_voting eliminates options tied for last together, so elections where our
    rule had to break a tie are compared on complete ballots above (parallel universes) and counted apart here."""
    compared = exhausted = 0
    for seed in range(300):
        rng = random.Random(10_000 + seed)
        options, ballots = _election(rng, complete=False)
        ours = tallies.instant_runoff(options, ballots)
        if any(r["tie_broken"] for r in ours["rounds"]):
            continue
        profile = ProfileWithTies([{options.index(o): rank for rank, o in enumerate(b, start=1)} for b in ballots],
                                  candidates=list(range(len(options))))
        assert [options[c] for c in instant_runoff_for_truncated_linear_orders(profile)] == [ours["winner"]], seed
        compared += 1
        exhausted += any(r["exhausted"] for r in ours["rounds"])
    assert compared >= 100 and exhausted >= 50  # most elections compared, many with exhausted ballots
