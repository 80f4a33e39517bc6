"""The application factory."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from civic import config as civic_config
from civic import jobs, maps, messages, resources
from civic.db import db
from civic.extensions import babel, csrf, limiter, login_manager

#: Domain packages, loaded by name so the core never imports them. Each defines ``init_app(app)``, which
#: registers its manifest (see civic.domains). A test (or a deployment) may name others in ``DOMAINS``.
DOMAIN_PACKAGES = ("proposals", "consultations", "citizen_sensing", "skills_school")

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = civic_config.from_environment()
    settings.update(config or {})
    app = Flask(
        "civic",
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings)
    # Start-up check: every problem with the settings, one sentence each; a production start refuses them all
    # (wsgi.py prints them without a traceback). Links in mail come from the configured address.
    check_settings(app)
    from civic.request_cycle import URL_CONVERTERS  # before any route: ids stop at 2**31 - 1, no NUL in paths

    app.url_map.converters.update(URL_CONVERTERS)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from civic import operations  # logs, request ids, the Host guard, /healthz and /readyz (docs/operations.md)

    operations.init_app(app)

    if app.config.get("BEHIND_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    db.init_app(app)
    jobs.init_app(app)
    csrf.init_app(app)
    messages.install()  # every form field's messages are specific ("Nickname must be 3 to 30 characters")
    babel.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from civic.accounts import passwords
    from civic.accounts import services as account_services

    passwords.configure(app.config["PASSWORD_HASH_PROFILE"])

    login_manager.user_loader(account_services.load_user)

    from civic import request_cycle

    request_cycle.init_app(app)
    maps.init_app(app)
    resources.default_areas()
    app.jinja_env.globals["resource_badges"] = resources.badges_for

    from civic.accounts import oauth
    from civic.accounts.api_tokens import bp as api_tokens_bp
    from civic.accounts.oauth_views import bp as oauth_bp
    from civic.accounts.views import bp as accounts_bp
    from civic.admin.views import bp as admin_bp
    from civic.api import bp as api_bp
    from civic.cli import cli
    from civic.comments.views import bp as comments_bp
    from civic.groups.views import bp as groups_bp
    from civic.moderation.blocking_views import bp as blocking_bp
    from civic.moderation.views import bp as moderation_bp
    from civic.opendata import bp as opendata_bp
    from civic.pages import bp as pages_bp
    from civic.spaces.views import bp as spaces_bp
    from civic.verification.views import bp as verification_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(oauth_bp)  # the OAuth 2 server for third-party apps (civic/accounts/oauth.py)
    oauth.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(verification_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(spaces_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(blocking_bp)
    app.register_blueprint(opendata_bp)
    app.cli.add_command(cli)

    from civic.accounts import oidc

    oidc.init_app(app)

    from civic import notifications

    notifications.init_app(app)

    from civic import search

    search.init_app(app)

    for name in app.config.get("DOMAINS", DOMAIN_PACKAGES):
        module = importlib.import_module(name)
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)
    return app


def check_settings(app: Flask) -> None:
    """Refuse to start on wrong settings: :class:`~civic.config.ConfigurationError` listing each problem."""
    found = civic_config.problems(app.config, debug=app.debug)
    try:
        jobs.backend_name(app.config)
    except ValueError as e:
        found.append(f"{e}.")
    try:
        app.config["BASE_URL"] = civic_config.base_url(app.config, debug=app.debug)
    except civic_config.ConfigurationError as e:
        if not any("CIVIC_BASE_URL" in problem for problem in found):
            found.append(str(e))
    if found:
        raise civic_config.ConfigurationError("\n".join(found))
    # Earlier keys still verify what was signed with them (sessions here; links in mail: civic.accounts.tokens).
    app.config["SECRET_KEY_FALLBACKS"] = list(app.config.get("SECRET_KEY_FALLBACKS") or [])
