from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, utcnow
from civic.spaces import phases as phase_actions


class Ward(Base):
    """One of the 18 Westminster wards (2022 boundaries)."""

    __tablename__ = "wards"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)

    def __str__(self) -> str:
        return self.name


class Programme(Base):
    """One of the council's four SMART City programmes."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)


class PostcodeSector(Base):
    """Postcode sector (e.g. ``W2 1``) to ward, for the demo and for officers' hints."""

    __tablename__ = "postcode_sectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    sector: Mapped[str] = mapped_column(String(8), unique=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    ward: Mapped[Ward] = relationship()


class Process(Base):
    """A participatory process: a programme's question to residents, run in phases."""

    __tablename__ = "processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    #: True: the whole city; False: only the wards in ``process_wards``.
    whole_city: Mapped[bool] = mapped_column(default=True)
    banner_path: Mapped[str | None] = mapped_column(String(200))
    banner_alt: Mapped[str] = mapped_column(String(300), default="")
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    programme: Mapped[Programme] = relationship(lazy="joined")
    wards: Mapped[list[Ward]] = relationship(secondary="process_wards", lazy="selectin", order_by="Ward.name")
    phases: Mapped[list[Phase]] = relationship(back_populates="process", lazy="selectin",
                                               order_by="Phase.starts_at", cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ProcessWard(Base):
    __tablename__ = "process_wards"
    __table_args__ = (UniqueConstraint("process_id", "ward_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)


class PhaseAction(Base):
    """One action a phase opens: a row per open action (the actions are registered in
    :mod:`civic.spaces.phases`; a row whose action nobody registers any more opens nothing)."""

    __tablename__ = "phase_actions"

    phase_id: Mapped[int] = mapped_column(ForeignKey("process_phases.id", ondelete="CASCADE"), primary_key=True)
    action: Mapped[str] = mapped_column(String(40), primary_key=True)


class Phase(Base):
    """A period of a process with the actions it opens. Times are UTC; ``ends_at`` is exclusive.

    Its open actions are loaded with it (joined), so a process page and its phases take no query per phase.
    A query that selects phases themselves and reads them with ``.all()`` or by iterating needs ``.unique()``
    (SQLAlchemy's rule for a joined collection).
    """

    __tablename__ = "process_phases"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    process: Mapped[Process] = relationship(back_populates="phases")
    action_rows: Mapped[list[PhaseAction]] = relationship(lazy="joined", cascade="all, delete-orphan",
                                                          passive_deletes=True, order_by=PhaseAction.action)

    def __init__(self, *, actions: Iterable[str] = (), **kwargs: object) -> None:
        """``Phase(title=..., starts_at=..., ends_at=..., actions=["propose", "comment"])``; ``allow_<key>=True``
        is the older spelling of listing ``key`` in ``actions``."""
        flags = {name: kwargs.pop(name) for name in list(kwargs) if name.startswith("allow_")}
        super().__init__(**kwargs)
        keys = phase_actions.chosen(actions, flags)
        if keys:
            self.set_actions(keys)

    @property
    def actions(self) -> frozenset[str]:
        """The keys of the actions this phase opens."""
        return frozenset(row.action for row in self.action_rows)

    def allows(self, action: str) -> bool:
        """Whether this phase opens ``action``; ValueError for an action nobody registered."""
        phase_actions.get(action)
        return action in self.actions

    def set_actions(self, keys: Iterable[str]) -> None:
        """Open exactly these actions (registered keys; ValueError otherwise). Rows are added and deleted."""
        wanted = set(keys)
        for key in wanted:
            phase_actions.get(key)
        kept = [row for row in self.action_rows if row.action in wanted]
        have = {row.action for row in kept}
        self.action_rows = kept + [PhaseAction(action=key) for key in sorted(wanted - have)]
