"""Platform search: one index over everything residents look for (processes, proposals, comments, groups; the
domains added later register theirs).

A domain registers what it makes searchable (:class:`SearchType`: how an object becomes a :class:`Document`,
or None when it must not be found), and the core keeps the index in step through a transactional outbox
(:mod:`civic.search.capture`), checks every result against the database before showing it, and offers the
search page, a JSON endpoint and ``flask civic reindex``. The index lives behind a small interface
(:mod:`civic.search.backend`); the Whoosh implementation stores it under ``instance/search``. See
docs/search.md.
"""

from __future__ import annotations

from flask import Flask

from civic.search import services
from civic.search.analysis import plain
from civic.search.registry import PERIOD_STATES, PUBLIC, WHOLE_CITY, Document, SearchType, register, unregister

__all__ = ["PERIOD_STATES", "PUBLIC", "WHOLE_CITY", "Document", "SearchType", "drain", "enqueue", "init_app",
           "matching_ids", "plain", "register", "reindex", "unregister"]


def init_app(app: Flask) -> None:
    from civic.search import capture, cli, types, views  # noqa: F401 - session events, commands

    if app.config.get("SEARCH_DRAIN") not in ("thread", "request", "off"):
        raise ValueError("CIVIC_SEARCH_DRAIN must be thread, request or off")
    services.check_backend(app)
    types.register_core_types()
    from civic import resources

    resources.set_finder(lambda type_name, text, limit: services.matching_ids(type_name, text, limit=limit))
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api)


def drain(limit: int | None = None, wait: float = 0.0) -> int:
    return services.drain(limit, wait)


def reindex(progress=None) -> int:
    return services.reindex(progress)


def enqueue(keys) -> None:
    services.enqueue(keys)


def matching_ids(type_name: str, text: str, *, parent: str | None = None, limit: int = 500) -> list[int]:
    return services.matching_ids(type_name, text, parent=parent, limit=limit)
