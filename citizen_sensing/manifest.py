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
    evidence_views,  # noqa: F401  (its routes are on the public blueprint)
    exports,
    finding_notices,
    findings,
    findings_views,
    ingest_api,
    notices,
    pages,
    policy,
    search,
    storage,
    views,
)
from citizen_sensing.audit_sentences import SENTENCES as AUDIT_SENTENCES
from citizen_sensing.resource import CAMPAIGN
from civic.domains import Domain
from civic.schedule import Task

DOMAIN = Domain(
    name="citizen_sensing",
    blueprints=(views.bp, admin_views.bp, ingest_api.bp, api.bp, alert_views.bp, findings_views.bp,
                findings_views.admin_bp),
    events={"sensing.campaign_approved": "An officer approved a citizen-sensing campaign",
            "sensing.reading_flagged": "An organiser flagged a reading of a volunteer's device",
            alerts.EVENT: "An alert rule's condition began to hold for a device (subject: the alert)",
            "sensing.finding_answered": "An officer answered a campaign's finding (state and answer text)"},
    resources=(CAMPAIGN, findings.FINDING),
    area=("citizen_sensing", "citizen_sensing.index"),
    search_types=(search.CAMPAIGNS,),
    cli=cli.cli,
    notice_kinds=notices.KINDS + alerts.KINDS + finding_notices.KINDS,
    notice_builders={**notices.BUILDERS, **alerts.BUILDERS, **finding_notices.BUILDERS},
    policy_rules={**policy.RULES, **findings.RULES},
    tasks=(Task("citizen_sensing.partitions", storage.partitions_task,
                "Make the readings' monthly partitions ahead (PostgreSQL)", every=timedelta(days=1)),
           Task("citizen_sensing.prune-rejections", storage.prune_task,
                "Forget the items devices sent that were refused, after 30 days", every=timedelta(days=1)),
           Task("citizen_sensing.alerts", alerts.tick_task,
                "Open and close the campaigns' alerts (they are also checked as readings arrive)")),
    api_collections=api.COLLECTIONS,
    datasets=exports.DATASETS,
    work_queues=pages.WORK_QUEUES + findings.WORK_QUEUES,
    audit_sentences=AUDIT_SENTENCES,
    seeder=demo.seed,
    template_globals={"sensing_results": findings.results},
    setup=cli.install_alias,
)
