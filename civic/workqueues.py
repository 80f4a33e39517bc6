"""Work queues: what waits for council staff, counted for the officers' home and the header.

Each queue is declared once, by the core (``civic/admin/queues.py``: reports, verification requests, appeals,
failed jobs) or by a domain through its manifest (``Domain(work_queues=...)``; proposals declares the proposals
over their threshold that wait for an answer). A queue says who sees it (a policy action), where its list is
(an endpoint with arguments), how to name its count for people, and gives a statement of two columns, the
count and the oldest waiting time::

    WorkQueue("proposals.awaiting_answer", "proposal.answer", "proposals_admin.awaiting",
              one="%(n)d proposal over its threshold awaiting an answer",
              many="%(n)d proposals over their threshold awaiting an answer",
              count=lambda: select(func.count(), func.min(Proposal.threshold_reached_at)).where(...),
              args={"over": "1"})

:func:`counts` reads every queue a person may see in **one query** (a UNION ALL of the queues' statements),
whatever the data and however many queues are declared, so the officers' home and the header's count cost one
query for staff and none for residents (who see no queue: the policy checks read the roles already loaded).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import DateTime, Select, cast, literal, select, type_coerce, union_all

from civic import policy
from civic.db import UTCDateTime, db, utcnow


@dataclass(frozen=True)
class WorkQueue:
    """One kind of waiting work."""

    key: str  # unique, e.g. "moderation.reports"
    permission: str  # the policy action a person needs to see it (``policy.can(user, permission)``)
    endpoint: str  # its list, oldest first where it can be
    one: str  # "%(n)d report waiting"
    many: str  # "%(n)d reports waiting"
    #: A statement of two columns: how many wait, and since when the oldest waits (a UTC time, or NULL).
    count: Callable[[], Select]
    args: Mapping[str, Any] = field(default_factory=dict)  # for url_for(endpoint, **args)
    position: int = 100  # order on the page, smaller first


@dataclass(frozen=True)
class Waiting:
    """A queue's count for one person, for a page."""

    queue: WorkQueue
    count: int
    oldest: datetime | None

    @property
    def label(self) -> str:
        return ngettext(self.queue.one, self.queue.many, self.count, n=self.count)

    @property
    def oldest_days(self) -> int | None:
        """Whole days the oldest item has waited (0: today), or None when nothing waits."""
        if not self.count or self.oldest is None:
            return None
        return max((utcnow() - self.oldest).days, 0)


_queues: dict[str, WorkQueue] = {}


def register(queue: WorkQueue) -> WorkQueue:
    """Declare a queue (idempotent for the same declaration; a different one under a known key is an error)."""
    known = _queues.get(queue.key)
    if known is not None and known != queue:
        raise ValueError(f"work queue {queue.key!r} declared twice")
    _queues[queue.key] = queue
    return queue


def unregister(key: str) -> None:
    _queues.pop(key, None)


def queues() -> list[WorkQueue]:
    return sorted(_queues.values(), key=lambda q: (q.position, q.key))


def visible_to(user: Any) -> list[WorkQueue]:
    """The queues this person may see on this app (no query: roles are on the user; a queue of a domain this app
    does not load, whose list has no route here, is left out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    routes = current_app.view_functions
    return [q for q in queues() if q.endpoint in routes and policy.can(user, q.permission)]


def counts(user: Any) -> list[Waiting]:
    """Every queue this person may see with its count and oldest time, in one query (none for residents)."""
    mine = visible_to(user)
    if not mine:
        return []
    parts = []
    for q in mine:
        stmt = q.count().subquery()
        n, oldest = list(stmt.c)[:2]
        if db.engine.dialect.name == "postgresql":  # a queue without a time gives NULL: typed, so UNION agrees
            oldest = cast(oldest, DateTime(timezone=True))
        parts.append(select(literal(q.key).label("key"), n.label("n"),
                            type_coerce(oldest, UTCDateTime()).label("oldest")))
    rows = {key: (n or 0, oldest) for key, n, oldest in db.session.execute(union_all(*parts))}
    result = []
    for q in mine:
        n, oldest = rows.get(q.key, (0, None))
        if isinstance(oldest, str):  # SQLite hands a compound select's time back as text
            oldest = UTCDateTime().process_result_value(datetime.fromisoformat(oldest), db.engine.dialect)
        result.append(Waiting(q, int(n), oldest))
    return result


def total(user: Any) -> int:
    """How many items wait for this person, across their queues (one query; none for residents)."""
    return sum(w.count for w in counts(user))
