"""The ideas table. Its metadata is its own (not civic.db.Base's), so the migration check never sees it: the
tests create the table inside each test's transaction (:func:`create_tables`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from civic.db import NAMING_CONVENTION, UTCDateTime, utcnow


class IdeasBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Idea(IdeasBase):
    __tablename__ = "test_ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(index=True)
    author_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    votes: Mapped[int] = mapped_column(default=0)
    comments_count: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)
    hidden_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def create_tables(connection) -> None:
    IdeasBase.metadata.create_all(connection)
