"""Proposals: residents' SMART projects in participatory processes, with supports, official answers,
endorsements, comments, exports and a JSON API.

Loaded by name from ``civic.app.create_app``; everything proposals add is declared in
``proposals/manifest.py``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from civic import domains
    from proposals.manifest import DOMAIN

    domains.register(app, DOMAIN)
