"""The search outbox: which objects changed, written in the same transaction as the change itself."""

from __future__ import annotations

from datetime import date as date_
from datetime import datetime

from sqlalchemy import JSON, Date, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from civic.db import Base, UTCDateTime, utcnow


class SearchQueue(Base):
    """One row per changed object (``"proposal:12"``; ``"proposal:*"`` for all of a type).

    Rows are inserted by the session's ``before_commit`` hook, so they commit or roll back with the change;
    the index is then brought in step from the database by whoever holds the index's writer lock, and the
    rows it applied are deleted (see :func:`civic.search.services.drain`).
    """

    __tablename__ = "search_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: ``tsv`` is a ``tsvector`` on PostgreSQL; on SQLite (where the Whoosh backend is used) the table exists, unused.
TSV = TSVECTOR().with_variant(Text(), "sqlite")
#: The wards' slugs: a text array on PostgreSQL (GIN-indexed, ``&&``), JSON on SQLite.
WARDS = ARRAY(String(80)).with_variant(JSON(), "sqlite")


class SearchDocument(Base):
    """The PostgreSQL backend's index (:mod:`civic.search.postgres_backend`): one row per searchable object.

    ``tsv`` holds the words of the title (weight A) and of the body (weight B) as Civic's own analysis makes
    them (folded, stemmed, stop words out: the same terms as the Whoosh index), so both backends find the same
    things. Written in the transaction that changed the object (:mod:`civic.search.capture`)."""

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
        Index("ix_search_documents_wards", "wards", postgresql_using="gin"),
        Index("ix_search_documents_type_ident", "type", "ident"),
    )

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    ident: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    wards: Mapped[list[str]] = mapped_column(WARDS, default=list)
    programme: Mapped[str | None] = mapped_column(String(80), index=True)
    state: Mapped[str | None] = mapped_column(String(40))
    date: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    #: The publication day in London (the date filter's unit).
    day: Mapped[date_ | None] = mapped_column(Date)
    starts: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    ends: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    audience: Mapped[str] = mapped_column(String(80), default="public")
    parent: Mapped[str | None] = mapped_column(String(80), index=True)
    digest: Mapped[str] = mapped_column(String(32), default="")
    tsv: Mapped[str] = mapped_column(TSV)
