"""Counting, from ballots alone: plain counts, instant-runoff rounds and a Borda count.

Pure functions on plain data (no database), so the published results can be recomputed from the ballot file by
anyone (``flask consultations tally``, docs/consultations.md). A question's ballots are a list of tuples of option
ids: for a ranked question in rank order (first preference first), otherwise the chosen options.

Instant runoff (ranked questions):

- each round counts every continuing ballot for its highest-ranked option still in the count; a ballot with no
  such option is *exhausted* and counted apart;
- an option with more than half of the continuing ballots wins; otherwise the option with the fewest votes is
  eliminated and the next round begins; when one option is left it wins;
- **ties for elimination** are broken by the earlier rounds, latest first (the tied option that had fewer votes in
  the round before is eliminated); if they tied in every earlier round too, the tied option listed *last* on the
  ballot (the highest position) is eliminated.

Borda count (beside it, for comparison): with n options, a ballot gives n - 1 points to its first preference,
n - 2 to its second, and so on; options a ballot leaves unranked get nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any


def counts(options: Sequence[int], ballots: Iterable[Sequence[int]]) -> dict[str, Any]:
    """How many ballots chose each option, and the percentage of the ballots that answered the question."""
    tally = Counter({o: 0 for o in options})
    answered = 0
    for ballot in ballots:
        if ballot:
            answered += 1
        tally.update(o for o in ballot if o in tally)
    return {"answered": answered,
            "options": [{"option": o, "votes": tally[o], "percent": percent(tally[o], answered)} for o in options]}


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def instant_runoff(options: Sequence[int], ballots: Iterable[Sequence[int]]) -> dict[str, Any]:
    """The rounds of an instant-runoff count and its winner (None when no ballot ranked anything).

    ``options`` in ballot order (the order breaks the last ties). Identical ballots are counted together, so a
    hundred thousand ballots over eight options take a fraction of a second."""
    grouped = Counter(tuple(b) for b in ballots)
    position = {o: n for n, o in enumerate(options)}
    continuing = [o for o in options]
    history: list[dict[int, int]] = []
    rounds: list[dict[str, Any]] = []
    winner = None
    while continuing:
        alive = set(continuing)
        votes = {o: 0 for o in continuing}
        exhausted = 0
        for ranking, n in grouped.items():
            for o in ranking:
                if o in alive:
                    votes[o] += n
                    break
            else:
                exhausted += n
        active = sum(votes.values())
        history.append(votes)
        round_ = {"round": len(rounds) + 1,
                  "votes": [{"option": o, "votes": votes[o], "percent": percent(votes[o], active)} for o in continuing],
                  "exhausted": exhausted, "eliminated": None, "tie_broken": False}
        rounds.append(round_)
        if active == 0:
            break
        leader = max(continuing, key=lambda o: (votes[o], -position[o]))
        if 2 * votes[leader] > active or len(continuing) == 1:
            winner = leader
            break
        loser, broken = _to_eliminate(continuing, history, position)
        round_["eliminated"], round_["tie_broken"] = loser, broken
        continuing.remove(loser)
    return {"rounds": rounds, "winner": winner}


def _to_eliminate(continuing: list[int], history: list[dict[int, int]], position: dict[int, int]) -> tuple[int, bool]:
    """The option to eliminate after the latest round, and whether a tie had to be broken."""
    latest = history[-1]
    fewest = min(latest[o] for o in continuing)
    tied = [o for o in continuing if latest[o] == fewest]
    if len(tied) == 1:
        return tied[0], False
    for earlier in reversed(history[:-1]):
        low = min(earlier[o] for o in tied)
        tied = [o for o in tied if earlier[o] == low]
        if len(tied) == 1:
            return tied[0], True
    return max(tied, key=lambda o: position[o]), True


def borda(options: Sequence[int], ballots: Iterable[Sequence[int]]) -> dict[str, Any]:
    """Borda points per option (n - 1 for a first preference ... 0 when unranked), highest first."""
    n = len(options)
    points = {o: 0 for o in options}
    for ranking, many in Counter(tuple(b) for b in ballots).items():
        for rank, o in enumerate(ranking):
            if o in points:
                points[o] += (n - 1 - rank) * many
    position = {o: k for k, o in enumerate(options)}
    order = sorted(options, key=lambda o: (-points[o], position[o]))
    return {"points": [{"option": o, "points": points[o]} for o in order]}
