"""Everything proposals tell the core, in one place (called from ``proposals.init_app``)."""

from __future__ import annotations

from flask import Flask

from civic import events, resources
from civic.resources import Component
from civic.spaces import phases
from proposals import search
from proposals.models import Proposal

EVENTS = {
    "proposal.published": "A proposal was published",
    "proposal.answered": "An officer answered a proposal (state and answer text)",
    "proposal.threshold_reached": "A proposal reached its process's support threshold",
    "proposal.withdrawn": "The author withdrew a proposal",
    "proposal.coauthor_invited": "Someone was invited to co-author a proposal",
}

#: The phase actions proposals gate (``comment`` is the core's): key, label, what opening it means, position.
PHASE_ACTIONS = (
    ("propose", "Making proposals", "Residents can write and publish new proposals.", 10),
    ("support", "Supporting proposals",
     "Verified residents can support proposals (within the process's support limit).", 20),
    ("endorse", "Endorsing proposals", "Residents and community groups can publicly endorse proposals.", 40),
    ("answer", "Answering proposals",
     "Officers can give proposals an official answer (evaluating, accepted, rejected).", 50),
)


def init_app(app: Flask) -> None:
    from proposals import api, cli, demo, exports, hooks, notices, participation_views, views  # noqa: F401 - routes

    for name, description in EVENTS.items():
        if name not in events.event_types():
            events.declare(name, description)
    for key, label, description, position in PHASE_ACTIONS:
        phases.register_action(key, label, description=description, position=position)
    resources.register("proposal", Proposal, "Proposal", url_endpoint="proposals.show",
                       capabilities={"commentable", "reportable", "searchable", "followable"}, **hooks.HOOKS)
    search.register()
    resources.register_component(Component("proposals", "Proposals", "proposals.index"))
    resources.set_area_endpoint("proposals", "spaces.index")
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.cli.add_command(cli.cli)
    app.extensions.setdefault("civic.seeders", []).append(demo.seed)
