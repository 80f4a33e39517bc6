"""Consultations: the council's questions (single, multiple and ranked choice) to eligible residents, a secret
ballot with receipts, and results after the close that anyone can recount.

Loaded by name from ``civic.app.create_app``; everything consultations add is declared in
``consultations/manifest.py``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from civic import domains
    from consultations.manifest import DOMAIN

    domains.register(app, DOMAIN)
