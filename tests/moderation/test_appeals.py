"""Appeals: a blocked person appeals without signing in, once; another officer decides; the appellant is told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.audit import AuditEntry
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.moderation.models import Appeal, Block, Moderation
from tests.conftest import PASSWORD
from tests.support.pages import field_error, main_text

STATEMENT = "I was quoting someone else's words to criticise them, not insulting anyone."


@pytest.fixture
def blocked(client_as, make_user):
    """(officer client, officer, blocked user)."""
    officer_client, officer = client_as("officer")
    target = make_user(display_name="Grace Hopper")
    response = officer_client.post(f"/moderation/users/{target.id}/block",
                                   data={"justification": "Repeated abuse of other residents."})
    assert response.status_code == 302
    return officer_client, officer, target


def appeal(client, user, password=PASSWORD, statement=STATEMENT):
    return client.post("/moderation/appeal-block",
                       data={"email": user.email, "password": password, "statement": statement})


def only_appeal(user) -> Appeal:
    return db.session.scalars(select(Appeal).where(Appeal.appellant_id == user.id)).one()


def test_a_blocked_person_appeals_without_signing_in(client, blocked):
    _c, _officer, target = blocked
    assert client.get("/moderation/appeal-block").status_code == 200

    response = appeal(client, target)

    assert response.status_code == 200
    assert "Your appeal has been sent" in main_text(response)
    a = only_appeal(target)
    block = db.session.scalars(select(Block).where(Block.user_id == target.id)).one()
    assert (a.block_id, a.moderation_id, a.status, a.statement) == (block.id, None, "pending", STATEMENT)


def test_a_wrong_password_is_refused_and_the_statement_kept(client, blocked):
    _c, _officer, target = blocked

    response = appeal(client, target, password="not the password at all")

    assert response.status_code == 200
    assert field_error(response, "password") == "The email address or password is not right."
    assert STATEMENT.replace("'", "&#39;") in response.get_data(as_text=True)
    assert db.session.scalar(select(Appeal).where(Appeal.appellant_id == target.id)) is None


def test_a_person_appeals_a_block_only_once(client, blocked):
    _c, _officer, target = blocked
    appeal(client, target)

    again = appeal(client, target, statement="Please look again.")

    assert again.status_code == 200
    assert "already appealed this block" in main_text(again)
    assert only_appeal(target).statement == STATEMENT


def test_an_account_that_is_not_blocked_has_nothing_to_appeal(client, make_user):
    user = make_user()

    response = appeal(client, user)

    assert "not blocked" in main_text(response)
    assert db.session.scalar(select(Appeal).where(Appeal.appellant_id == user.id)) is None


def test_the_officer_who_blocked_cannot_decide_the_appeal(client, blocked):
    officer_client, _officer, target = blocked
    appeal(client, target)
    a = only_appeal(target)

    page = officer_client.get(f"/moderation/appeals/{a.id}")
    response = officer_client.post(f"/moderation/appeals/{a.id}", data={"outcome": "reverse", "reason": "Fine."})

    assert "another officer must decide" in main_text(page)
    assert response.status_code == 403
    assert "another officer must decide this appeal" in main_text(response)
    db.session.refresh(a)
    assert a.status == "pending"


def test_another_officer_reverses_the_block_in_one_step_and_the_appellant_is_emailed(
        client, client_as, blocked, smtp_server):
    _c, officer, target = blocked
    appeal(client, target)
    a = only_appeal(target)
    other_client, other = client_as("officer")

    missing = other_client.post(f"/moderation/appeals/{a.id}", data={"outcome": "reverse", "reason": ""})
    assert missing.status_code == 200 and field_error(missing, "reason")

    response = other_client.post(f"/moderation/appeals/{a.id}",
                                 data={"outcome": "reverse", "reason": "The comment was a quotation."})

    assert response.status_code == 302
    db.session.refresh(a)
    db.session.refresh(target)
    assert (a.status, a.decided_by_id, a.reason) == ("reversed", other.id, "The comment was a quotation.")
    assert target.blocked_at is None
    block = db.session.get(Block, a.block_id)
    assert block.lifted_at is not None and block.lifted_by_id == other.id
    actions = {e.action: e for e in db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == other.id))}
    assert set(actions) == {"appeal.reverse", "user.unblock"}
    assert actions["appeal.reverse"].reason == "The comment was a quotation."
    assert actions["appeal.reverse"].after == {"status": "reversed"}
    [mail] = smtp_server.to(target.email)
    body = mail.get_body(("plain",)).get_content()
    assert "decision has been reversed" in body and "The comment was a quotation." in body
    assert "The comment was a quotation." in mail.get_body(("html",)).get_content()
    assert client.post("/sign-in", data={"email": target.email, "password": PASSWORD}).status_code == 302


def test_upholding_keeps_the_block_and_tells_the_appellant(client, client_as, blocked, smtp_server):
    _c, _officer, target = blocked
    appeal(client, target)
    a = only_appeal(target)
    other_client, _other = client_as("admin")

    response = other_client.post(f"/moderation/appeals/{a.id}",
                                 data={"outcome": "uphold", "reason": "The abuse is well documented."})

    assert response.status_code == 302
    db.session.refresh(target)
    assert target.blocked_at is not None
    assert only_appeal(target).status == "upheld"
    [mail] = smtp_server.to(target.email)
    assert "decision stands" in mail.get_body(("plain",)).get_content()
    again = other_client.post(f"/moderation/appeals/{a.id}", data={"outcome": "reverse", "reason": "Changed mind"})
    assert "already been decided" in main_text(again)
    assert len(smtp_server.to(target.email)) == 1


def test_officers_see_pending_appeals_in_a_fixed_number_of_queries(client, client_as, make_user, count_queries):
    officer_client, officer = client_as("officer")
    reviewer_client, _reviewer = client_as("officer")

    def make_appeals(n):
        for _ in range(n):
            target = make_user()
            officer_client.post(f"/moderation/users/{target.id}/block",
                                data={"justification": "Repeated abuse of other residents."})
            appeal(client, target)

    make_appeals(1)
    with count_queries() as one:
        page = reviewer_client.get("/moderation/appeals")
    make_appeals(4)
    with count_queries() as five:
        page = reviewer_client.get("/moderation/appeals")

    assert page.status_code == 200
    assert "5 pending appeals" in main_text(page)
    assert five.count == one.count


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "instructor"])
def test_residents_cannot_see_or_decide_appeals(client, client_as, blocked, role):
    _c, _officer, target = blocked
    appeal(client, target)
    a = only_appeal(target)
    c, _user = client_as(role)

    assert c.get("/moderation/appeals").status_code == 403
    assert c.get(f"/moderation/appeals/{a.id}").status_code == 403
    assert c.post(f"/moderation/appeals/{a.id}", data={"outcome": "reverse", "reason": "x"}).status_code == 403
    assert only_appeal(target).status == "pending"


# Appeals against hidden content ---------------------------------------------------------------------------------


@pytest.fixture
def hidden_comment(make_user, client_as):
    """(author, officer who hid it, moderation row) for a comment an officer hid."""
    author = make_user()
    officer_client, officer = client_as("officer")
    comment = Comment(resource_type="proposal", resource_id=999999, author_id=author.id, body="Hidden words",
                      hidden_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    moderation = Moderation(resource_type="comment", resource_id=comment.id, hidden_at=comment.hidden_at,
                            hidden_by_id=officer.id, hidden_reason="Offensive", status="decided")
    db.session.add(moderation)
    db.session.commit()
    return author, officer, moderation, comment


def test_the_author_appeals_hidden_content_once(app, client_as, hidden_comment):
    author, _officer, moderation, _comment = hidden_comment
    from tests.conftest import sign_in_client

    c = app.test_client()
    sign_in_client(c, author)
    assert "Offensive" in main_text(c.get(f"/moderation/appeal/{moderation.id}"))

    response = c.post(f"/moderation/appeal/{moderation.id}", data={"statement": STATEMENT})
    again = c.post(f"/moderation/appeal/{moderation.id}", data={"statement": "Again"})

    assert response.status_code == 200 and "Your appeal has been sent" in main_text(response)
    assert "already appealed" in main_text(again)
    a = only_appeal(author)
    assert (a.moderation_id, a.block_id, a.statement) == (moderation.id, None, STATEMENT)


def test_only_the_author_may_appeal_hidden_content(client_as, hidden_comment):
    _author, _officer, moderation, _comment = hidden_comment
    c, _someone = client_as("resident")

    response = c.post(f"/moderation/appeal/{moderation.id}", data={"statement": STATEMENT})

    # 404 (was 403), as for a decision that does not exist: the answer never tells that someone else's exists
    assert response.status_code == 404
    assert c.get(f"/moderation/appeal/{moderation.id}").status_code == 404
    assert c.get(f"/moderation/appeal/{moderation.id + 1000}").status_code == 404
    assert "Offensive" not in c.get(f"/moderation/appeal/{moderation.id}").get_data(as_text=True)
    assert db.session.scalar(select(Appeal).where(Appeal.moderation_id == moderation.id)) is None


def test_reversing_a_hide_unhides_the_content(app, client_as, hidden_comment, smtp_server):
    author, officer, moderation, comment = hidden_comment
    from tests.conftest import sign_in_client

    c = app.test_client()
    sign_in_client(c, author)
    c.post(f"/moderation/appeal/{moderation.id}", data={"statement": STATEMENT})
    a = only_appeal(author)
    acting_client = app.test_client()
    sign_in_client(acting_client, officer)
    assert acting_client.post(f"/moderation/appeals/{a.id}",
                              data={"outcome": "reverse", "reason": "x"}).status_code == 403
    other_client, _other = client_as("officer")

    response = other_client.post(f"/moderation/appeals/{a.id}", data={"outcome": "reverse", "reason": "Fair point."})

    assert response.status_code == 302
    db.session.refresh(comment)
    db.session.refresh(moderation)
    assert comment.hidden_at is None and moderation.hidden_at is None
    assert only_appeal(author).status == "reversed"
    [mail] = smtp_server.to(author.email)
    assert "your content is visible again" in mail.get_body(("plain",)).get_content()


def test_the_appeal_form_cannot_be_used_to_guess_passwords(app, client, blocked):
    _c, _officer, target = blocked
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        assert appeal(client, target, password="a wrong guess here").status_code == 200

    response = appeal(client, target)

    assert response.status_code == 429
    assert "Too many failed attempts" in main_text(response)
    assert db.session.scalar(select(Appeal).where(Appeal.appellant_id == target.id)) is None


@pytest.fixture
def officers_hidden_comment(make_user, client_as):
    """(officer client, officer author, moderation row, comment): an officer's own comment, hidden by a colleague
    after reports that are still open."""
    author_client, author = client_as("officer")
    colleague = make_user("officer")
    comment = Comment(resource_type="proposal", resource_id=999999, author_id=author.id, body="My own words",
                      hidden_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    moderation = Moderation(resource_type="comment", resource_id=comment.id, hidden_at=comment.hidden_at,
                            hidden_by_id=colleague.id, hidden_reason="Offensive", status="open", reports_count=2)
    db.session.add(moderation)
    db.session.commit()
    return author_client, author, moderation, comment


def test_an_officer_cannot_unhide_or_dismiss_reports_on_their_own_content(officers_hidden_comment):
    from civic.errors import PermissionDenied
    from civic.moderation import services

    c, author, moderation, comment = officers_hidden_comment
    page = c.get(f"/moderation/comment/{comment.id}/unhide")
    assert "your own content, so another officer must decide whether to show it again" in main_text(page)
    assert 'name="note"' not in page.get_data(as_text=True)  # no form to send
    for action in ("unhide", "dismiss"):
        response = c.post(f"/moderation/comment/{comment.id}/{action}", data={"note": "It was fine."})
        assert response.status_code == 403, action
        assert "your own content, so another officer must decide" in main_text(response)
    with pytest.raises(PermissionDenied, match="another officer must decide"):
        services.unhide(author, "comment", comment.id, "It was fine.")
    with pytest.raises(PermissionDenied, match="dismiss the reports"):
        services.dismiss(author, "comment", comment.id, "It was fine.")
    db.session.refresh(comment)
    db.session.refresh(moderation)
    assert comment.hidden_at is not None and moderation.hidden_at is not None and moderation.reports_count == 2
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action.in_(
        ("moderation.unhide", "moderation.dismiss")))) is None


def test_an_officer_cannot_decide_their_own_appeal(client_as, officers_hidden_comment):
    c, author, moderation, comment = officers_hidden_comment
    assert c.post(f"/moderation/appeal/{moderation.id}", data={"statement": STATEMENT}).status_code == 200
    a = only_appeal(author)

    page = c.get(f"/moderation/appeals/{a.id}")
    response = c.post(f"/moderation/appeals/{a.id}", data={"outcome": "reverse", "reason": "I was right."})

    assert "This appeal is your own" in main_text(page) and 'name="reason"' not in page.get_data(as_text=True)
    assert response.status_code == 403
    assert "This appeal is your own, about your own content or account, so another officer must decide it" in \
        main_text(response)
    db.session.refresh(a)
    db.session.refresh(comment)
    assert a.status == "pending" and comment.hidden_at is not None

    colleague_client, _colleague = client_as("officer")
    done = colleague_client.post(f"/moderation/appeals/{a.id}", data={"outcome": "reverse", "reason": "Fair."})
    assert done.status_code == 302
    db.session.refresh(comment)
    assert comment.hidden_at is None and only_appeal(author).status == "reversed"
