"""A test-only domain, "ideas": the proof that a domain declared in one manifest gets what the platform offers
(comments, reports and hiding, follows and notices, search, a phase-gated action, a scheduled task, an API
collection, account handlers) without touching the core and without proposals. Its tests are in
tests/kit/test_ideas_domain.py; an app loads it with ``create_app({"DOMAINS": ("tests.support.ideas",)})``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from civic import domains
    from tests.support.ideas.manifest import DOMAIN

    domains.register(app, DOMAIN)
