"""What other packages do when an account changes, in the same transaction.

A domain declares handlers in its manifest (``account_handlers={"deleted": fn}``); the accounts and
moderation services call :func:`run` when an account is deleted (anonymised) or blocked, before the
request commits, so a handler's writes stand or fall with the change itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The account events handlers can be declared for.
EVENTS = ("deleted", "blocked")

_handlers: dict[str, list[Callable[[Any], None]]] = {name: [] for name in EVENTS}


def on(event: str, handler: Callable[[Any], None]) -> None:
    """Call ``handler(user)`` when an account is ``deleted`` or ``blocked`` (once per handler)."""
    if event not in _handlers:
        raise ValueError(f"unknown account event {event!r}; expected one of {', '.join(EVENTS)}")
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def off(event: str, handler: Callable[[Any], None]) -> None:
    if handler in _handlers.get(event, []):
        _handlers[event].remove(handler)


def run(event: str, user: Any) -> None:
    for handler in _handlers[event]:
        handler(user)
