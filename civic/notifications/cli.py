"""``flask civic send-digests`` (run it from cron or a systemd timer).

``flask civic tick`` is :mod:`civic.schedule`'s; notifications register their tasks in
:mod:`civic.notifications.tasks`."""

from __future__ import annotations

import click

from civic.db import utcnow
from civic.notifications import delivery


@click.command("send-digests")
@click.option("--period", type=click.Choice(["daily", "weekly", "both"]), default="both", show_default=True,
              help="Which digests to build. Weekly digests go out only on Mondays unless --period weekly.")
def send_digests_command(period: str) -> None:
    """Build and send daily (and on Mondays weekly) digests; safe to run twice: once per period per person."""
    periods = ["daily", "weekly"] if period == "both" else [period]
    if period == "both" and utcnow().astimezone(delivery.LONDON).weekday() != 0:
        periods = ["daily"]
    for p in periods:
        result = delivery.send_digests(p)
        click.echo(f"{p} digests: {result.users} sent with {result.notifications} notifications"
                   f"{f'; {result.skipped} already sent this period' if result.skipped else ''}.")
