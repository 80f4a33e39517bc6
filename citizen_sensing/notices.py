"""The notifications citizen sensing makes: the organiser hears that the council approved their campaign (and
follows it from then on); a device's owner hears when an organiser flags one of its readings."""

from __future__ import annotations

from typing import Any

from flask import url_for

from citizen_sensing.models import Campaign, Device
from civic.notifications.registry import Kind, Notice, Users

PERSONAL = "About you"

KINDS = (
    Kind("sensing_campaign_approved", "The council approves a sensing campaign you proposed",
         "The council approved your campaign “{title}”", email_default="immediate", group=PERSONAL, position=41),
    Kind("sensing_reading_flagged", "A reading of your sensing device is flagged",
         "{actor} flagged a reading of your device “{title}”", email_default="daily", group=PERSONAL, position=42),
)


def _approved(campaign: Campaign, actor_id: int | None = None, **_: Any) -> Notice | None:
    if campaign.created_by_id is None:
        return None
    return Notice(key=f"sensing_campaign:{campaign.id}:approved", title=campaign.title,
                  url=url_for("citizen_sensing.show", slug=campaign.slug), actor_id=actor_id,
                  space=campaign.group.name, subject=("sensing_campaign", campaign.id),
                  resource=("sensing_campaign", campaign.id),
                  audiences=[Users("sensing_campaign_approved", [campaign.created_by_id])],
                  follows=[(campaign.created_by_id, "sensing_campaign", campaign.id, "own")])


def _flagged(device: Device, actor_id: int | None = None, when: str = "", **_: Any) -> Notice | None:
    if device.owner_id is None or device.owner_id == actor_id:
        return None
    return Notice(key=f"sensing_device:{device.id}:flagged:{when}", title=device.name,
                  url=url_for("citizen_sensing.device", device_id=device.id), actor_id=actor_id,
                  audiences=[Users("sensing_reading_flagged", [device.owner_id])])


BUILDERS = {"sensing.campaign_approved": _approved, "sensing.reading_flagged": _flagged}
