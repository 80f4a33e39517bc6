"""``flask proposals ...`` commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from civic.errors import NotFound
from civic.exports import csv_text, json_array
from civic.spaces import services as spaces
from proposals import exports
from proposals.listing import Filters

cli = AppGroup("proposals", help="Proposals commands.")


@cli.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="Write to this file instead of the standard output.")
@click.option("--base-url", default=None,
              help="The site's address, for the proposals' links (default: CIVIC_SERVER_NAME, or "
                   "http://127.0.0.1:5000).")
def export(slug: str, fmt: str, output, base_url: str | None) -> None:
    """Export the public proposals of process SLUG as open data (the same file as the download on the site)."""
    config = current_app.config
    if base_url is None:
        server = config.get("SERVER_NAME")
        base_url = f"{config.get('PREFERRED_URL_SCHEME', 'http')}://{server}" if server else "http://127.0.0.1:5000"
    with current_app.test_request_context("/", base_url=base_url):
        try:
            process = spaces.get_visible(None, slug)
        except NotFound as e:
            raise click.ClickException(f"{e.message} (slug: {slug})") from None
        records = exports.rows(process, Filters())
        chunks = (json_array(records) if fmt == "json"
                  else csv_text(exports.FIELDS, exports.csv_table(records), guarded=exports.GUARDED))
        for chunk in chunks:
            output.write(chunk)
    if output.name != "<stdout>":
        click.echo(f"Exported the proposals of “{process.title}” to {output.name} "
                   f"({exports.LICENCE}).", err=True)
