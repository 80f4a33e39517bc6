"""``flask citizen_sensing ...`` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from citizen_sensing import aggregates, storage
from civic.db import db

cli = AppGroup("citizen_sensing", help="Citizen sensing commands.")


@cli.command("rebuild-aggregates")
@click.option("--campaigns-only", is_flag=True,
              help="Only the campaigns' summaries, from the sensors' aggregates (quick).")
def rebuild_aggregates(campaigns_only: bool) -> None:
    """Compute every hourly and daily aggregate again from the raw readings (after a restore, or a change to the
    quality flags made outside the site), then the campaigns' summaries from them."""
    if not campaigns_only:
        written = aggregates.rebuild()
        click.echo(f"{written} aggregates written.")
    summaries = aggregates.rebuild_campaigns()
    db.session.commit()
    click.echo(f"{summaries} campaign summary rows written.")


@cli.command("partitions")
@click.option("--ahead", default=storage.AHEAD, show_default=True, help="Months ahead of this one.")
@click.option("--behind", default=0, show_default=True, help="Months before this one (to move a backlog).")
def partitions(ahead: int, behind: int) -> None:
    """Make the monthly partitions of the readings (PostgreSQL; the scheduled task does it every day)."""
    made = storage.ensure_partitions(ahead=ahead, behind=behind)
    db.session.commit()
    click.echo(f"{len(made)} partitions made." if made else "Nothing to do.")
