"""Urban Data School: courses, lessons, quizzes, in-person sessions with places and waitlists, progress and
verifiable certificates (docs/skills-school.md).

Loaded by name from ``civic.app.create_app``; everything the school adds is declared in
``skills_school/manifest.py``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from civic import domains
    from skills_school.manifest import DOMAIN

    domains.register(app, DOMAIN)
