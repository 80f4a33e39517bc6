"""``flask consultations tally FILE.pb``: recompute a participatory budget's outcome from its Pabulib file.

The consultations manifest registers :data:`tally` in its command group; :func:`tally_file` is the same count for
code and tests.
"""

from __future__ import annotations

from pathlib import Path

import click

from consultations.budgeting import pabulib, rules
from consultations.budgeting.election import Election, ElectionError
from consultations.budgeting.rules import Outcome


def tally_file(path: str | Path, rule: str | None = None) -> dict[str, Outcome]:
    """The outcome of the election in the ``.pb`` file at ``path``: ``{rule: Outcome}`` for ``rule``, or for both
    rules (greedy first) when it is ``None``. Raises :class:`~.election.ElectionError` for a file it cannot count."""
    election = pabulib.read(path)
    if rule is None:
        return rules.compare(election)
    return {rule: rules.outcome(election, rule)}


def _money(amount) -> str:
    """An amount as the file writes it (``1500``, ``1500.5``), or to the penny when it has no finite decimals."""
    try:
        return pabulib.amount_text(amount)
    except ElectionError:
        return f"{float(amount):.2f}"


def describe(election: Election, outcome: Outcome) -> list[str]:
    """The outcome as lines of text for a terminal."""
    projects = {p.id: p for p in election.projects}
    votes = election.approvals()
    title = {"greedy": "Greedy (most votes first)", "equal-shares": "Method of Equal Shares"}[outcome.rule]
    lines = [f"{title}: {len(outcome.funded)} projects funded, {_money(outcome.spent)} of {_money(outcome.budget)} "
             f"spent ({_money(outcome.left)} left)"]
    for project_id in outcome.funded:
        project = projects[project_id]
        name = f"  {project.name}" if project.name else ""
        lines.append(f"  {project_id:>8}  {_money(project.cost):>12}  {votes[project_id]:>7} votes{name}")
    share = outcome.satisfied_voters / outcome.voters if outcome.voters else 0
    lines.append(f"  Voters with at least one funded project they chose: {outcome.satisfied_voters} of "
                 f"{outcome.voters} ({share:.0%})")
    if outcome.rule == rules.EQUAL_SHARES:
        step = f"{float(rules.INCREASE_STEP):.0%}"
        if not outcome.increases and not outcome.added_by_greedy:
            lines.append("  Completion: none needed")
        else:
            lines.append(f"  Completion: the shared budget raised {outcome.increases} of at most "
                         f"{rules.MAX_INCREASES} times by {step} of the budget; then greedy added "
                         f"{', '.join(outcome.added_by_greedy) or 'nothing'}")
    return lines


@click.command("tally")
@click.argument("path", metavar="FILE.pb", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rule", type=click.Choice(rules.RULES), default=None,
              help="Only this rule (default: both, side by side).")
def tally(path: Path, rule: str | None) -> None:
    """Recompute the outcome of the participatory budget in FILE.pb (a Pabulib file, as the site exports it)."""
    try:
        election = pabulib.read(path)
        outcomes = rules.compare(election) if rule is None else {rule: rules.outcome(election, rule)}
    except (ElectionError, UnicodeDecodeError) as e:
        raise click.ClickException(f"{path}: {e}") from None
    click.echo(f"{election.meta.get('description', path.name)}: {len(election.projects)} projects, "
               f"{len(election.ballots)} ballots, budget {_money(election.budget)}")
    for outcome in outcomes.values():
        click.echo("")
        for line in describe(election, outcome):
            click.echo(line)
