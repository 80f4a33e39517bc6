"""Campaigns in the platform's search: approved ones that moderation has not hidden."""

from __future__ import annotations

from citizen_sensing.models import Campaign
from citizen_sensing.resource import CAMPAIGN
from civic import search


def _document(campaign: Campaign) -> search.Document | None:
    if not campaign.is_public:
        return None
    wards = [w.slug for w in campaign.wards] or search.WHOLE_CITY
    return search.Document(title=campaign.title, body=search.plain(campaign.purpose), ward=wards,
                           date=campaign.decided_at or campaign.created_at)


CAMPAIGNS = search.SearchType(
    name="sensing_campaign", label="Sensing campaign", plural="Sensing campaigns", model=Campaign,
    to_document=_document, url=CAMPAIGN.url,
    indexed_columns=frozenset({"title", "purpose", "status", "hidden_at", "decided_at"}), position=60)
