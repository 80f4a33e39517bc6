"""Ten clicks at once on "Turn into a proposal" (two tabs, a double click, a retry): on PostgreSQL, with real
commits, the finding becomes one proposal with one link; the others are told it is a proposal already."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from citizen_sensing import findings
from citizen_sensing.models import Campaign, Finding, Report
from civic.accounts.models import User
from civic.db import db, utcnow
from civic.groups.models import Group
from civic.resources import ResourceLink
from civic.spaces.models import Process
from proposals.models import Proposal
from tests import factories
from tests.citizen_sensing import factories as sensing
from tests.support.race import committed, delete_people, race, real_commits

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


def make(user_id: int, finding_id: int, target: str, ward_id: int) -> str:
    findings.make(db.session.get(User, user_id), db.session.get(Finding, finding_id), target, ward_id)
    return "made"


def test_ten_clicks_at_once_make_one_proposal(app):
    with real_commits(app):
        with committed(app):
            organiser = factories.user("organiser")
            campaign = sensing.campaign(organiser, wards=("Church Street",))
            db.session.add(Report(campaign_id=campaign.id, draft="Damp.", body="Damp.", published_at=utcnow()))
            finding = Finding(campaign_id=campaign.id, title="Homes on Church Street are damp all winter",
                              summary="Damp.", submitted_by_id=organiser.id)
            db.session.add(finding)
            process = factories.process()
            db.session.flush()
            ids = {"user": organiser.id, "campaign": campaign.id, "group": campaign.group_id, "finding": finding.id,
                   "process": process.id, "ward": factories.ward_named("Church Street").id}
        try:
            outcomes = race(app, make, [(ids["user"], ids["finding"], f"proposal:{ids['process']}", ids["ward"])] * 10,
                            before=lambda sql: sql.startswith("SELECT sensing_findings.id") and "FOR UPDATE" in sql)
            assert outcomes.count("made") == 1
            assert all(o == "This finding is already a proposal." for o in outcomes if o != "made")
            with committed(app):
                assert db.session.scalar(select(func.count()).select_from(Proposal)
                                         .where(Proposal.process_id == ids["process"])) == 1
                assert db.session.scalar(select(func.count()).select_from(ResourceLink).where(
                    ResourceLink.from_type == "sensing_finding", ResourceLink.from_id == ids["finding"])) == 1
        finally:
            with committed(app):
                db.session.execute(delete(ResourceLink).where(ResourceLink.from_type == "sensing_finding",
                                                              ResourceLink.from_id == ids["finding"]))
                db.session.execute(delete(Process).where(Process.id == ids["process"]))
                db.session.execute(delete(Campaign).where(Campaign.id == ids["campaign"]))
                db.session.execute(delete(Group).where(Group.id == ids["group"]))
            with committed(app):
                delete_people([ids["user"]], audit_of=("sensing_finding", [ids["finding"]]))
