"""The core's event bus: domains publish, the core (notifications, search) subscribes.

Handlers run after the surrounding transaction commits (see :func:`publish`), so a
rolled-back request or command never notifies anyone. Recorders (:func:`record_with`) run at publish time,
inside the transaction, so what they write commits or rolls back with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from blinker import Namespace

from civic.db import after_commit

signals = Namespace()
event_signal = signals.signal("civic.event")

_event_types: dict[str, str] = {}
_recorders: list[Callable[[str, Any, dict[str, Any]], None]] = []


def declare(name: str, description: str) -> None:
    """A domain declares an event type once, at import time."""
    _event_types[name] = description


def forget(name: str) -> None:
    """Remove an event type (a test-only domain, when its tests are done)."""
    _event_types.pop(name, None)


def event_types() -> dict[str, str]:
    return dict(_event_types)


def publish(name: str, subject: Any, **data: Any) -> None:
    """Queue an event; it is sent once the transaction has committed (:func:`civic.db.after_commit`), in a
    request, a CLI command or a job alike. Handlers that write commit their own transaction."""
    if name not in _event_types:
        raise ValueError(f"undeclared event type {name!r}")
    for record in _recorders:
        record(name, subject, data)
    after_commit(send, name, subject, data)


def send(name: str, subject: Any, data: dict[str, Any]) -> None:
    """Send an event to its handlers now (what :func:`publish` queues)."""
    event_signal.send(name, subject=subject, **data)


def subscribe(handler: Callable[..., Any]) -> None:
    event_signal.connect(handler, weak=False)


def record_with(recorder: Callable[[str, Any, dict[str, Any]], None]) -> None:
    """Call ``recorder(name, subject, data)`` when an event is published, inside the publishing transaction
    (before its commit): what must not be lost is written there, in an outbox (notifications do). Idempotent."""
    if recorder not in _recorders:
        _recorders.append(recorder)
