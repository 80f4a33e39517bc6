"""Every link in mail comes from the configured address (CIVIC_BASE_URL), never from the request's Host header;
a production start without that address refuses to start."""

from __future__ import annotations

import re

import pytest

from civic import config
from civic.app import create_app
from tests.conftest import PASSWORD

EVIL = "http://evil.example"


def links_in(mail) -> list[str]:
    text = mail.get_body(("plain",)).get_content() + mail.get_body(("html",)).get_content()
    return re.findall(r"https?://[^\s\"'<>]+", text)


@pytest.fixture(autouse=True)
def as_in_production(app, monkeypatch):
    """No SERVER_NAME, as the README's production recipe runs (with one, Flask builds links on it): the Host
    header is whatever the sender writes. The base URL stays the configured ``http://civic.test``."""
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    assert app.config["BASE_URL"] == "http://civic.test"


def test_a_password_reset_asked_with_a_forged_host_links_to_the_configured_host(client, make_user, smtp_server):
    make_user(email="ada@example.org")

    response = client.post("/forgot-password", data={"email": "ada@example.org"}, headers={"Host": "evil.example"})

    assert response.status_code == 200
    links = links_in(smtp_server.to("ada@example.org")[-1])
    assert links and all(link.startswith("http://civic.test/") for link in links)
    assert any(link.startswith("http://civic.test/reset-password/") for link in links)
    assert not any("evil.example" in link for link in links)


def test_sign_up_mails_link_to_the_configured_host_whatever_the_host_header(client, make_user, smtp_server):
    make_user(email="taken@example.org")
    for email, nickname in (("new@example.org", "newcomer"), ("taken@example.org", "someone_else")):
        client.post("/sign-up", base_url=EVIL, data={"display_name": "A Person", "nickname": nickname,
                                                     "email": email, "password": "a long and winding lane"})
        links = links_in(smtp_server.to(email)[-1])
        assert links and all(link.startswith("http://civic.test/") for link in links), links


def test_an_email_change_link_goes_to_the_configured_host(app, make_user, smtp_server):
    user = make_user()
    client = app.test_client()
    client.post("/sign-in", base_url=EVIL, data={"email": user.email, "password": PASSWORD})
    client.post("/account/email", base_url=EVIL, data={"email": "moved@example.org", "password": PASSWORD})
    links = links_in(smtp_server.to("moved@example.org")[-1])
    assert links and all(link.startswith("http://civic.test/account/email/confirm/") for link in links)


def test_links_follow_the_base_url_with_its_scheme_and_path(app):
    base = app.config["BASE_URL"]
    try:
        app.config["BASE_URL"] = "https://civic.example.org/westminster"
        with app.test_request_context("/", base_url=EVIL):
            from civic import mail

            assert mail.link("accounts.reset_password", token="abc") == \
                "https://civic.example.org/westminster/reset-password/abc"
    finally:
        app.config["BASE_URL"] = base


# The start-up check ----------------------------------------------------------------------------------------


@pytest.fixture
def bare_environment(monkeypatch, tmp_path):
    for name in ("CIVIC_BASE_URL", "CIVIC_SERVER_NAME", "CIVIC_URL_SCHEME", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CIVIC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CIVIC_SECRET_KEY", "a secret for this test only")


def test_a_production_start_without_a_base_url_refuses_with_a_clear_message(bare_environment):
    with pytest.raises(config.ConfigurationError, match="(?i)set CIVIC_BASE_URL"):
        create_app({"DATABASE_URL": "postgresql://civic@127.0.0.1:1/civic"})


def test_the_base_url_comes_from_the_setting_or_the_server_name(bare_environment, monkeypatch):
    production = {"DATABASE_URL": "postgresql://civic@db.example/civic"}
    monkeypatch.setenv("CIVIC_BASE_URL", "https://civic.example.org/")
    assert config.base_url({**config.from_environment(), **production}) == "https://civic.example.org"
    monkeypatch.delenv("CIVIC_BASE_URL")
    monkeypatch.setenv("CIVIC_SERVER_NAME", "civic.example.org")
    monkeypatch.setenv("CIVIC_URL_SCHEME", "https")
    assert config.base_url({**config.from_environment(), **production}) == "https://civic.example.org"
    with pytest.raises(config.ConfigurationError, match="public address"):
        config.base_url({**production, "BASE_URL": "civic.example.org"})


def test_the_embedded_mode_tests_and_debug_runs_start_without_one(bare_environment):
    embedded = config.from_environment()  # the SQLite file under instance/, as `make run` serves it
    assert embedded["BASE_URL"] is None
    assert config.base_url(embedded) == "http://127.0.0.1:5000"
    production = {"DATABASE_URL": "postgresql://civic@db.example/civic"}
    assert config.base_url({**production, "TESTING": True}) == "http://127.0.0.1:5000"
    assert config.base_url(production, debug=True) == "http://127.0.0.1:5000"
