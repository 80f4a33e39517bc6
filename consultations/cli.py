"""``flask consultations tally``: recount a consultation's published results from its ballot file, or recompute
a participatory budget's outcome from its Pabulib ``.pb`` file.

- ``flask consultations tally CONSULTATION_ID --ballots FILE`` (a JSON or CSV ballot file, as downloaded from the
  results page): recounts every question from the file alone and says whether it matches the published results.
- ``flask consultations tally FILE.pb [--rule greedy|equal-shares]``: the outcome of the budget in the file under
  both rules (or one), printed with the funded projects and the money (:mod:`consultations.budgeting.cli`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from civic.db import db
from consultations import results
from consultations.budgeting import cli as budgeting_cli
from consultations.budgeting import rules
from consultations.models import Consultation

cli = AppGroup("consultations", help="Consultations: recount results from the published ballot file, or a "
                                     "participatory budget's outcome from its .pb file.")


def _comparable(questions: list[dict]) -> str:
    return json.dumps(questions, sort_keys=True)


@cli.command("tally")
@click.argument("target", metavar="CONSULTATION_ID|FILE.pb")
@click.option("--ballots", "ballot_file", type=click.File("r", encoding="utf-8"), default=None,
              help="With CONSULTATION_ID: the ballot file (JSON or CSV) as downloaded from the results page.")
@click.option("--rule", type=click.Choice(rules.RULES), default=None,
              help="With FILE.pb: only this rule (default: both, side by side).")
@click.pass_context
def tally(ctx: click.Context, target: str, ballot_file, rule: str | None) -> None:
    """Recount CONSULTATION_ID from its ballot file (--ballots) and compare with the published results; or
    recompute the outcome of the participatory budget in FILE.pb (a Pabulib file, as the results page exports it)
    under the greedy rule and the Method of Equal Shares."""
    if ballot_file is not None:
        if rule is not None:
            raise click.UsageError("--rule is for a .pb file, not a consultation's ballot file.")
        if not (target.isascii() and target.isdigit()):
            raise click.UsageError(f"With --ballots, give the consultation's number, not {target!r}.")
        _recount(int(target), ballot_file)
        return
    path = Path(target)
    if not path.is_file():
        if target.isascii() and target.isdigit():
            raise click.UsageError("To recount a consultation, give its ballot file with --ballots FILE.")
        raise click.UsageError(f"No file {target!r}.")
    ctx.invoke(budgeting_cli.tally, path=path, rule=rule)


def _recount(consultation_id: int, ballot_file) -> None:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"No consultation {consultation_id}.")
    try:
        published = results.results(consultation)
    except results.RuleViolation as e:
        raise click.ClickException(e.message) from None
    try:
        recounted = results.tally_file(ballot_file.read(), results.questions_spec(consultation))
    except (ValueError, KeyError, TypeError) as e:
        raise click.ClickException(f"The file is not a ballot file: {e}") from None
    for question in recounted:
        result = question["result"]
        click.echo(f"{question['title']} ({question['kind']}): {result['answered']} ballots answered")
        for row in result["options"]:
            click.echo(f"  option {row['option']}: {row['votes']} ({row['percent']}%)")
        if "runoff" in result:
            click.echo(f"  instant-runoff winner: option {result['runoff']['winner']} "
                       f"after {len(result['runoff']['rounds'])} rounds")
    if _comparable(recounted) == _comparable(published["questions"]):
        click.echo("The recount matches the published results.")
    else:
        click.echo("The recount DIFFERS from the published results.", err=True)
        sys.exit(1)
