"""Issue 14, item 4: a new resident who wanted to make a proposal creates an account, confirms it from the mail and
signs in for the first time, and lands on the proposal form, told why an account was needed and welcomed (not
"welcomed back")."""

from __future__ import annotations

from tests.support.pages import link, main_text, path_of, text_of

PASSWORD = "violet harbour lanterns"


def test_signing_up_from_make_a_proposal_comes_back_to_the_form(make_process, client, smtp_server):
    process = make_process(title="Greener streets")
    form_path = f"/processes/{process.slug}/proposals/new"

    listing = client.get(f"/processes/{process.slug}/proposals/")
    sign_in = client.get(link(listing, "Sign in to make a proposal"))
    assert "You need an account to do that." in main_text(sign_in)
    sign_up = client.get(link(sign_in, "Create an account", in_main=True))
    assert "You need an account to do that." in main_text(sign_up)
    assert "we will take you back to where you were" in main_text(sign_up)

    sent = client.post(sign_up.request.full_path, data={
        "display_name": "Nadia Rahman", "nickname": "nadia_r", "email": "nadia@example.org", "password": PASSWORD,
        "next": form_path})
    check = client.get(sent.headers["Location"])
    assert "Check your email" in main_text(check)

    confirmed = client.get(path_of(smtp_server.last_link("nadia@example.org")), follow_redirects=True)
    assert "Thank you: your email address is confirmed. Sign in to carry on." in text_of(confirmed)
    assert confirmed.request.path == "/sign-in"
    signed_in = client.post(confirmed.request.full_path, data={
        "email": "nadia@example.org", "password": PASSWORD, "next": confirmed.request.args["next"]},
        follow_redirects=True)
    assert signed_in.request.path == form_path
    text = text_of(signed_in)
    assert "Welcome, Nadia Rahman: you are signed in for the first time." in text
    assert "Welcome back" not in text

    client.post("/sign-out")
    again = client.post("/sign-in", data={"email": "nadia@example.org", "password": PASSWORD},
                        follow_redirects=True)
    assert "Welcome back, Nadia Rahman." in text_of(again)


def test_a_sign_up_with_no_place_to_return_to_says_nothing_about_returning(client):
    page = client.get("/sign-up")
    assert "You need an account to do that." not in page.text
    assert link(page, "Sign in", in_main=True) == "/sign-in"


def test_the_return_path_never_leaves_the_site(client, smtp_server):
    sent = client.post("/sign-up?next=https://evil.example/x", data={
        "display_name": "Eve", "nickname": "eve_x", "email": "eve@example.org", "password": PASSWORD,
        "next": "https://evil.example/x"})
    assert "evil" not in sent.headers["Location"]
    confirmed = client.get(path_of(smtp_server.last_link("eve@example.org")))
    assert "evil" not in confirmed.headers["Location"]
