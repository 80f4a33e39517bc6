"""Proposals: residents' SMART projects in participatory processes, with supports, official answers,
endorsements, comments, exports and a JSON API (issue #4).

Loaded by name from ``civic.app.create_app``; ``init_app`` registers everything the core needs to
know: blueprints, resource types, the process component, policy rules, events and demo data.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from proposals import registry

    registry.init_app(app)
