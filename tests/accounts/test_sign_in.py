"""Sign-in: credentials, the next page, throttling, session rotation, remember-me, blocked accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from civic.accounts.models import SigninFailure, User
from civic.db import db, utcnow
from tests.accounts.conftest import field_error, main_text, text_of
from tests.conftest import PASSWORD

GENERIC = "The email address or password is not right."


def sign_in(client, email, password=PASSWORD, address=None, **data):
    kwargs = {"environ_base": {"REMOTE_ADDR": address}} if address else {}
    return client.post("/sign-in", data={"email": email, "password": password, **data}, **kwargs)


def is_signed_in(client) -> bool:
    response = client.get("/account")
    return response.status_code == 200


def test_right_credentials_sign_in(client, make_user):
    user = make_user(email="ada@example.org", display_name="Ada Lovelace")
    assert not is_signed_in(client)

    response = sign_in(client, "ADA@example.org ")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert "Welcome, Ada Lovelace: you are signed in for the first time." in main_text(page)
    assert is_signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, user.id).last_signin_at is not None


@pytest.mark.parametrize("target", ["/groups/?page=2", "/account"])
def test_a_same_site_next_page_is_followed(client, make_user, target):
    user = make_user()
    response = sign_in(client, user.email, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "https://evil.example/account",
                                    "/\\evil.example", "javascript:alert(1)", "evil.example"])
def test_an_offsite_next_page_is_not_followed(client, make_user, target):
    user = make_user()
    response = sign_in(client, user.email, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)


def test_my_account_sends_an_anonymous_visitor_to_sign_in_and_back(client, make_user):
    user = make_user()

    response = client.get("/account")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    form = client.get(response.headers["Location"])
    assert 'name="next" type="hidden" value="/account"' in form.get_data(as_text=True)
    signed = sign_in(client, user.email, next="/account")
    assert signed.headers["Location"] == "/account"
    assert "My account" in main_text(client.get("/account"))


def test_wrong_password_and_unknown_email_give_the_same_message(client, make_user):
    user = make_user(email="ada@example.org")

    wrong = sign_in(client, user.email, "not the password at all")
    unknown = sign_in(client, "nobody@example.org", "not the password at all")

    assert wrong.status_code == unknown.status_code == 200
    assert field_error(wrong, "password") == field_error(unknown, "password") == GENERIC
    assert main_text(wrong).replace(user.email, "X") == main_text(unknown).replace("nobody@example.org", "X")
    assert not is_signed_in(client)


def test_after_ten_failures_the_account_is_locked_for_a_while_even_with_the_right_password(client, make_user):
    user = make_user(email="ada@example.org")
    for n in range(10):
        response = sign_in(client, user.email, f"wrong password {n}", address=f"198.51.100.{n}")
        assert response.status_code == 200, n
        assert field_error(response, "password") == GENERIC

    response = sign_in(client, user.email, PASSWORD, address="198.51.100.99")

    assert response.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in main_text(response)
    assert not is_signed_in(client)
    # Another account is not affected.
    other = make_user()
    assert sign_in(client, other.email, address="198.51.100.99").status_code == 302


def test_the_lock_counts_only_failures_in_the_last_fifteen_minutes(client, make_user):
    user = make_user(email="ada@example.org")
    for n in range(10):
        sign_in(client, user.email, f"wrong password {n}")
    # Make the oldest failures older: the wait shrinks as they leave the window.
    failures = db.session.scalars(select(SigninFailure.id).order_by(SigninFailure.id)).all()
    db.session.execute(update(SigninFailure).where(SigninFailure.id == failures[0])
                       .values(at=utcnow() - timedelta(minutes=13, seconds=30)))
    db.session.commit()
    response = sign_in(client, user.email)
    assert response.status_code == 429
    assert "Try again in 2 minutes." in main_text(response)

    db.session.execute(update(SigninFailure).where(SigninFailure.id == failures[0])
                       .values(at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_a_successful_sign_in_clears_the_account_failures(client, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_MAX_FAILURES", 3)  # fewer slow password checks; same rule
    user = make_user(email="ada@example.org")
    for n in range(2):
        sign_in(client, user.email, f"wrong password {n}", address=f"198.51.100.{n}")
    assert sign_in(client, user.email, address="203.0.113.1").status_code == 302
    client.post("/sign-out")
    for n in range(2):
        assert sign_in(client, user.email, f"wrong again {n}", address=f"198.51.100.{n + 2}").status_code == 200
    assert sign_in(client, user.email, address="203.0.113.2").status_code == 302


def test_ten_failures_from_one_address_lock_that_address(client, make_user):
    user = make_user(email="ada@example.org")
    for n in range(10):
        response = sign_in(client, f"guess{n}@example.org", "some password guess", address="192.0.2.7")
        assert response.status_code == 200

    blocked = sign_in(client, user.email, address="192.0.2.7")
    elsewhere = sign_in(client, user.email, address="192.0.2.8")

    assert blocked.status_code == 429
    assert "Try again in 15 minutes" in main_text(blocked)
    assert elsewhere.status_code == 302


def test_the_session_is_renewed_at_sign_in(client, make_user):
    user = make_user()
    with client.session_transaction() as sess:
        sess["planted"] = "from before sign-in"

    sign_in(client, user.email)

    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == user.get_id()


def test_remember_me_sets_an_http_only_remember_cookie(client, make_user):
    user = make_user()

    response = sign_in(client, user.email, remember="y")

    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert len(cookies) == 1
    assert "HttpOnly" in cookies[0]
    assert "SameSite=Lax" in cookies[0]
    assert "Expires=" in cookies[0]
    session_cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert session_cookie and "HttpOnly" in session_cookie[0] and "Expires=" not in session_cookie[0]

    # The remember cookie alone signs the person back in once the browser session has ended.
    remember = client.get_cookie("remember_token", domain="civic.test")
    assert remember is not None and remember.http_only
    fresh = client.application.test_client()
    fresh.set_cookie(remember.key, remember.value, domain=remember.domain)
    assert is_signed_in(fresh)


def test_without_remember_me_there_is_no_remember_cookie(client, make_user):
    user = make_user()
    response = sign_in(client, user.email)
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]


def test_a_blocked_user_cannot_sign_in_and_is_told_how_to_appeal(client, make_user):
    user = make_user(email="ada@example.org", blocked_at=utcnow())

    response = sign_in(client, user.email)

    assert response.status_code == 200
    assert "blocked by a council officer" in main_text(response)
    assert "appeal" in main_text(response)
    assert not is_signed_in(client)


def test_a_blocked_user_with_the_wrong_password_learns_nothing(client, make_user):
    user = make_user(email="ada@example.org", blocked_at=utcnow())
    response = sign_in(client, user.email, "not the password at all")
    assert field_error(response, "password") == GENERIC
    assert "blocked" not in text_of(response)


def test_blocking_signs_out_an_open_session(client, make_user):
    user = make_user()
    sign_in(client, user.email)
    assert is_signed_in(client)
    db.session.execute(update(User).where(User.id == user.id).values(blocked_at=utcnow()))
    db.session.commit()
    assert not is_signed_in(client)


def test_sign_out_ends_the_session(client, make_user):
    user = make_user()
    sign_in(client, user.email)
    response = client.post("/sign-out")
    assert response.status_code == 302
    assert "You are signed out." in main_text(client.get("/"))
    assert not is_signed_in(client)


def test_sign_out_also_forgets_a_remembered_device(client, make_user):
    user = make_user()
    sign_in(client, user.email, remember="y")
    assert client.get_cookie("remember_token", domain="civic.test") is not None

    client.post("/sign-out")

    assert not is_signed_in(client)
    assert client.get_cookie("remember_token", domain="civic.test") is None


def copied_cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name, domain="civic.test").value for name in ("session", "remember_token")
            if client.get_cookie(name, domain="civic.test") is not None}


def browser_with(client, cookies: dict[str, str]):
    other = client.application.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="civic.test")
    return other


@pytest.mark.parametrize("kept", [("session",), ("remember_token",), ("session", "remember_token")])
def test_sign_out_ends_the_session_on_the_server_a_copied_cookie_no_longer_works(client, make_user, kept):
    user = make_user()
    sign_in(client, user.email, remember="y")
    cookies = {name: value for name, value in copied_cookies(client).items() if name in kept}
    assert set(cookies) == set(kept)
    assert is_signed_in(browser_with(client, cookies))  # the copy works while the session lives

    client.post("/sign-out")

    assert not is_signed_in(client)
    assert not is_signed_in(browser_with(client, cookies))
    # Signing in again opens a new session that works.
    sign_in(client, user.email)
    assert is_signed_in(client)


def test_sign_out_says_other_devices_are_signed_out_too(app, client, make_user):
    user = make_user()
    phone = app.test_client()
    sign_in(client, user.email)
    sign_in(phone, user.email)
    client.post("/sign-out")
    assert "Any other browser or device signed in to your account is signed out too." in main_text(client.get("/"))
    assert not is_signed_in(phone)
