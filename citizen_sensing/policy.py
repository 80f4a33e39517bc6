"""Who may do what in citizen sensing: organisers run their own group's campaigns, officers approve them,
volunteers join and look after their own devices. Services call ``policy.require``; templates ``can``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from citizen_sensing.models import Campaign, Device, Participant
from civic.db import db
from civic.groups.services import is_organiser

NOT_ORGANISER = "Only the organisers of the group running this campaign can do that."


def organises(user: Any, campaign: Campaign | None) -> bool:
    return campaign is not None and is_organiser(user, campaign.group)


def participates(user: Any, campaign: Campaign) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Participant.id).where(Participant.campaign_id == campaign.id,
                                                          Participant.user_id == user.id)) is not None


def visible(user: Any, campaign: Campaign) -> bool:
    """A public campaign, or one its organisers and officers may see before it is approved (or when hidden)."""
    if campaign.is_public:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_officer) or organises(user, campaign)


def _propose(user: Any, _obj: Any) -> bool | str:
    if not user.email_confirmed:
        return "Please confirm your email address first."
    return is_organiser(user) or "Only organisers of a community group can propose a campaign."


def _manage(user: Any, campaign: Campaign) -> bool | str:
    return user.is_admin or organises(user, campaign) or NOT_ORGANISER


def _decide(user: Any, _campaign: Any) -> bool | str:
    return user.is_officer or "Only council officers can approve a campaign."


def _join(user: Any, campaign: Campaign) -> bool | str:
    if not user.email_confirmed:
        return "Please confirm your email address first."
    if campaign is None or not campaign.is_public:
        return "This campaign is not open yet."
    return True


def _register_device(user: Any, campaign: Campaign) -> bool | str:
    if not user.email_confirmed:
        return "Please confirm your email address first."
    if not campaign.is_public:
        return "This campaign is not open yet."
    return participates(user, campaign) or "Join the campaign before you register a device."


def _own_device(user: Any, device: Device) -> bool | str:
    return device.owner_id == user.id or "This is not your device."


def _see_device(user: Any, device: Device) -> bool | str:
    if device.owner_id == user.id or user.is_officer:
        return True
    campaign = db.session.get(Campaign, device.campaign_id)
    return organises(user, campaign) or "This is not your device."


def _evidence_pack(user: Any, device: Device) -> bool | str:
    """A tenant's evidence pack (citizen_sensing/evidence.py): the device's owner makes it; council officers may
    make it again for the same period to check a pack they were handed against the site's data. Not the
    campaign's organisers: the pack is the tenant's document about their home."""
    return device.owner_id == user.id or user.is_officer or "Only the device's owner can make its evidence pack."


RULES = {
    "sensing.propose": _propose,
    "sensing.manage": _manage,
    "sensing.decide": _decide,
    "sensing.join": _join,
    "sensing.register_device": _register_device,
    "sensing.own_device": _own_device,
    "sensing.see_device": _see_device,
    "sensing.evidence_pack": _evidence_pack,
    "sensing.catalogue": lambda user, _obj: user.is_admin or "Only administrators can change the catalogue.",
}
