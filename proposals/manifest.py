"""Proposals declared to the platform: everything they add, in one place (see civic.domains)."""

from __future__ import annotations

from civic.domains import Domain
from civic.resources import Component
from civic.spaces.phases import Action
from proposals import (
    admin_views,
    answering,
    api,
    cli,
    demo,
    exports,  # its download routes are on views.bp
    notices,
    policy,
    search,
    supports,
    transfers,
    views,
)
from proposals.resource import PROPOSAL

DOMAIN = Domain(
    name="proposals",
    blueprints=(views.bp, admin_views.bp, api.bp),
    cli=cli.cli,
    events={
        "proposal.published": "A proposal was published",
        "proposal.answered": "An officer answered a proposal (state and answer text)",
        "proposal.threshold_reached": "A proposal reached its process's support threshold",
        "proposal.withdrawn": "The author withdrew a proposal",
        "proposal.coauthor_invited": "Someone was invited to co-author a proposal",
    },
    resources=(PROPOSAL,),
    components=(Component("proposals", "Proposals", "proposals.index", "proposals_admin.settings",
                          "Proposals: limits, threshold and categories", yours=supports.account_links),),
    area=("proposals", "spaces.index", "Participatory processes"),
    phase_actions=(  # ``comment`` is the core's
        Action("propose", "Making proposals", "Residents can write and publish new proposals.", 10,
               start=("Make a proposal", "proposals.new")),
        Action("support", "Supporting proposals",
               "Verified residents can support proposals (within the process's support limit).", 20,
               start=("Support proposals", "proposals.index")),
        Action("endorse", "Endorsing proposals", "Residents and community groups can publicly endorse proposals.",
               40),
        Action("answer", "Answering proposals",
               "Officers can give proposals an official answer (evaluating, accepted, rejected).", 50),
    ),
    search_types=(search.PROPOSALS,),
    notice_kinds=notices.KINDS,
    notice_builders=notices.BUILDERS,
    policy_rules=policy.RULES,
    api_collections=api.COLLECTIONS,
    account_handlers={"transferred": transfers.transfer_supports},
    datasets=exports.DATASETS,
    work_queues=answering.WORK_QUEUES,
    seeder=demo.seed,
)
