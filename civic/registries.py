"""The rule every process-wide registry keeps: declaring the same thing again is harmless (tests and tools build
several apps in one process), declaring something else under a name already taken is a mistake."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def put(store: dict[str, T], key: str, value: T, what: str) -> T:
    """Store ``value`` under ``key``, or keep the equal value already there; a different one raises ValueError."""
    existing = store.get(key)
    if existing is not None:
        if existing != value:
            raise ValueError(f"{what} {key!r} is already registered with other values: {existing!r}")
        return existing
    store[key] = value
    return value
