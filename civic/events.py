"""The core's event bus: domains publish, the core (notifications, search) subscribes.

Handlers run after the surrounding transaction commits (see :func:`publish`), so a
rolled-back request never notifies anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from blinker import Namespace
from flask import g, has_request_context

signals = Namespace()
event_signal = signals.signal("civic.event")

_event_types: dict[str, str] = {}


def declare(name: str, description: str) -> None:
    """A domain declares an event type once, at import time."""
    _event_types[name] = description


def forget(name: str) -> None:
    """Remove an event type (a test-only domain, when its tests are done)."""
    _event_types.pop(name, None)


def event_types() -> dict[str, str]:
    return dict(_event_types)


def publish(name: str, subject: Any, **data: Any) -> None:
    """Queue an event; it is sent when the request's transaction has committed.

    Outside a request (CLI, tests calling services directly) it is sent at once.
    """
    if name not in _event_types:
        raise ValueError(f"undeclared event type {name!r}")
    if has_request_context():
        g.setdefault("civic_events", []).append((name, subject, data))
    else:
        event_signal.send(name, subject=subject, **data)


def flush_after_commit() -> None:
    for name, subject, data in g.pop("civic_events", []):
        event_signal.send(name, subject=subject, **data)


def discard() -> None:
    g.pop("civic_events", None)


def subscribe(handler: Callable[..., Any]) -> None:
    event_signal.connect(handler, weak=False)
