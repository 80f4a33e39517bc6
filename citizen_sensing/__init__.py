"""Citizen sensing: community groups' campaigns, volunteers' devices, readings ingested in the formats real
devices speak (one service), quality control, aggregates, maps, charts and open data.

Loaded by name from ``civic.app.create_app``; everything it adds is declared in ``citizen_sensing/manifest.py``
(docs/citizen-sensing.md).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from citizen_sensing.manifest import DOMAIN
    from civic import domains

    domains.register(app, DOMAIN)
