"""Rules for supports (limits, minimum, threshold), endorsements, official answers and settings."""

from __future__ import annotations

from typing import Any


def page_context(user: Any, proposal: Any) -> dict[str, Any]:
    """What the proposal page's support, endorsement and answer partials need, in a fixed number of queries."""
    return {}
