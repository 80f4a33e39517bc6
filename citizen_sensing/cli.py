"""``flask citizen_sensing ...`` commands (also ``flask sensing ...``)."""

from __future__ import annotations

import signal

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from citizen_sensing import aggregates, mqtt, storage
from civic.db import db

cli = AppGroup("citizen_sensing", help="Citizen sensing commands.")


def install_alias(app: Flask) -> None:
    """The same commands under the shorter name: ``flask sensing mqtt``."""
    app.cli.add_command(cli, "sensing")


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


@cli.command("mqtt")
@click.option("--url", help="The broker, e.g. mqtt://127.0.0.1:1883 (default: CIVIC_MQTT_URL).")
@click.option("--client-id", default=mqtt.CLIENT_ID, show_default=True,
              help="The bridge's fixed MQTT client id: its persistent session at the broker.")
@click.option("--batch-size", default=5000, show_default=True, help="Most messages committed together.")
@click.option("--batch-seconds", default=1.0, show_default=True,
              help="Longest wait for more messages before a batch is committed.")
@click.option("--receive-maximum", default=20000, show_default=True,
              help="Most messages the broker may send before the bridge acknowledges them.")
def mqtt_bridge(url: str | None, client_id: str, batch_size: int, batch_seconds: float,
                receive_maximum: int) -> None:
    """Run the MQTT bridge: devices' readings from the broker into the ingest, acknowledged once committed
    (runs until SIGTERM or Ctrl-C; docs/citizen-sensing.md, "MQTT")."""
    url = url or current_app.config.get("MQTT_URL")
    if not url:
        raise click.ClickException("Set CIVIC_MQTT_URL (e.g. mqtt://127.0.0.1:1883) or give --url.")
    try:
        bridge = mqtt.Bridge(current_app._get_current_object(), url, client_id=client_id, batch_size=batch_size,
                             batch_seconds=batch_seconds, receive_maximum=receive_maximum)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    signal.signal(signal.SIGTERM, bridge.stop)
    signal.signal(signal.SIGINT, bridge.stop)
    click.echo(f"MQTT bridge: {bridge.broker.host}:{bridge.broker.port}, topics {mqtt.TOPIC_FILTER}, "
               f"client id {client_id}; stop with Ctrl-C or SIGTERM.")
    totals = bridge.run()
    click.echo(f"Stopped: {totals.messages} messages, {totals.accepted} readings stored, {totals.duplicates} "
               f"duplicates, {totals.rejected} readings and {totals.refused_messages} messages refused.")
