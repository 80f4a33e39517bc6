"""``flask consultations ...``: recount a consultation's published results from its ballot file."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from civic.db import db
from consultations import results
from consultations.models import Consultation

cli = AppGroup("consultations", help="Consultations: recount results from the published ballot file.")


def _comparable(questions: list[dict]) -> str:
    return json.dumps(questions, sort_keys=True)


@cli.command("tally")
@click.argument("consultation_id", type=int)
@click.option("--ballots", "ballot_file", type=click.File("r", encoding="utf-8"), required=True,
              help="The ballot file (JSON or CSV) as downloaded from the results page.")
def tally(consultation_id: int, ballot_file) -> None:
    """Recount CONSULTATION_ID from the ballot file alone and compare with the published results."""
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
