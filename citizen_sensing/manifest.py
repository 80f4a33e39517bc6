"""Citizen sensing declared to the platform: everything it adds, in one place (see civic.domains)."""

from __future__ import annotations

from datetime import timedelta

from citizen_sensing import (
    admin_views,
    alert_views,
    alerts,
    api,
    cli,
    demo,
    exports,
    ingest_api,
    notices,
    pages,
    policy,
    search,
    storage,
    views,
)
from citizen_sensing.resource import CAMPAIGN
from civic.domains import Domain
from civic.schedule import Task

DOMAIN = Domain(
    name="citizen_sensing",
    blueprints=(views.bp, admin_views.bp, ingest_api.bp, api.bp, alert_views.bp),
    events={"sensing.campaign_approved": "An officer approved a citizen-sensing campaign",
            "sensing.reading_flagged": "An organiser flagged a reading of a volunteer's device",
            alerts.EVENT: "An alert rule's condition began to hold for a device (subject: the alert)"},
    resources=(CAMPAIGN,),
    area=("citizen_sensing", "citizen_sensing.index"),
    search_types=(search.CAMPAIGNS,),
    cli=cli.cli,
    notice_kinds=notices.KINDS + alerts.KINDS,
    notice_builders={**notices.BUILDERS, **alerts.BUILDERS},
    policy_rules=policy.RULES,
    tasks=(Task("citizen_sensing.partitions", storage.partitions_task,
                "Make the readings' monthly partitions ahead (PostgreSQL)", every=timedelta(days=1)),
           Task("citizen_sensing.prune-rejections", storage.prune_task,
                "Forget the items devices sent that were refused, after 30 days", every=timedelta(days=1)),
           Task("citizen_sensing.alerts", alerts.tick_task,
                "Open and close the campaigns' alerts (they are also checked as readings arrive)")),
    api_collections=api.COLLECTIONS,
    datasets=exports.DATASETS,
    work_queues=pages.WORK_QUEUES,
    seeder=demo.seed,
    setup=cli.install_alias,
)
