"""Sign-up, the confirmation link, the password rules and what is kept on a failed form."""

from __future__ import annotations

import time

import itsdangerous.timed
from sqlalchemy import func, select

from civic.accounts import passwords
from civic.accounts.models import User
from civic.db import db
from tests.accounts.conftest import field_error, input_value, main_text, path_of
from tests.conftest import PASSWORD

NEW_PASSWORD = "violet harbour lanterns"


def sign_up(client, *, display_name="Ada Lovelace", nickname="ada_l", email="ada@example.org",
            password=NEW_PASSWORD):
    return client.post("/sign-up", data={"display_name": display_name, "nickname": nickname, "email": email,
                                         "password": password})


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_sign_up_creates_an_unconfirmed_account_and_mails_a_multipart_link(client, smtp_server):
    response = sign_up(client, email="Ada@Example.org")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sign-up/check-your-email")
    page = client.get(response.headers["Location"])
    assert "Check your email" in main_text(page)

    user = user_by_email("ada@example.org")
    assert user is not None, "the account was not created (email is stored lower-case)"
    assert (user.display_name, user.nickname) == ("Ada Lovelace", "ada_l")
    assert user.email_confirmed_at is None

    mails = smtp_server.to("ada@example.org")
    assert len(mails) == 1
    mail = mails[0]
    assert mail["Subject"] == "Confirm your email address"
    assert mail.is_multipart()
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    link = smtp_server.last_link("ada@example.org")
    assert "/confirm/" in link
    assert link in text
    assert f'href="{link}"' in html
    assert "Ada Lovelace" in text and "Ada Lovelace" in html


def test_following_the_link_confirms_the_email(client, smtp_server):
    sign_up(client)
    link = smtp_server.last_link("ada@example.org")

    response = client.get(path_of(link))

    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    assert user_by_email("ada@example.org").email_confirmed_at is not None
    page = client.get(response.headers["Location"])
    assert "your email address is confirmed" in main_text(page)


def test_a_tampered_confirmation_link_is_refused_with_a_clear_page(client, smtp_server):
    sign_up(client)
    link = path_of(smtp_server.last_link("ada@example.org"))
    token = link.rsplit("/", 1)[1]
    tampered = link[: -len(token)] + token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.get(tampered)

    assert response.status_code == 400
    assert "This link does not work" in main_text(response)
    assert "not valid or has expired" in main_text(response)
    assert user_by_email("ada@example.org").email_confirmed_at is None


def test_an_expired_confirmation_link_is_refused(client, smtp_server, monkeypatch, app):
    # The link is signed a little over a day ago.
    max_age = app.config["TOKEN_MAX_AGE_SECONDS"]
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: int(time.time()) - max_age - 60)
    sign_up(client)
    monkeypatch.undo()
    link = path_of(smtp_server.last_link("ada@example.org"))

    response = client.get(link)

    assert response.status_code == 400
    assert "not valid or has expired" in main_text(response)
    assert user_by_email("ada@example.org").email_confirmed_at is None


def test_the_confirmation_link_lifetime_is_the_configured_one(client, smtp_server, monkeypatch, app):
    sign_up(client)
    link = path_of(smtp_server.last_link("ada@example.org"))
    monkeypatch.setitem(app.config, "TOKEN_MAX_AGE_SECONDS", -1)  # every link is already too old

    assert client.get(link).status_code == 400
    monkeypatch.undo()
    assert client.get(link).status_code == 302


def test_a_link_for_another_purpose_does_not_confirm(client, smtp_server, make_user):
    user = make_user(email="bo@example.org", confirmed=False)
    client.post("/forgot-password", data={"email": "bo@example.org"})
    reset_link = path_of(smtp_server.last_link("bo@example.org"))
    token = reset_link.rsplit("/", 1)[1]

    response = client.get(f"/confirm/{token}")

    assert response.status_code == 400
    assert user_by_email("bo@example.org").email_confirmed_at is None
    assert user.id


def test_sign_up_with_a_registered_email_makes_no_account_and_mails_the_owner(client, smtp_server, make_user):
    owner = make_user(email="owner@example.org", display_name="The Owner")
    before = count_users()
    fresh = sign_up(client, email="someone@example.org", nickname="someone_new")
    fresh_page = main_text(client.get(fresh.headers["Location"]))

    response = sign_up(client, email="Owner@example.org", nickname="intruder")

    assert response.status_code == 302
    assert response.headers["Location"] == fresh.headers["Location"]
    assert main_text(client.get(response.headers["Location"])) == fresh_page
    assert count_users() == before + 1  # only the fresh sign-up
    assert db.session.scalar(select(User).where(User.nickname == "intruder")) is None
    assert user_by_email("owner@example.org").id == owner.id
    mails = smtp_server.to("owner@example.org")
    assert len(mails) == 1
    assert "tried to sign up" in mails[0]["Subject"]
    assert "/forgot-password" in smtp_server.last_link("owner@example.org")
    assert "/confirm/" not in mails[0].get_body(("plain",)).get_content()


def test_a_taken_nickname_is_refused_beside_the_field_and_the_form_keeps_what_was_typed(client, make_user,
                                                                                          smtp_server):
    make_user(nickname="ada_l")
    before = count_users()

    response = sign_up(client, nickname="Ada_L", display_name="Ada Byron", email="byron@example.org")

    assert response.status_code == 200
    assert field_error(response, "nickname") == "This nickname is taken. Choose another."
    assert "There is a problem" in main_text(response)
    assert input_value(response, "display_name") == "Ada Byron"
    assert input_value(response, "email") == "byron@example.org"
    assert input_value(response, "nickname") == "Ada_L"
    assert input_value(response, "password") in (None, "")
    assert NEW_PASSWORD not in response.get_data(as_text=True)
    assert count_users() == before
    assert smtp_server.to("byron@example.org") == []


def test_a_registered_email_costs_the_same_password_hashing_as_a_new_one(client, make_user, monkeypatch):
    """Both answers do the one slow step (argon2), so response time does not tell which addresses exist."""
    make_user(email="owner@example.org")
    calls = []
    real = passwords.hash_password
    monkeypatch.setattr(passwords, "hash_password", lambda pw: calls.append(pw) or real(pw))

    sign_up(client, email="owner@example.org", nickname="first_try")
    sign_up(client, email="fresh@example.org", nickname="second_try")

    assert calls == [NEW_PASSWORD, NEW_PASSWORD]


def test_a_blank_name_is_refused(client):
    response = sign_up(client, display_name="   ")
    assert response.status_code == 200
    assert field_error(response, "display_name") == "Enter your name."
    assert user_by_email("ada@example.org") is None


def test_a_short_password_is_refused(client):
    response = sign_up(client, password="short pass")
    assert response.status_code == 200
    assert field_error(response, "password") == "Use at least 12 characters."
    assert user_by_email("ada@example.org") is None


def test_a_common_password_is_refused(client):
    assert "password1234" in passwords.common_passwords()
    response = sign_up(client, password="password1234")
    assert response.status_code == 200
    assert "too common" in field_error(response, "password")
    assert user_by_email("ada@example.org") is None


def test_a_common_password_with_digits_added_is_refused(client):
    response = sign_up(client, password="Sunshine2024!")
    assert "too common" in field_error(response, "password")


def test_a_password_containing_the_nickname_is_refused(client):
    response = sign_up(client, nickname="riverbank", password="my riverbank walk")
    assert response.status_code == 200
    assert field_error(response, "password") == "Do not use your nickname or email address in your password."
    assert user_by_email("ada@example.org") is None


def test_the_common_password_list_is_large_enough():
    assert len(passwords.common_passwords()) >= 10_000


def test_passwords_are_stored_as_argon2id_hashes(client):
    sign_up(client)
    user = user_by_email("ada@example.org")
    assert user.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in user.password_hash
    assert passwords.verify(user.password_hash, NEW_PASSWORD)
    assert not passwords.verify(user.password_hash, PASSWORD)
