"""Campaigns as a resource of the platform: their page (the URL written once), comments, reports and hiding,
follows (see civic.resources)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from citizen_sensing.models import Campaign
from citizen_sensing.policy import visible
from civic.db import db
from civic.resources import CommentHooks, FollowHooks, Link, ModerationHooks, ResourceType


def _may_comment(user: Any, campaign: Campaign) -> bool | str:
    if campaign.hidden_at is not None:
        return "This campaign was hidden by moderation, so comments are closed."
    return campaign.status == "approved" or "Comments open when the campaign is approved."


def _set_hidden(campaign: Campaign, hidden_at: datetime | None) -> None:
    campaign.hidden_at = hidden_at


def _on_count(campaign: Campaign, delta: int) -> None:
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id)
                       .values(comments_count=Campaign.comments_count + delta))


CAMPAIGN = ResourceType(
    "sensing_campaign", Campaign, "Sensing campaign", url=Link("citizen_sensing.show", "slug", "slug"),
    title=lambda c: c.title, visible=visible, space=lambda c: c.group.name,
    comments=CommentHooks(may_comment=_may_comment, readable=lambda c: c.is_public, on_count=_on_count),
    moderation=ModerationHooks(set_hidden=_set_hidden),
    follows=FollowHooks())
