"""A real Civic served on loopback for the browser tests, and headless Chromium to drive it.

The server is a fresh SQLite file, migrated and loaded with the demo data, served by werkzeug in a thread
with CSRF on: every request commits for real, as in production. ``civic.db.db`` is one global bound by
``create_app``; this module rebinds it to the browser database while the session runs and puts the
previous binding back at the end, so the ordinary ``app`` fixture keeps working.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException
from werkzeug.serving import make_server

from civic import migrate, search
from civic.app import create_app
from civic.cli import seed_demo_data
from civic.db import db, make_engine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
DEMO_PASSWORD = "browser demo password 2024"
DEMO_ROLES = ("resident", "verified", "organiser", "instructor", "officer", "admin")


def demo_email(role: str) -> str:
    return f"demo.{role}@civic.example.org"


@dataclass
class LiveServer:
    origin: str
    app: Flask

    def route_of(self, path: str) -> str:
        """The endpoint that serves ``path`` (``admin.user`` for /admin/users/7), or the path when none does."""
        try:
            endpoint, _args = self.app.url_map.bind("127.0.0.1").match(path, method="GET")
        except (HTTPException, RoutingException):
            return path
        return endpoint


@pytest.fixture(scope="session")
def live_server(app, tmp_path_factory) -> Iterator[LiveServer]:
    """Civic on http://127.0.0.1:<free port>/ with its own SQLite database and the demo data.

    It asks for ``app`` only so that the ordinary test app (which the autouse ``_transaction`` fixture
    creates anyway) is bound first; this fixture then takes ``db`` over and gives it back at the end.
    """
    previous_engine = db.engine
    instance = tmp_path_factory.mktemp("browser-instance")
    url = f"sqlite:///{instance / 'civic.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    live = create_app({
        "SECRET_KEY": "browser-tests-secret-key",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "MAIL_DIR": str(instance / "mail"),
        "SMTP_HOST": None,
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": None,
    })
    with live.app_context():
        seed_demo_data(password=DEMO_PASSWORD)
        db.session.commit()
        search.reindex()  # as `flask civic seed-demo` does: the search pages have results to check
    server = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="civic-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(origin=f"http://127.0.0.1:{server.server_port}", app=live)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        db.session.remove()
        db.engine.dispose()
        db.engine = previous_engine
        db.factory.configure(bind=previous_engine)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What a browser context did: every request's URL, console errors and uncaught page errors."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_console(msg):
            if msg.type == "error":
                self.console_errors.append(f"{page.url}: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"{page.url}: uncaught {exc}"))


@pytest.fixture
def new_context(browser, live_server):
    """``new_context(**options)`` -> (context, page, watch): a fresh browser profile whose requests are
    recorded; anything addressed outside the live server is recorded and then refused, never sent."""
    contexts: list[BrowserContext] = []

    def make(**options) -> tuple[BrowserContext, Page, Watch]:
        options.setdefault("base_url", live_server.origin)
        context = browser.new_context(**options)
        contexts.append(context)
        watch = Watch()
        context.on("request", lambda request: watch.requests.append(request.url))
        context.route(lambda url: not url.startswith(live_server.origin + "/"), lambda route: route.abort())
        page = context.new_page()
        watch.attach(page)
        return context, page, watch

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, role: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in as a demo account through the real sign-in form, as a person would."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(demo_email(role))
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Sign out").count() == 1, f"{role} could not sign in: {page.url}"
