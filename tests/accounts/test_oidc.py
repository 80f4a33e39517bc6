"""OpenID Connect sign-in, end to end against a real provider on loopback (code flow + PKCE, signed
id_token checked against the provider's published keys)."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from civic.accounts.models import User, UserIdentity
from civic.db import db
from tests.accounts.conftest import main_text, path_of
from tests.conftest import PASSWORD


@pytest.fixture
def provider(oidc_provider):
    oidc_provider.sign_with_wrong_key = False
    oidc_provider.requests.clear()
    oidc_provider.authorize_requests.clear()
    yield oidc_provider
    oidc_provider.sign_with_wrong_key = False


@pytest.fixture
def client(oidc_app):
    return oidc_app.test_client()


def start(client, next_url: str | None = None) -> str:
    """Ask Civic to sign in with the council: the address of the provider's authorisation page."""
    response = client.get("/sign-in/council" + (f"?next={quote(next_url)}" if next_url else ""))
    assert response.status_code == 302
    return response.headers["Location"]


def come_back(client, authorize_url: str):
    """The browser visits the provider (which signs in at once) and follows it back to Civic."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback = answer.headers["Location"]
    assert callback.startswith("http://civic.test/sign-in/council/callback?")
    return client.get(path_of(callback))


def oidc_sign_in(client, next_url: str | None = None):
    return come_back(client, start(client, next_url))


def signed_in_as(client) -> User | None:
    response = client.get("/account")
    if response.status_code != 200:
        return None
    db.session.expire_all()
    with client.session_transaction() as sess:
        return db.session.get(User, int(sess["_user_id"].split(":")[0]))


def identities(subject: str) -> list[UserIdentity]:
    return db.session.scalars(select(UserIdentity).where(UserIdentity.subject == subject)).all()


def test_the_sign_in_page_offers_the_council_sign_in(client, provider):
    page = client.get("/sign-in")
    assert "Sign in with Westminster staff sign-in" in main_text(page)
    assert 'href="/sign-in/council"' in page.get_data(as_text=True)


def test_the_flow_uses_the_authorisation_code_with_pkce(client, provider):
    url = start(client)

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{provider.issuer}/authorize"
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [provider.client_id]
    assert query["redirect_uri"] == ["http://civic.test/sign-in/council/callback"]
    assert set(query["scope"][0].split()) >= {"openid", "email"}
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]

    provider.set_user("pkce-1", "pkce@example.org")
    come_back(client, url)

    token_request = provider.requests[-1]
    assert token_request["error"] is None
    assert token_request["code_verifier"]
    assert token_request["pkce_verified"] is True


def test_first_sign_in_creates_a_confirmed_account_and_the_second_reuses_it(client, provider, oidc_app):
    provider.set_user("sub-ada", "Ada@Example.org", name="Ada Lovelace", preferred_username="ada")

    response = oidc_sign_in(client, next_url="/groups/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/groups/"
    assert "Welcome, Ada Lovelace." in main_text(client.get("/groups/"))
    user = signed_in_as(client)
    assert user is not None
    assert user.email == "ada@example.org"
    assert user.email_confirmed_at is not None
    assert user.display_name == "Ada Lovelace"
    assert user.nickname == "ada"
    assert user.password_hash is None
    [identity] = identities("sub-ada")
    assert (identity.user_id, identity.issuer) == (user.id, provider.issuer)

    other_browser = oidc_app.test_client()
    provider.set_user("sub-ada", "ada@example.org", name="Ada Lovelace", preferred_username="ada")
    assert oidc_sign_in(other_browser).status_code == 302

    assert signed_in_as(other_browser).id == user.id
    assert len(identities("sub-ada")) == 1
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "ada@example.org")) == 1


def test_a_taken_or_reserved_nickname_is_not_reused_for_a_new_account(client, provider, make_user, oidc_app):
    taken = make_user(nickname="hana", email="another.hana@example.org")
    provider.set_user("sub-hana", "hana@example.org", preferred_username="hana")
    oidc_sign_in(client)
    hana = signed_in_as(client)
    assert hana.id != taken.id
    assert hana.nickname.startswith("hana_") and hana.nickname != "hana"

    provider.set_user("sub-del", "deleted_ivy@example.org", preferred_username="deleted_ivy")
    other_browser = oidc_app.test_client()
    oidc_sign_in(other_browser)
    ivy = signed_in_as(other_browser)
    assert ivy is not None and ivy.id != hana.id
    assert not ivy.nickname.startswith("deleted_")
    assert other_browser.get(f"/u/{ivy.nickname}").status_code == 200


def test_the_identity_is_kept_when_the_provider_email_changes(client, provider, oidc_app):
    provider.set_user("sub-moving", "before@example.org", name="Moving Person")
    oidc_sign_in(client)
    first = signed_in_as(client)

    provider.set_user("sub-moving", "after@example.org", name="Moving Person")
    other_browser = oidc_app.test_client()
    oidc_sign_in(other_browser)

    assert signed_in_as(other_browser).id == first.id


def test_an_existing_password_account_with_the_same_verified_email_is_linked(client, provider, make_user):
    existing = make_user(email="bea@example.org", display_name="Bea")
    provider.set_user("sub-bea", "bea@example.org", name="Beatrice Provider")

    assert oidc_sign_in(client).status_code == 302

    user = signed_in_as(client)
    assert user.id == existing.id
    assert user.display_name == "Bea"  # the account is linked, not renamed
    assert user.password_hash == existing.password_hash  # a confirmed owner keeps their password
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "bea@example.org")) == 1
    assert [i.user_id for i in identities("sub-bea")] == [existing.id]


def test_linking_an_unconfirmed_account_drops_the_unproven_password(client, provider, make_user, app):
    # Someone registered the address before its owner, with a password of their own, and never confirmed it.
    squatter_password = PASSWORD
    existing = make_user(email="cleo@example.org", confirmed=False, password=squatter_password)
    squatter = app.test_client()
    assert squatter.post("/sign-in", data={"email": "cleo@example.org", "password": squatter_password}
                         ).status_code == 302
    provider.set_user("sub-cleo", "cleo@example.org", name="Cleo")

    oidc_sign_in(client)

    user = signed_in_as(client)
    assert user.id == existing.id
    assert user.email_confirmed_at is not None
    assert user.password_hash is None
    assert squatter.get("/account").status_code == 302  # the squatter's session is over
    again = app.test_client()
    assert again.post("/sign-in", data={"email": "cleo@example.org", "password": squatter_password}
                      ).status_code == 200


def test_an_unverified_email_is_refused_with_a_clear_message(client, provider):
    provider.set_user("sub-unverified", "dan@example.org", email_verified=False)

    response = oidc_sign_in(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    page = client.get("/sign-in")
    assert "did not confirm your email address" in main_text(page)
    assert signed_in_as(client) is None
    assert identities("sub-unverified") == []
    assert db.session.scalar(select(User).where(User.email == "dan@example.org")) is None


def refusal_reasons(caplog) -> list[str]:
    return [type(r.exc_info[1]).__name__ for r in caplog.records
            if r.getMessage() == "OpenID sign-in failed" and r.exc_info]


def test_a_token_signed_with_the_wrong_key_is_refused(client, provider, caplog):
    provider.set_user("sub-forged", "eve@example.org")
    provider.sign_with_wrong_key = True

    response = oidc_sign_in(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    assert provider.requests[-1]["pkce_verified"] is True  # the provider answered; Civic refused the token
    assert refusal_reasons(caplog) == ["BadSignatureError"]
    assert "could not sign you in" in main_text(client.get("/sign-in"))
    assert signed_in_as(client) is None
    assert identities("sub-forged") == []
    assert db.session.scalar(select(User).where(User.email == "eve@example.org")) is None


def test_a_callback_with_a_forged_state_is_refused(client, provider, caplog):
    provider.set_user("sub-state", "fay@example.org")
    url = start(client)
    answer = requests.get(url, allow_redirects=False, timeout=10)
    callback = answer.headers["Location"]
    other = client.application.test_client()  # a different browser, without the state in its session

    response = other.get(path_of(callback))

    assert response.status_code == 302
    assert refusal_reasons(caplog) == ["MismatchingStateError"]
    assert signed_in_as(other) is None
    assert identities("sub-state") == []


def test_a_refusal_at_the_provider_is_explained(client, provider):
    start(client)
    response = client.get("/sign-in/council/callback?error=access_denied&state=x")
    assert response.headers["Location"] == "/sign-in"
    assert "cancelled or refused" in main_text(client.get("/sign-in"))


def test_a_blocked_account_cannot_sign_in_with_the_provider(client, provider, make_user):
    from civic.db import utcnow

    make_user(email="gil@example.org", blocked_at=utcnow())
    provider.set_user("sub-gil", "gil@example.org")

    oidc_sign_in(client)

    assert signed_in_as(client) is None
    assert "blocked by a council officer" in main_text(client.get("/sign-in"))


def test_an_offsite_next_is_not_followed(client, provider):
    provider.set_user("sub-next", "next@example.org")
    response = oidc_sign_in(client, next_url="https://evil.example/")
    assert response.headers["Location"] == "/"


def test_without_configuration_the_council_sign_in_is_absent(app):
    plain = app.test_client()
    assert plain.get("/sign-in/council").status_code == 404
    assert "/sign-in/council" not in plain.get("/sign-in").get_data(as_text=True)
