"""Citizen sensing declared to the platform: everything it adds, in one place (see civic.domains)."""

from __future__ import annotations

from citizen_sensing import admin_views, api, exports, ingest_api, policy, search, views
from citizen_sensing.resource import CAMPAIGN
from civic.domains import Domain

DOMAIN = Domain(
    name="citizen_sensing",
    blueprints=(views.bp, admin_views.bp, ingest_api.bp, api.bp),
    events={"sensing.campaign_approved": "An officer approved a citizen-sensing campaign"},
    resources=(CAMPAIGN,),
    area=("citizen_sensing", "citizen_sensing.index"),
    search_types=(search.CAMPAIGNS,),
    policy_rules=policy.RULES,
    api_collections=api.COLLECTIONS,
    datasets=exports.DATASETS,
)
