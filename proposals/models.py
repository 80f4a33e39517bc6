"""Proposals, their settings per process, supports, endorsements and co-authors.

Counters and flags that concurrent requests touch (``supports_count``, ``endorsements_count``, a support budget's
``used``...) change in SQL, through ``execute``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.db import Base, db, utcnow
from civic.groups.models import Group
from civic.spaces.models import Process, Ward

STATES = ("draft", "published", "withdrawn")
ANSWER_STATES = ("not_answered", "evaluating", "accepted", "rejected")


def execute(stmt: Any) -> Any:
    """Run a bulk INSERT, UPDATE or DELETE (often ``... RETURNING``) as written, without synchronising the
    session's objects: callers refresh the objects they hold (``set_committed_value`` or ``expire``)."""
    return db.session.execute(stmt.execution_options(synchronize_session=False))


class ProposalSettings(Base):
    """The rules of proposals in one process, set by officers."""

    __tablename__ = "proposal_settings"
    __table_args__ = (
        CheckConstraint("support_limit >= 0 AND min_supports >= 0 AND threshold >= 0 AND proposal_limit >= 0 "
                        "AND edit_window_minutes >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), unique=True)
    #: Supports each participant may give in the process; 0 = no limit.
    support_limit: Mapped[int] = mapped_column(default=0)
    #: A participant's supports count only once they have given at least this many; 0 = from the first.
    min_supports: Mapped[int] = mapped_column(default=0)
    #: Supports a proposal needs to reach its threshold; 0 = no threshold.
    threshold: Mapped[int] = mapped_column(default=0)
    #: When True, supporting a proposal stops once it reaches the threshold.
    close_at_threshold: Mapped[bool] = mapped_column(default=False)
    #: Published proposals each participant may have in the process; 0 = no limit.
    proposal_limit: Mapped[int] = mapped_column(default=0)
    #: Only verified residents may support (otherwise any confirmed account).
    verified_only: Mapped[bool] = mapped_column(default=True)
    #: Only residents of the proposal's ward may support it.
    ward_only: Mapped[bool] = mapped_column(default=False)
    #: Minutes after publishing during which the author may edit (until the first support).
    edit_window_minutes: Mapped[int] = mapped_column(default=10)

    process: Mapped[Process] = relationship()


class Category(Base):
    """A tag officers set per process (e.g. "Cycling", "Green space")."""

    __tablename__ = "proposal_categories"
    __table_args__ = (UniqueConstraint("process_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(80))


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="known_state"),
        CheckConstraint(f"answer_state IN {ANSWER_STATES!r}", name="known_answer_state"),
        CheckConstraint("supports_count >= 0", name="supports_not_negative"),
        Index("ix_proposals_process_state", "process_id", "state", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)  # Markdown
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    photo_path: Mapped[str | None] = mapped_column(String(200))
    photo_alt: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(String(12), default="draft")
    answer_state: Mapped[str] = mapped_column(String(14), default="not_answered", index=True)
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answer_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    answer_delivery: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Counted supports (see ProposalSettings.min_supports), kept by SQL increments.
    supports_count: Mapped[int] = mapped_column(default=0)
    comments_count: Mapped[int] = mapped_column(default=0)
    endorsements_count: Mapped[int] = mapped_column(default=0)
    threshold_reached_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]

    process: Mapped[Process] = relationship(lazy="joined")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    ward: Mapped[Ward] = relationship(lazy="joined")
    categories: Mapped[list[Category]] = relationship(secondary="proposal_category_links", lazy="selectin",
                                                      order_by="Category.name")

    @property
    def is_visible(self) -> bool:
        """Published (or withdrawn, still shown) and not hidden by moderation."""
        return self.state in ("published", "withdrawn") and self.hidden_at is None


class AnswerDraft(Base):
    """An officer's answer saved but not published: residents never see it (every public reader, the page, the
    API, the exports, search and the map, reads the proposal's own answer columns), nobody is told. One a
    proposal; publishing it (``proposals.answering.publish_drafts``) answers the proposal and removes it."""

    __tablename__ = "proposal_answer_drafts"
    __table_args__ = (CheckConstraint(f"state IN {ANSWER_STATES!r}", name="known_state"),)

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(14))
    text: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    delivery: Mapped[str] = mapped_column(Text, default="")
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)

    officer: Mapped[User | None] = relationship(lazy="joined")


class ProposalCategoryLink(Base):
    __tablename__ = "proposal_category_links"
    __table_args__ = (UniqueConstraint("proposal_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("proposal_categories.id", ondelete="CASCADE"), index=True)


class Coauthor(Base):
    """Another person, or a community group, named as co-author; a person accepts the invitation."""

    __tablename__ = "proposal_coauthors"
    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        UniqueConstraint("proposal_id", "group_id"),
        CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="user_or_group"),
        CheckConstraint("status IN ('invited', 'accepted')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="invited")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")
    group: Mapped[Group | None] = relationship(lazy="joined")


class SupportBudget(Base):
    """One row per participant and process: how many supports they have given there.

    The limit is enforced by a conditional ``UPDATE ... SET used = used + 1 WHERE used < limit``
    on this row, which the database serialises, so parallel requests cannot pass the limit.
    """

    __tablename__ = "support_budgets"
    __table_args__ = (
        UniqueConstraint("process_id", "user_id"),
        CheckConstraint("used >= 0", name="used_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    used: Mapped[int] = mapped_column(default=0)


class Support(Base):
    """A private support: counts are public, supporters are never listed."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    #: False while the participant has given fewer than the process's minimum.
    counted: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Endorsement(Base):
    """A public endorsement by a person, or by a group through one of its organisers."""

    __tablename__ = "endorsements"
    __table_args__ = (UniqueConstraint("proposal_id", "endorser_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    #: "u:<user id>" or "g:<group id>": one endorsement per person and per group.
    endorser_key: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    group: Mapped[Group | None] = relationship(lazy="joined")
