"""What other packages do when an account changes, in the same transaction.

A domain declares handlers in its manifest (``account_handlers={"deleted": fn}``); the accounts, moderation and
verification services call :func:`run` before the request commits, so a handler's writes stand or fall with the
change itself:

* ``"deleted"``: ``fn(user)``, the account was deleted (anonymised);
* ``"blocked"``: ``fn(user)``, an officer blocked the account;
* ``"transferred"``: ``fn(old_user, new_user)``, a person verified a new account with the register entry a
  deleted account of theirs had claimed: what counts once per person (supports and their budgets...) moves
  from ``old_user`` to ``new_user``, merged with what the new account already has, so one register entry never
  gives a second budget (docs/verification.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The account events handlers can be declared for, with the number of accounts each handler receives.
EVENTS = {"deleted": 1, "blocked": 1, "transferred": 2}

_handlers: dict[str, list[Callable[..., None]]] = {name: [] for name in EVENTS}


def on(event: str, handler: Callable[..., None]) -> None:
    """Call ``handler(user)`` when an account is ``deleted`` or ``blocked``, ``handler(old_user, new_user)``
    when participation is ``transferred`` (once per handler)."""
    if event not in _handlers:
        raise ValueError(f"unknown account event {event!r}; expected one of {', '.join(EVENTS)}")
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def off(event: str, handler: Callable[..., None]) -> None:
    if handler in _handlers.get(event, []):
        _handlers[event].remove(handler)


def run(event: str, *users: Any) -> None:
    if len(users) != EVENTS[event]:
        raise TypeError(f"account event {event!r} takes {EVENTS[event]} account(s), got {len(users)}")
    for handler in _handlers[event]:
        handler(*users)
