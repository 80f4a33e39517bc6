"""Comment rules: threads up to four levels, alignment, votes, edits, deletion placeholders, mentions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Thread:
    """Everything ``templates/comments/_thread.html`` needs for one resource's comments."""

    resource_type: str
    resource_id: int
    order: str = "oldest"
    comments: list[Any] = field(default_factory=list)  # top-level comments, each with ``.replies`` loaded
    total: int = 0
    readable: bool = True
    may_comment: bool | str = False  # True, or why not


def thread(resource_type: str, resource_id: int, user: Any, order: str = "oldest") -> Thread:
    """The comments of one resource for this viewer, in a fixed number of queries."""
    return Thread(resource_type, resource_id, order)
