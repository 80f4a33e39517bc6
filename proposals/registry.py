"""Everything proposals tell the core, in one place (called from ``proposals.init_app``)."""

from __future__ import annotations

from flask import Flask

from civic import events, resources
from civic.resources import Component
from proposals import search
from proposals.models import Proposal

EVENTS = {
    "proposal.published": "A proposal was published",
    "proposal.answered": "An officer answered a proposal (state and answer text)",
    "proposal.threshold_reached": "A proposal reached its process's support threshold",
    "proposal.withdrawn": "The author withdrew a proposal",
    "proposal.coauthor_invited": "Someone was invited to co-author a proposal",
}


def init_app(app: Flask) -> None:
    from proposals import admin_views, api, cli, demo, exports, hooks, notices, views  # noqa: F401 - routes

    for name, description in EVENTS.items():
        if name not in events.event_types():
            events.declare(name, description)
    resources.register("proposal", Proposal, "Proposal", url_endpoint="proposals.show",
                       capabilities={"commentable", "reportable", "searchable", "followable"}, **hooks.HOOKS)
    search.register()
    resources.register_component(Component("proposals", "Proposals", "proposals.index"))
    resources.set_area_endpoint("proposals", "spaces.index")
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(api.bp)
    app.cli.add_command(cli.cli)
    app.extensions.setdefault("civic.seeders", []).append(demo.seed)
