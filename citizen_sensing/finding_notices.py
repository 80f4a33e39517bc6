"""The notification findings make: when the council answers a campaign's finding, the campaign's followers (and
the organiser who submitted it) are told, through the core's notification kinds."""

from __future__ import annotations

from typing import Any

from flask import url_for

from citizen_sensing.findings_models import Finding
from civic.notifications.registry import Followers, Kind, Notice, Users

KINDS = (
    Kind("sensing_finding_answered", "The council answers the findings of a sensing campaign you follow",
         "The council answered the finding “{title}”", email_default="immediate", group="Things you follow",
         position=43),
)


def _answered(finding: Finding, actor_id: int | None = None, state: str = "", **_: Any) -> Notice | None:
    campaign = finding.campaign
    if not campaign.is_public:
        return None  # nobody is told about what they may not see
    stamp = finding.answered_at.isoformat() if finding.answered_at else "now"
    audiences = [Followers("sensing_finding_answered", "sensing_campaign", campaign.id)]
    if finding.submitted_by_id is not None:
        audiences.insert(0, Users("sensing_finding_answered", [finding.submitted_by_id]))
    return Notice(key=f"sensing_finding:{finding.id}:answered:{state}:{stamp}", title=finding.title,
                  url=url_for("sensing_findings.show", finding_id=finding.id), actor_id=actor_id,
                  space=campaign.group.name, excerpt=finding.answer_text[:200],
                  subject=("sensing_finding", finding.id), resource=("sensing_campaign", campaign.id),
                  audiences=audiences)


BUILDERS = {"sensing.finding_answered": _answered}
