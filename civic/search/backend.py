"""The search backend interface: small enough that a PostgreSQL full-text backend can follow.

The rest of Civic talks to a backend only through these types; the Whoosh implementation is in
:mod:`civic.search.whoosh_backend`. A backend keeps an index of :class:`IndexedDocument` by key, answers a
:class:`Query` with a :class:`Results` page of keys (the service checks each against the database), lets one
writer at a time change the index, and rebuilds it aside from the live one. See docs/search.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from markupsafe import Markup

from civic.search.registry import PUBLIC
from civic.search.synonyms import NONE, Synonyms


@dataclass
class IndexedDocument:
    """A :class:`~civic.search.registry.Document` with its key and type, as a backend stores it."""

    key: str
    type: str
    title: str
    body: str
    wards: list[str] = field(default_factory=list)
    programme: str | None = None
    state: str | None = None
    date: datetime | None = None
    starts: datetime | None = None
    ends: datetime | None = None
    audience: str = PUBLIC
    parent: str | None = None
    #: A digest of everything above: a parent whose digest changes has its children indexed again.
    digest: str = ""


@dataclass
class Query:
    """A search, as the person asked it (text already cleaned and cut to length by the service)."""

    text: str
    types: list[str] = field(default_factory=list)  # empty: every type
    ward: str | None = None
    programme: str | None = None
    state: str | None = None
    date_from: date | None = None  # published on or after this UK day
    date_to: date | None = None  # published on or before this UK day
    parent: str | None = None  # only things belonging to this key (e.g. one process's proposals)
    audiences: frozenset[str] = frozenset({PUBLIC})
    page: int = 1
    per_page: int = 20
    now: datetime | None = None  # for the period states (open, upcoming, past)
    #: Count results per type up to this many; above it the count is shown as "N+".
    count_limit: int = 1000
    #: When nothing has every word, look for any of them (the search page; not a list's filter).
    relax: bool = True
    #: Words searched as one (``civic.search.synonyms``), applied by every backend when parsing.
    synonyms: Synonyms = NONE


@dataclass
class Hit:
    key: str
    score: float


@dataclass
class Results:
    hits: list[Hit]
    #: type -> number of results of that type (within ``Query.count_limit``), whatever ``Query.types`` says.
    counts: dict[str, int]
    #: types whose count reached ``Query.count_limit`` (there are at least that many).
    capped: set[str] = field(default_factory=set)
    #: Notes for the person about their query ("Only whole words are searched...").
    notes: list[str] = field(default_factory=list)
    #: Whether the query needed every word (False: any word, after nothing matched them all).
    all_words: bool = True

    def total(self, types: Iterable[str] = ()) -> int:
        wanted = set(types)
        return sum(n for t, n in self.counts.items() if not wanted or t in wanted)


class Writer(Protocol):
    """The single writer: changes become visible on leaving the ``with`` block (or at ``commit``)."""

    def digests(self, keys: Iterable[str]) -> dict[str, str]:
        """What is indexed now under these keys: key -> digest (missing keys are not in the index)."""

    def index(self, docs: Iterable[IndexedDocument]) -> None:
        """Add or replace documents."""

    def remove(self, keys: Iterable[str]) -> None:
        """Remove documents; unknown keys are ignored."""

    def commit(self) -> None:
        """Make the changes so far visible to searches."""


class Backend(Protocol):
    def writer(self, wait: float = 0.0) -> AbstractContextManager[Writer | None]:
        """The single writer for this index, or None when another process or thread is writing (after
        waiting up to ``wait`` seconds)."""

    def query(self, query: Query) -> Results:
        ...

    def rebuild(self, docs: Iterable[IndexedDocument], wait: float = 300.0) -> int:
        """Build a new index from ``docs`` aside from the live one, then switch to it in one step; the live
        index keeps answering meanwhile. Holds the writer for the whole build (changes wait in the queue).
        Returns the number of documents."""

    def highlight(self, query: Query, text: str, limit: int) -> Markup:
        """``text`` escaped, with the words matching the query in ``<mark>``; cut to about ``limit``
        characters around the best match (``limit`` 0: all of it)."""

    def terms(self, text: str) -> Iterator[str]:
        """The index terms of a text (for tests and diagnostics)."""

    def known_terms(self, terms: Iterable[str], audiences: frozenset[str]) -> dict[str, int]:
        """Which of these index terms (stems) are in at least one document the audiences may see, each with
        its number of such documents (counted up to ``KNOWN_LIMIT``); removed documents never count. The
        vocabulary of "Did you mean ...?" (``civic.search.suggest``)."""

    def stats(self) -> dict[str, object]:
        """Documents in the index, its location and the like (``flask civic search-status``)."""

    def clear(self) -> None:
        """Empty the index (tests)."""


#: ``Backend.known_terms`` counts a term's documents up to this many (enough to rank suggestions).
KNOWN_LIMIT = 1000

#: Called by the reindex with (documents done, documents in all).
Progress = Callable[[int, int], None]
