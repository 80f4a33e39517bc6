"""Consultations: their questions and options, the voter roll, the ballot box and the receipts.

Secrecy is kept by the shape of the tables (docs/consultations.md, "Threat model"):

- ``consultation_roll`` says *who* voted (a person, their register entry, when, online or on paper);
- ``consultation_ballots`` and ``consultation_choices`` say *what* was chosen, and nothing else: a ballot's key is
  random (no sequence, no time, no person), so neither a column, an index nor the order of keys joins a ballot
  to a roll entry;
- ``consultation_receipts`` holds the receipt codes, random too and linked to no ballot: a receipt proves that a
  ballot went into the box, never what it said.

The three are written in one transaction by :func:`consultations.ballots.cast`. One ballot per person is kept by
the database: the roll's unique (consultation, person) and (consultation, register entry).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, utcnow
from civic.spaces.models import Process, Ward


class Consultation(Base):
    """The council's questions to residents, open from ``opens_at`` until ``closes_at`` (UTC, exclusive)."""

    __tablename__ = "consultations"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
                      CheckConstraint("state IN ('draft', 'published')", name="state_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A component of this process (``vote`` is then one of its phase actions), or standing alone.
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")  # Markdown
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default="draft")
    published_at: Mapped[datetime | None]
    #: True: every verified resident; False: only those of the wards in ``consultation_wards``.
    whole_city: Mapped[bool] = mapped_column(default=True)
    #: None, or the minimum age (16) to take part.
    minimum_age: Mapped[int | None]
    #: Ballots cast so far: the live turnout (a count, never the contents), kept by ``UPDATE ... + 1``.
    turnout: Mapped[int] = mapped_column(default=0)
    #: The results, frozen (JSON) when the consultation was counted after its close.
    results_json: Mapped[str | None] = mapped_column(Text)
    counted_at: Mapped[datetime | None]
    opening_told_at: Mapped[datetime | None]
    closing_told_at: Mapped[datetime | None]
    comments_count: Mapped[int] = mapped_column(default=0)
    hidden_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    process: Mapped[Process | None] = relationship(lazy="joined")
    #: Loaded when read (only for a consultation limited to wards); lists load them with ``selectinload``.
    wards: Mapped[list[Ward]] = relationship(secondary="consultation_wards", order_by="Ward.name")
    # The class itself, not its name: the school has a Question too (one declarative registry for every domain).
    questions: Mapped[list[Question]] = relationship(lambda: Question, back_populates="consultation",
                                                     lazy="selectin", order_by=lambda: Question.position,
                                                     cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.state == "published"


class ConsultationWard(Base):
    __tablename__ = "consultation_wards"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), primary_key=True, index=True)


class Question(Base):
    """One question; ``kind`` is a key of :mod:`consultations.kinds` (single, multiple, ranked...)."""

    __tablename__ = "consultation_questions"
    __table_args__ = (CheckConstraint("min_choices >= 0", name="min_not_negative"),
                      CheckConstraint("max_choices IS NULL OR max_choices >= min_choices", name="max_not_below_min"))

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Multiple choice: the fewest and most selections; ranked: ``max_choices`` is "rank up to N" (None: all).
    min_choices: Mapped[int] = mapped_column(default=1)
    max_choices: Mapped[int | None]

    consultation: Mapped[Consultation] = relationship(back_populates="questions")
    options: Mapped[list[Option]] = relationship(back_populates="question", lazy="selectin",
                                                 order_by="Option.position", cascade="all, delete-orphan")


class Option(Base):
    __tablename__ = "consultation_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("consultation_questions.id", ondelete="CASCADE"),
                                             index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    image_path: Mapped[str | None] = mapped_column(String(200))
    image_alt: Mapped[str] = mapped_column(String(300), default="")

    question: Mapped[Question] = relationship(lambda: Question, back_populates="options")


class RollEntry(Base):
    """The voter roll: who voted in a consultation, when and how. Never what.

    A person is one ballot: unique per account and per register entry (a paper voter found in the register, an
    online voter verified by it), so someone who voted online cannot be entered on paper, nor the reverse. A
    deleted account keeps its (anonymised) user row, and so its roll entry."""

    __tablename__ = "consultation_roll"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),
                      UniqueConstraint("consultation_id", "register_entry_id"),
                      CheckConstraint("channel IN ('online', 'paper')", name="channel_known"),
                      CheckConstraint("user_id IS NOT NULL OR register_entry_id IS NOT NULL", name="someone"))

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    register_entry_id: Mapped[int | None] = mapped_column(ForeignKey("register_entries.id", ondelete="SET NULL"))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10), default="online")
    event_name: Mapped[str] = mapped_column(String(200), default="")  # paper: the community event
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Ballot(Base):
    """One ballot in the box: a random key and its consultation, nothing else (no person, no time, no channel)."""

    __tablename__ = "consultation_ballots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # secrets.token_hex(16)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)


class Choice(Base):
    """What a ballot chose for one question: an option, with its rank for a ranked question (1 = first)."""

    __tablename__ = "consultation_choices"
    __table_args__ = (CheckConstraint("rank IS NULL OR rank >= 1", name="rank_positive"),)

    ballot_id: Mapped[str] = mapped_column(ForeignKey("consultation_ballots.id", ondelete="CASCADE"),
                                           primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("consultation_options.id", ondelete="CASCADE"),
                                           primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("consultation_questions.id", ondelete="CASCADE"),
                                             index=True)
    rank: Mapped[int | None]


class Receipt(Base):
    """A receipt code handed to the voter once: proof that a ballot went into this box. Linked to no ballot."""

    __tablename__ = "consultation_receipts"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
