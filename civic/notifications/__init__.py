"""Notifications: follows, area alerts, the notification centre and email (straight away or in digests).

Domains declare their kinds and turn their events into notices in :mod:`civic.notifications.registry`;
this package delivers. See docs/notifications.md.
"""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from civic.commands import cli as civic_cli


def init_app(app: Flask) -> None:
    from civic.notifications import cli, kinds, services, tasks, views  # noqa: F401 - kinds registers the core's kinds

    tasks.register()
    services.subscribe_to_events()
    app.register_blueprint(views.bp)
    app.register_blueprint(views.follow_bp)
    civic_cli.add_command(cli.send_digests_command)
    # For packages below this one (comments: "you now follow this proposal"), which may not import it.
    app.extensions["civic.is_following"] = services.is_following

    @app.context_processor
    def _notification_globals():
        return {
            "notifications_unread": lambda: services.unread_count(current_user),
            "is_following": lambda resource_type, resource_id: services.is_following(
                current_user, resource_type, resource_id),
            "followers_count": services.followers_count,
        }
