"""Consultations as a resource of the platform: their page, comments, moderation and follows (see civic.resources).
Comments are on the consultation, never on a ballot (ballots are not resources)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from civic.resources import CommentHooks, FollowHooks, Link, ModerationHooks, ResourceType
from consultations import services
from consultations.models import Consultation
from consultations.policy import visible


def _may_comment(user: Any, consultation: Consultation) -> bool | str:
    if not consultation.is_published:
        return _("Comments open when the consultation is published.")
    if consultation.hidden_at is not None:
        return _("This consultation was hidden by moderation, so comments are closed.")
    return True


def _readable(consultation: Consultation) -> bool:
    return consultation.is_published and consultation.hidden_at is None


def _set_hidden(consultation: Consultation, hidden_at: datetime | None) -> None:
    services.set_hidden(consultation, hidden_at)


CONSULTATION = ResourceType(
    "consultation", Consultation, "Consultation", url=Link("consultations.show", "consultation_id"),
    title=lambda consultation: consultation.title, visible=visible,
    space=lambda consultation: consultation.process.title if consultation.process else "Consultations",
    comments=CommentHooks(may_comment=_may_comment, readable=_readable, on_count=services.on_comment_count),
    moderation=ModerationHooks(set_hidden=_set_hidden, author_id=lambda consultation: consultation.created_by_id),
    follows=FollowHooks())
