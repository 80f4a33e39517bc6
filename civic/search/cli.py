"""``flask civic reindex``, ``flask civic search-drain`` and ``flask civic search-status``."""

from __future__ import annotations

import time

import click

from civic.commands import cli
from civic.db import db
from civic.search import services


@cli.command("reindex")
@click.option("--if-missing", is_flag=True, help="Only when the index is empty and there is something to index.")
def reindex(if_missing: bool) -> None:
    """Rebuild the search index from the database, aside from the live one, then switch to it.

    Safe while the site runs: searches use the old index until the new one is complete, and changes made
    meanwhile wait in the queue and are applied right after the switch."""
    total = services.count_objects()
    if if_missing:
        try:
            in_place = bool(services.backend().stats()["documents"]) or not total
        except Exception as e:  # noqa: BLE001 - a broken index is rebuilt, not a crash
            click.echo(f"The search index in {services.search_dir()} could not be read ({type(e).__name__}: {e}); "
                       "rebuilding it.")
            in_place = False
        if in_place:
            click.echo("The search index is in place; nothing to do.")
            return
    started = time.monotonic()
    with click.progressbar(length=total, label="Indexing", show_pos=True, show_percent=True) as bar:
        done = [0]

        def progress(count: int, _total: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        try:
            count = services.reindex(progress)
        except OSError as e:  # e.g. SEARCH_DIR is a file, or not writable: say so, without a traceback
            raise click.ClickException(f"The search index in {services.search_dir()} could not be written: "
                                       f"{type(e).__name__}: {e}") from e
    seconds = max(time.monotonic() - started, 1e-6)
    click.echo(f"Indexed {count:,} documents from {total:,} objects in {seconds:.1f} s "
               f"({count / seconds:,.0f} documents/s).")


@cli.command("search-drain")
def search_drain() -> None:
    """Apply the changes waiting in the search queue to the index now."""
    applied = services.drain(wait=30.0)
    db.session.commit()
    click.echo(f"Applied {applied:,} queued changes; {services.queued():,} still queued.")


@cli.command("search-status")
def search_status() -> None:
    """Where the index is, how many documents it holds and how many changes wait in the queue."""
    for key, value in services.status().items():
        click.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
