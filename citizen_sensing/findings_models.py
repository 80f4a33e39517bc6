"""The campaign's results for the council: its report (Markdown with charts of its own data) and the findings its
organisers submit, each with the council's official answer. Imported at the end of ``citizen_sensing.models``.

- One report per campaign: ``draft`` is what the organisers are writing (only they and officers see it), ``body``
  what was published (everyone). Publishing copies the draft.
- A finding keeps the report as it was when submitted (``report``), so the council answers what it was sent.
  Its answer mirrors a proposal's: not answered yet, being evaluated, accepted or rejected, with a text.
  A proposal made from it is linked through the core (``civic.resources.ResourceLink``), not here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, utcnow

if TYPE_CHECKING:
    from citizen_sensing.models import Campaign

ANSWER_STATES = ("not_answered", "evaluating", "accepted", "rejected")


class Report(Base):
    __tablename__ = "sensing_reports"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("sensing_campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    draft: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def has_changes(self) -> bool:
        """The draft differs from what is published."""
        return self.draft != self.body


class Finding(Base):
    __tablename__ = "sensing_findings"
    __table_args__ = (
        CheckConstraint(f"answer_state IN {ANSWER_STATES!r}", name="known_answer_state"),
        Index("ix_sensing_findings_answer_state_submitted_at", "answer_state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sensing_campaigns.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    summary: Mapped[str] = mapped_column(Text)  # Markdown
    report: Mapped[str] = mapped_column(Text, default="")  # the published report when it was submitted
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer_state: Mapped[str] = mapped_column(String(14), default="not_answered")
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    campaign: Mapped[Campaign] = relationship(lazy="joined")
