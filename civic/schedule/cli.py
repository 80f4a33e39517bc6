"""``flask civic tick``: run every registered scheduled task once (from cron or a systemd timer).

See :mod:`civic.schedule` and docs/scheduled-tasks.md for the cron and systemd timer lines.
"""

from __future__ import annotations

import click

from civic import schedule


@click.command("tick")
@click.option("--task", "names", multiple=True, metavar="NAME",
              help="Run only this task (may be given more than once). Default: every registered task.")
@click.option("--list", "listing", is_flag=True, help="List the registered tasks and stop.")
def tick_command(names: tuple[str, ...], listing: bool) -> None:
    """Run the scheduled tasks: each in its own transaction, each at most once at a time (a lease).

    Exits with status 1 when a task failed (the others still ran).
    """
    if listing:
        for t in schedule.tasks():
            every = f"every {t.every}" if t.every else "at every tick"
            click.echo(f"{t.name}: {t.description} ({every})")
        return
    try:
        outcomes = schedule.run(names or None)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    for outcome in outcomes:
        click.echo(outcome.line())
    if any(o.status == "failed" for o in outcomes):
        raise SystemExit(1)
