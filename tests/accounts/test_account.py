"""My account: password change (signs out other devices), password reset, email change, deletion,
profile pages."""

from __future__ import annotations

import time

import itsdangerous.timed
from sqlalchemy import select

from civic.accounts.models import User, UserIdentity
from civic.db import db, utcnow
from tests.accounts.conftest import field_error, main_text, path_of
from tests.conftest import PASSWORD

NEW_PASSWORD = "amber tides over marble"


def sign_in(client, email, password=PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


def is_signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# Changing the password --------------------------------------------------------------------------------


def test_changing_the_password_signs_out_other_devices_but_not_this_one(app, make_user, smtp_server):
    user = make_user(email="ada@example.org")
    laptop, phone = app.test_client(), app.test_client()
    assert sign_in(laptop, user.email).status_code == 302
    assert sign_in(phone, user.email).status_code == 302
    assert is_signed_in(laptop) and is_signed_in(phone)

    response = laptop.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD})

    assert response.status_code == 302
    assert "Other devices have been signed out" in main_text(laptop.get(response.headers["Location"]))
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert smtp_server.to("ada@example.org")[-1]["Subject"] == "Your password was changed"
    assert sign_in(phone, user.email, NEW_PASSWORD).status_code == 302
    assert is_signed_in(phone)


def test_a_password_change_renews_this_device_remember_cookie_and_voids_the_others(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    laptop.post("/sign-in", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    phone.post("/sign-in", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    old_phone_cookie = phone.get_cookie("remember_token", domain="civic.test").value

    laptop.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD})

    # Browsers closed: only the remember cookies are left.
    for device, value in ((laptop, laptop.get_cookie("remember_token", domain="civic.test").value),
                          (phone, old_phone_cookie)):
        device.delete_cookie("session", domain="civic.test")
        device.set_cookie("remember_token", value, domain="civic.test")
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)


def test_changing_the_password_does_not_confirm_the_email(client_as):
    client, user = client_as("resident", confirmed=False)
    response = client.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert reload(user).email_confirmed_at is None  # only following a link sent to the address proves it


def test_changing_the_password_needs_the_current_one(client_as):
    client, user = client_as("resident")
    response = client.post("/account/password", data={"current_password": "a wrong password",
                                                      "password": NEW_PASSWORD})
    assert response.status_code == 200
    assert field_error(response, "current_password") == "Your current password is not right."
    assert reload(user).password_hash == user.password_hash


def test_a_new_password_must_follow_the_rules(client_as):
    client, user = client_as("resident", nickname="riverbank")
    response = client.post("/account/password", data={"current_password": PASSWORD,
                                                      "password": "riverbank strolls"})
    assert field_error(response, "password") == "Do not use your nickname or email address in your password."
    response = client.post("/account/password", data={"current_password": PASSWORD, "password": "password1234"})
    assert "too common" in field_error(response, "password")


# Password reset -----------------------------------------------------------------------------------------


def test_password_reset_link_works_once_and_the_new_password_replaces_the_old(client, make_user, smtp_server):
    user = make_user(email="ada@example.org")

    response = client.post("/forgot-password", data={"email": "ada@example.org"})

    assert response.status_code == 200
    assert "Check your email" in main_text(response)
    mails = smtp_server.to("ada@example.org")
    assert len(mails) == 1 and mails[0]["Subject"] == "Reset your password"
    assert mails[0].get_body(("html",)) is not None
    link = path_of(smtp_server.last_link("ada@example.org"))
    assert "Choose a new password" in main_text(client.get(link))

    done = client.post(link, data={"password": NEW_PASSWORD})

    assert done.status_code == 302
    assert "/sign-in" in done.headers["Location"]
    again = client.get(link)
    assert again.status_code == 400
    assert "has been used or has expired" in main_text(again)
    assert client.post(link, data={"password": "yet another fine phrase"}).status_code == 400

    assert sign_in(client, user.email, PASSWORD).status_code == 200  # the old password no longer works
    assert not is_signed_in(client)
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_a_password_reset_signs_out_every_session(app, make_user, smtp_server):
    user = make_user(email="ada@example.org")
    elsewhere = app.test_client()
    sign_in(elsewhere, user.email)
    client = app.test_client()
    client.post("/forgot-password", data={"email": "ada@example.org"})
    client.post(path_of(smtp_server.last_link("ada@example.org")), data={"password": NEW_PASSWORD})
    assert not is_signed_in(elsewhere)


def test_a_password_reset_link_expires_after_an_hour(client, make_user, smtp_server, monkeypatch):
    make_user(email="ada@example.org")
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: int(time.time()) - 61 * 60)
    client.post("/forgot-password", data={"email": "ada@example.org"})
    monkeypatch.undo()
    link = path_of(smtp_server.last_link("ada@example.org"))

    response = client.get(link)

    assert response.status_code == 400
    assert "has expired" in main_text(response)
    assert client.post(link, data={"password": NEW_PASSWORD}).status_code == 400


def test_a_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, make_user, smtp_server):
    make_user(email="ada@example.org")

    known = client.post("/forgot-password", data={"email": "ada@example.org"})
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 200
    assert main_text(known).replace("ada@example.org", "X") == main_text(unknown).replace("nobody@example.org", "X")
    assert smtp_server.to("nobody@example.org") == []
    assert len(smtp_server.messages) == 1


def test_a_password_reset_confirms_an_unconfirmed_email(client, make_user, smtp_server):
    user = make_user(email="ada@example.org", confirmed=False)
    client.post("/forgot-password", data={"email": "ada@example.org"})
    client.post(path_of(smtp_server.last_link("ada@example.org")), data={"password": NEW_PASSWORD})
    assert reload(user).email_confirmed_at is not None


# Changing the email address -----------------------------------------------------------------------------


def test_changing_the_email_needs_the_password(client_as, smtp_server):
    client, user = client_as("resident")
    response = client.post("/account/email", data={"email": "new@example.org", "password": "not my password"})
    assert response.status_code == 200
    assert field_error(response, "password") == "Your password is not right."
    assert 'value="new@example.org"' in response.get_data(as_text=True)  # what was typed stays
    assert smtp_server.to("new@example.org") == []
    assert reload(user).pending_email is None


def test_changing_the_email_sends_a_link_to_the_new_address_and_tells_the_old(client_as, smtp_server):
    client, user = client_as("resident", email="old@example.org")

    response = client.post("/account/email", data={"email": "New@Example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert "We have sent a link to New@Example.org" in main_text(client.get("/account"))
    assert reload(user).email == "old@example.org"  # nothing changes before the link is followed
    assert smtp_server.to("old@example.org") == []
    mails = smtp_server.to("new@example.org")
    assert len(mails) == 1 and mails[0]["Subject"] == "Confirm your new email address"
    link = path_of(smtp_server.last_link("new@example.org"))

    followed = client.get(link)

    assert followed.status_code == 302
    changed = reload(user)
    assert changed.email == "new@example.org"
    assert changed.pending_email is None
    told = smtp_server.to("old@example.org")
    assert len(told) == 1 and told[0]["Subject"] == "Your email address was changed"
    assert "new@example.org" in told[0].get_body(("plain",)).get_content()
    assert client.get(link).status_code == 400  # the link is spent
    client.post("/sign-out")
    assert sign_in(client, "new@example.org").status_code == 302
    client.post("/sign-out")
    assert sign_in(client, "old@example.org").status_code == 200


def test_changing_to_a_taken_address_sends_no_link(client_as, make_user, smtp_server):
    make_user(email="taken@example.org")
    client, user = client_as("resident", email="mine@example.org")

    response = client.post("/account/email", data={"email": "taken@example.org", "password": PASSWORD})

    assert response.status_code == 302  # the same answer as for a free address: no enumeration
    assert "We have sent a link to taken@example.org" in main_text(client.get("/account"))
    assert smtp_server.messages == []
    assert reload(user).email == "mine@example.org"


def test_a_link_to_an_address_taken_in_the_meantime_is_refused(client_as, make_user, smtp_server):
    client, user = client_as("resident", email="mine@example.org")
    client.post("/account/email", data={"email": "new@example.org", "password": PASSWORD})
    link = path_of(smtp_server.last_link("new@example.org"))
    make_user(email="new@example.org")

    response = client.get(link)

    assert response.status_code == 400
    assert "already used by another account" in main_text(response)
    assert reload(user).email == "mine@example.org"


# Deleting the account -----------------------------------------------------------------------------------


def test_deleting_the_account_needs_the_password(client_as):
    client, user = client_as("resident")
    response = client.post("/account/delete", data={"password": "not my password", "confirm": "y"})
    assert response.status_code == 200
    assert field_error(response, "password") == "Your password is not right."
    assert reload(user).deleted_at is None
    response = client.post("/account/delete", data={"password": PASSWORD})
    assert field_error(response, "confirm") == "Tick the box to confirm."
    assert reload(user).deleted_at is None


def test_deleting_the_account_anonymises_it(client_as, app):
    client, user = client_as("verified", nickname="ada_l", email="ada@example.org", display_name="Ada Lovelace")
    db.session.add(UserIdentity(user_id=user.id, issuer="https://id.example", subject="ada"))
    db.session.commit()
    assert client.get("/u/ada_l").status_code == 200

    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})

    assert response.status_code == 302
    assert "Your account is deleted" in main_text(client.get("/"))
    gone = reload(user)
    assert gone.display_name == "Deleted participant"
    assert gone.public_name == "Deleted participant"
    assert gone.email is None and gone.password_hash is None and gone.pending_email is None
    assert gone.nickname != "ada_l"
    assert gone.deleted_at is not None
    assert gone.role_names == set()
    assert db.session.scalar(select(UserIdentity).where(UserIdentity.user_id == user.id)) is None
    assert not is_signed_in(client)
    assert client.get("/u/ada_l").status_code == 404
    assert client.get(f"/u/{gone.nickname}").status_code == 404
    other = app.test_client()
    assert sign_in(other, "ada@example.org").status_code == 200
    assert not is_signed_in(other)


# Profiles and my account --------------------------------------------------------------------------------


def test_the_profile_page_shows_the_public_name(client, make_user):
    make_user(nickname="ada_l", display_name="Ada Lovelace", email="ada@example.org")

    response = client.get("/u/ada_l")

    assert response.status_code == 200
    text = main_text(response)
    assert "Ada Lovelace" in text
    assert "@ada_l" in text
    assert "ada@example.org" not in response.get_data(as_text=True)
    assert client.get("/u/ADA_L").status_code == 200
    assert client.get("/u/nobody_here").status_code == 404


def test_a_blocked_user_profile_shows_no_name(client, make_user):
    make_user(nickname="ada_l", display_name="Ada Lovelace", blocked_at=utcnow())
    response = client.get("/u/ada_l")
    assert "Ada Lovelace" not in response.get_data(as_text=True)
    assert "Blocked participant" in main_text(response)


def test_my_account_needs_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=%2Faccount"


def test_my_account_shows_my_details(client_as):
    client, user = client_as("resident", nickname="ada_l", email="ada@example.org", display_name="Ada Lovelace")
    text = main_text(client.get("/account"))
    assert "Ada Lovelace" in text and "@ada_l" in text and "ada@example.org (confirmed)" in text


def test_changing_my_name(client_as):
    client, user = client_as("resident")
    response = client.post("/account/profile", data={"display_name": "  Ada King  "})
    assert response.status_code == 302
    assert reload(user).display_name == "Ada King"
    response = client.post("/account/profile", data={"display_name": ""})
    assert field_error(response, "display_name") == "Enter your name."
    response = client.post("/account/profile", data={"display_name": "   "})
    assert field_error(response, "display_name") == "Enter your name."
    assert reload(user).display_name == "Ada King"
