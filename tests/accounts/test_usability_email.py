"""Issue 14, item 10: the demo accounts can reset their passwords, and every form agrees on what an email address
is (one check, one message)."""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import User
from civic.cli import OLD_DEMO_DOMAIN, demo_email, seed_demo_data
from civic.db import db
from tests.support.pages import field_error, main_text

BAD = "Enter an email address in the correct format, like name@example.com"


def test_a_demo_account_asks_for_a_new_password(app, client, smtp_server):
    seed_demo_data(password="demo password for all")
    db.session.commit()
    page = client.post("/forgot-password", data={"email": "demo.resident@civic.example.org"})
    assert "demo.resident@civic.example.org" in main_text(page)
    assert smtp_server.to("demo.resident@civic.example.org"), "no reset mail"
    signed = client.post("/sign-in", data={"email": " demo.resident@civic.example.org ",
                                           "password": "demo password for all"})
    assert signed.status_code == 302


def test_seeding_again_moves_demo_accounts_from_the_old_domain(app):
    seed_demo_data(password="demo password for all")
    resident = db.session.scalar(select(User).where(User.nickname == "demo_resident"))
    resident.email = demo_email("demo_resident", OLD_DEMO_DOMAIN)
    db.session.flush()
    seed_demo_data()
    db.session.refresh(resident)
    assert resident.email == "demo.resident@civic.example.org"


def test_every_form_refuses_the_same_addresses_with_the_same_words(client, client_as):
    for path, data in (("/sign-up", {"display_name": "A", "nickname": "aaa", "password": "violet harbour lanterns"}),
                       ("/sign-in", {"password": "whatever it is"}),
                       ("/forgot-password", {}),
                       ("/moderation/appeal-block", {"password": "x", "statement": "Please."})):
        for address in ("demo.resident@civic.localhost", "not an address"):
            page = client.post(path, data={**data, "email": address})
            assert field_error(page, "email") == BAD, (path, address)
    signed_in, _ = client_as("resident")
    page = signed_in.post("/account/email", data={"email": "someone@civic.localhost", "password": "x"})
    assert BAD in page.text
