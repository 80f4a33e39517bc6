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
from decimal import Decimal

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, utcnow
from civic.spaces.models import Process, Programme, Ward


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
    options: Mapped[list[Option]] = relationship(lambda: Option, back_populates="question", lazy="selectin",
                                                 order_by=lambda: Option.position, cascade="all, delete-orphan")


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


# Participatory budgeting (issue 19) -------------------------------------------------------------------------
#
# A budget is a consultation of its own (its title, introduction, opening and closing times, publication,
# turnout, roll, ballots, receipts and results are the consultation's) with one question of kind ``budget`` per
# heading: the whole city's money, or each ward's. Each project is one option of its heading's question, so a
# budget ballot goes into the same box as any other (a ``Choice`` per chosen project) and is as secret.


class Budget(Base):
    """The money behind a consultation of kind ``budget`` and its voting rule.

    ``rule``: ``knapsack`` (choose projects whose costs fit the heading's money) or ``approval`` (choose between
    ``min_projects`` and ``max_projects`` projects; their costs must fit too). ``min_share_percent``: the least
    part of the heading's money a ballot must spend (Decidim's "minimum percentage"), or None. ``outcome_rule``:
    the rule officers chose, after close, as the official outcome (``greedy`` or ``equal_shares``)."""

    __tablename__ = "consultation_budgets"
    __table_args__ = (CheckConstraint("total > 0", name="total_positive"),
                      CheckConstraint("rule IN ('knapsack', 'approval')", name="rule_known"),
                      CheckConstraint("min_projects >= 0", name="min_projects_not_negative"),
                      CheckConstraint("max_projects IS NULL OR max_projects >= min_projects",
                                      name="max_projects_not_below_min"),
                      CheckConstraint("min_share_percent IS NULL OR (min_share_percent >= 0 "
                                      "AND min_share_percent <= 100)", name="min_share_a_percentage"),
                      CheckConstraint("outcome_rule IS NULL OR outcome_rule IN ('greedy', 'equal_shares')",
                                      name="outcome_rule_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), unique=True)
    #: The money of the whole budget; split by ward, the sum of the headings' amounts.
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    #: True: one heading per ward (a resident votes in their own ward's); False: one heading for the city.
    by_ward: Mapped[bool] = mapped_column(default=False)
    rule: Mapped[str] = mapped_column(String(12), default="knapsack")
    min_projects: Mapped[int] = mapped_column(default=0)
    max_projects: Mapped[int | None]
    min_share_percent: Mapped[int | None]
    outcome_rule: Mapped[str | None] = mapped_column(String(16))
    outcome_chosen_at: Mapped[datetime | None]
    outcome_chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship(lazy="joined")
    headings: Mapped[list[BudgetHeading]] = relationship(lambda: BudgetHeading, back_populates="budget",
                                                         lazy="selectin", cascade="all, delete-orphan",
                                                         order_by=lambda: BudgetHeading.position)


class BudgetHeading(Base):
    """A part of a budget with its own money: the whole city (``ward_id`` None) or one ward. Its projects are the
    options of its question (kind ``budget``); a resident's ballot answers the headings of their ward and the
    city's."""

    __tablename__ = "consultation_budget_headings"
    __table_args__ = (UniqueConstraint("budget_id", "ward_id"),
                      CheckConstraint("amount > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("consultation_budgets.id", ondelete="CASCADE"), index=True)
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("consultation_questions.id", ondelete="CASCADE"),
                                             unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    position: Mapped[int] = mapped_column(default=0)

    budget: Mapped[Budget] = relationship(back_populates="headings")
    ward: Mapped[Ward | None] = relationship(lazy="joined")
    question: Mapped[Question] = relationship(lambda: Question)


class BudgetProject(Base):
    """A costed project residents can choose: one option (``option_id``) of its heading's question.

    ``source_type``/``source_id`` name the resource it came from (an accepted proposal, through the core's
    resource registry; never an import of the proposals domain). ``funded_at``: set when the official outcome
    funds it (the source's page then says "Funded in the <budget>")."""

    __tablename__ = "consultation_budget_projects"
    __table_args__ = (CheckConstraint("cost > 0", name="cost_positive"),
                      CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="location_whole"),
                      CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                                      name="latitude_range"),
                      CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                                      name="longitude_range"),
                      CheckConstraint("(source_type IS NULL) = (source_id IS NULL)", name="source_whole"),
                      UniqueConstraint("budget_id", "source_type", "source_id"),
                      Index("ix_consultation_budget_projects_source", "source_type", "source_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("consultation_budgets.id", ondelete="CASCADE"), index=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("consultation_budget_headings.id", ondelete="CASCADE"),
                                            index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("consultation_options.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered through the sanitiser
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    #: Where it is: its heading's ward in a budget split by ward; in a city-wide budget, a label for the filters.
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="SET NULL"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="SET NULL"), index=True)
    image_path: Mapped[str | None] = mapped_column(String(200))
    image_alt: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    funded_at: Mapped[datetime | None]
    comments_count: Mapped[int] = mapped_column(default=0)
    hidden_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    budget: Mapped[Budget] = relationship()
    heading: Mapped[BudgetHeading] = relationship()
    ward: Mapped[Ward | None] = relationship(lazy="joined")
    programme: Mapped[Programme | None] = relationship(lazy="joined")
