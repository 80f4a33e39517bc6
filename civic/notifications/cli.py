"""``flask civic send-digests`` and ``flask civic tick`` (run them from cron or a systemd timer)."""

from __future__ import annotations

import click

from civic.db import db, utcnow
from civic.notifications import delivery, kinds, services


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


@click.command("tick")
def tick_command() -> None:
    """Things that happen with time: tell followers when a process enters a new phase."""
    from flask import current_app

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        made = kinds.announce_phase_changes()
        db.session.commit()  # the notices' mail leaves after the commit
        waiting = services.send_waiting_immediate()
    click.echo(f"phase changes announced: {made}")
    if waiting:
        click.echo(f"immediate mail handed over for {waiting} earlier events")
