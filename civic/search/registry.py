"""What each domain makes searchable: a :class:`SearchType` per model, registered at import time.

A type says how one of its objects becomes a :class:`Document` (or ``None``: it must not be in the index:
a draft, hidden, withdrawn-and-deleted or unpublished thing), how to reach it, which audiences a person
belongs to (for content that only some people may see) and which of its objects depend on another type's
(a comment hangs on a proposal; a proposal on a process): when a parent appears in or disappears from the
index, or its document changes, its children are indexed again.

Registering a type is a few lines; see docs/search.md::

    search.register(search.SearchType(
        name="campaign", label="Campaign", plural="Campaigns", model=Campaign,
        to_document=lambda c: search.Document(title=c.title, body=c.summary, ward=c.ward.slug,
                                              date=c.starts_at) if c.published_at else None,
        url=lambda c: url_for("citizen_sensing.campaign", campaign_id=c.id)))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

#: The audience of everything anyone may see.
PUBLIC = "public"
#: A ward value meaning "the whole city": it matches every ward filter.
WHOLE_CITY = "all"

#: States that come from a period (``starts``/``ends``), for any type that has one; the time is the query's.
PERIOD_STATES = {"open": "Open now", "upcoming": "Upcoming", "past": "Finished"}


@dataclass
class Document:
    """What the index holds about one object. Text is plain (Markdown is flattened by :func:`plain`)."""

    title: str
    body: str = ""
    #: Ward slug(s) it concerns; ``WHOLE_CITY`` for all of them; None for none in particular.
    ward: str | Sequence[str] | None = None
    programme: str | None = None  # programme slug
    state: str | None = None  # one of its type's ``states``
    date: datetime | None = None  # when it was published (UTC)
    starts: datetime | None = None  # a period (processes, consultations, courses...)
    ends: datetime | None = None
    #: Who may see it: ``PUBLIC``, or an audience name such as ``"group:12"`` (see ``SearchType.audiences``).
    audience: str = PUBLIC
    #: The object it belongs to, as a key ("proposal:12"), e.g. a comment's resource.
    parent: str | None = None
    #: Shown with the result, never indexed (e.g. the title of the proposal a comment is on).
    context: str = ""

    @property
    def wards(self) -> list[str]:
        if self.ward is None:
            return []
        return [self.ward] if isinstance(self.ward, str) else list(self.ward)


Loader = Callable[[Session, Sequence[int]], Sequence[Any]]
Documents = Callable[[Session, Sequence[Any]], dict[int, "Document | None"]]


@dataclass(frozen=True)
class SearchType:
    """One searchable kind of thing.

    - ``to_document(obj) -> Document | None``, or ``documents(session, objs) -> {id: Document | None}`` to
      build many at once (fewer queries: comments look at their resources in bulk). None: not searchable.
    - ``load(session, ids)``: the objects (default: one ``SELECT ... WHERE id IN``).
    - ``url(obj)``: its page (default: the resource registry's ``url`` hook).
    - ``audiences(user) -> set[str]``: the non-public audiences this person belongs to for this type
      (e.g. ``{"group:12"}`` for the members of a private group). Checked in the index and again in the
      database for every result shown.
    - ``children(parent_type, parent_ids) -> Select | None``: ids of this type hanging on those parents.
    - ``related``: other models whose changes re-index objects of this type: ``{Phase: lambda p: p.process_id}``.
    - ``indexed_columns``: the columns a document is built from; other changes (counters) are ignored.
      None: every change counts.
    - ``states``: the state filter's values for this type, with labels.
    """

    name: str
    label: str
    plural: str
    model: type
    to_document: Callable[[Any], Document | None] | None = None
    documents: Documents | None = None
    load: Loader | None = None
    url: Callable[[Any], str] | None = None
    audiences: Callable[[Any], set[str]] | None = None
    children: Callable[[str, Sequence[int]], Select | None] | None = None
    related: dict[type, Callable[[Any], int | Iterable[int] | None]] = field(default_factory=dict)
    indexed_columns: frozenset[str] | None = None
    states: dict[str, str] = field(default_factory=dict)
    position: int = 100  # order of the type filter and the counts

    def __post_init__(self) -> None:
        if self.to_document is None and self.documents is None:
            raise ValueError(f"search type {self.name!r} needs to_document or documents")

    def load_objects(self, session: Session, ids: Sequence[int]) -> list[Any]:
        if not ids:
            return []
        if self.load is not None:
            return list(self.load(session, ids))
        # populate_existing: the session keeps objects after a commit (expire_on_commit=False); a document
        # must be built from the rows as they are now, not from what this session saw earlier.
        return list(session.scalars(select(self.model).where(self.model.id.in_(list(ids)))
                                    .execution_options(populate_existing=True)))

    def build(self, session: Session, objs: Sequence[Any]) -> dict[int, Document | None]:
        if not objs:
            return {}
        if self.documents is not None:
            return self.documents(session, objs)
        assert self.to_document is not None
        return {obj.id: self.to_document(obj) for obj in objs}

    def key(self, ident: int) -> str:
        return f"{self.name}:{ident}"


_types: dict[str, SearchType] = {}


def register(search_type: SearchType) -> SearchType:
    """Register (or, for the same model, replace) a searchable type."""
    current = _types.get(search_type.name)
    if current is not None and current.model is not search_type.model:
        raise ValueError(f"search type {search_type.name!r} registered twice")
    _types[search_type.name] = search_type
    return search_type


def unregister(name: str) -> None:
    _types.pop(name, None)


def types() -> list[SearchType]:
    return sorted(_types.values(), key=lambda t: (t.position, t.label))


def find(name: str) -> SearchType | None:
    return _types.get(name)


def for_model(model: type) -> SearchType | None:
    for t in _types.values():
        if t.model is model:
            return t
    return None


def related_to(model: type) -> list[tuple[SearchType, Callable[[Any], Any]]]:
    return [(t, t.related[model]) for t in _types.values() if model in t.related]


def parse_key(key: str) -> tuple[str, int | None]:
    """``"proposal:12"`` -> ("proposal", 12); ``"proposal:*"`` (every proposal) -> ("proposal", None)."""
    name, sep, ident = key.partition(":") if isinstance(key, str) else ("", "", "")
    if not name or not sep:
        raise ValueError(f"not a search key: {key!r} (expected \"type:id\" or \"type:*\")")
    if ident == "*":
        return name, None
    if not (ident.isascii() and ident.isdigit()):
        raise ValueError(f"not a search key: {key!r} (expected \"type:id\" or \"type:*\")")
    return name, int(ident)


def check_key(key: str) -> str:
    """The key itself when it is well formed (``"type:12"``, ``"type:*"``); otherwise ``ValueError``."""
    parse_key(key)
    return key
