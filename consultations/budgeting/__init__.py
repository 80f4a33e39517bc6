"""Participatory budgeting's counting core (issue 19): elections of costed projects with approval ballots, the
greedy and the Method of Equal Shares outcome rules, their comparison, and the Pabulib ``.pb`` file.

Plain Python: no Flask, no database. The consultations domain builds an :class:`~.election.Election` from its
rows and calls :mod:`.rules`; ``flask consultations tally`` (:mod:`.cli`) recomputes an outcome from a file.
"""
