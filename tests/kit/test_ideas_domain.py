"""The domain kit is enough: a test-only domain ("ideas", tests/support/ideas) declared in one manifest gets
comments, reports and hiding, follows and notices, search, a phase-gated action, a scheduled task, an API
collection in the index, account handlers, and its routes in a route × role access table — on an app that
loads it instead of proposals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g, request_started
from sqlalchemy import select

from civic import domains, resources, schedule
from civic.app import create_app
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.notifications.models import Notification
from civic.search import services as search_services
from civic.spaces.models import Phase, Process, Programme
from tests.conftest import sign_in_client
from tests.support.access import ROLES, everyone, url_for_rule
from tests.support.ideas.manifest import DOMAIN
from tests.support.ideas.models import Idea, create_tables

COPIED = ("TESTING", "SECRET_KEY", "DATABASE_URL", "SMTP_HOST", "SMTP_PORT", "WTF_CSRF_ENABLED",
          "RATELIMIT_ENABLED", "SERVER_NAME", "PASSWORD_HASH_PROFILE", "JOB_QUEUE", "JOB_RETRY_DELAYS")


@pytest.fixture(scope="module")
def ideas_app(app, tmp_path_factory):
    instance = tmp_path_factory.mktemp("ideas-instance")
    made = create_app({**{k: app.config[k] for k in COPIED}, "INSTANCE_PATH": str(instance),
                       "MAIL_DIR": str(instance / "mail"), "SEARCH_DIR": str(instance / "search"),
                       "SEARCH_DRAIN": "off", "DOMAINS": ("tests.support.ideas",)})
    request_started.connect(lambda sender, **extra: vars(g).clear(), made, weak=False)
    yield made
    domains.unregister(DOMAIN)


@pytest.fixture
def tables(ideas_app):
    create_tables(db.session.connection())  # inside the test's transaction: gone with its rollback


@pytest.fixture
def process(tables):
    programme = db.session.scalars(select(Programme)).first()
    now = utcnow()
    process = Process(slug="ideas-for-soho", title="Ideas for Soho", subtitle="", description="",
                      programme_id=programme.id, whole_city=True, published_at=now - timedelta(days=1))
    process.phases = [Phase(title="Now", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=10),
                            allow_comment=True)]
    db.session.add(process)
    db.session.commit()
    return process


@pytest.fixture
def idea(process, make_user):
    author = make_user("resident")
    made = Idea(process_id=process.id, author_id=author.id, title="A bench on Old Compton Street",
                body="Somewhere to sit.")
    db.session.add(made)
    db.session.commit()
    return made


@pytest.fixture
def as_role(ideas_app, make_user):
    def make(role: str):
        client = ideas_app.test_client()
        if role == "anonymous":
            return client, None
        user = make_user(role)
        sign_in_client(client, user)
        return client, user

    return make


def test_the_manifest_declares_once_and_installs_on_every_app(ideas_app, app):
    assert "ideas" in {d.name for d in domains.declared()}
    assert DOMAIN in domains.installed(ideas_app)
    assert DOMAIN not in domains.installed(app)  # the main app does not load it
    domains.register(ideas_app, DOMAIN)  # again: harmless
    assert domains.installed(ideas_app).count(DOMAIN) == 1
    with pytest.raises(ValueError, match="declared twice"):
        domains.register(ideas_app, domains.Domain(name="ideas"))
    assert resources.get("idea").capabilities == {"commentable", "reportable", "followable"}
    assert not any(rule.endpoint.startswith("proposals") for rule in ideas_app.url_map.iter_rules())


def test_comments_come_with_the_commentable_hooks(as_role, idea):
    client, _user = as_role("resident")
    response = client.post(f"/comments/idea/{idea.id}", data={"body": "Yes, with shade please."})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/ideas/{idea.id}#comment-")
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).comments_count == 1
    page = client.get(f"/comments/idea/{idea.id}")
    assert "Yes, with shade please." in page.text


def test_reports_and_hiding_come_with_the_moderation_hooks(as_role, idea):
    resident, _ = as_role("resident")
    assert resident.post(f"/moderation/report/idea/{idea.id}", data={"reason": "spam"}).status_code == 302
    officer, _ = as_role("officer")
    assert "A bench on Old Compton Street" in officer.get("/moderation/").text
    assert officer.post(f"/moderation/idea/{idea.id}/hide", data={"note": "Advertising"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).hidden_at is not None
    assert resident.get(f"/ideas/{idea.id}").status_code == 404
    assert officer.get(f"/ideas/{idea.id}").status_code == 200


def test_followers_are_told_through_the_domains_builder(as_role, process):
    follower_client, follower = as_role("resident")
    assert follower_client.post("/follow", data={"resource_type": "process", "resource_id": process.id}
                                ).status_code == 302
    author_client, _author = as_role("resident")
    response = author_client.post(f"/ideas/in/{process.id}", data={"title": "Plant a tree on Greek Street"})
    assert response.status_code == 302
    made = db.session.scalars(select(Idea).where(Idea.title == "Plant a tree on Greek Street")).one()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == follower.id)).all()
    assert len(notes) == 1
    page = follower_client.get("/notifications/")
    assert "Plant a tree on Greek Street" in page.text
    opened = follower_client.get(f"/notifications/{notes[0].id}")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/ideas/{made.id}"


def test_search_finds_the_domains_type(ideas_app, idea, tmp_path):
    ideas_app.config.update(SEARCH_DIR=str(tmp_path / "search"))
    with ideas_app.test_request_context("/search"):
        search_services.enqueue([f"idea:{idea.id}"])
        db.session.commit()
        search_services.drain()
        page = search_services.search(None, search_services.Params(q="bench"))
    assert [(r.type, r.id) for r in page.results] == [("idea", idea.id)]
    assert page.results[0].url == f"/ideas/{idea.id}"


def test_account_handlers_run_in_the_same_transaction(as_role, process):
    client, user = as_role("resident")
    db.session.add(Idea(process_id=process.id, author_id=user.id, title="Mine"))
    db.session.commit()
    from civic.accounts import services as accounts

    accounts.delete_account(user, "a long and quiet river")
    db.session.flush()
    assert db.session.scalar(select(Idea.author_id).where(Idea.title == "Mine")) is None


def test_comments_on_a_hidden_idea_are_refused(as_role, idea):
    idea.hidden_at = utcnow()
    db.session.commit()
    client, _ = as_role("resident")
    assert client.post(f"/comments/idea/{idea.id}", data={"body": "Hello"}).status_code == 404
    assert db.session.scalar(select(Comment.id).where(Comment.resource_type == "idea")) is None


def test_a_phase_gated_action_of_the_domains_own(as_role, process, idea):
    client, _ = as_role("resident")
    response = client.post(f"/ideas/{idea.id}/vote", follow_redirects=True)
    assert "Voting for ideas is not open in this phase" in response.text
    assert db.session.get(Idea, idea.id).votes == 0
    db.session.get(Process, process.id).phases[0].set_actions(["comment", "idea_vote"])  # the officer opens voting
    db.session.commit()
    assert client.post(f"/ideas/{idea.id}/vote").status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).votes == 1


def test_the_phase_form_offers_the_domains_action(ideas_app, as_role, process):
    officer, _ = as_role("officer")
    page = officer.get(f"/processes/{process.slug}/phases/{process.phases[0].id}/edit")
    assert page.status_code == 200
    assert "Voting for ideas" in page.text


def test_the_scheduled_task_runs_at_tick(ideas_app, process):
    db.session.add_all([Idea(process_id=process.id, title="Old", created_at=utcnow() - timedelta(days=40)),
                        Idea(process_id=process.id, title="New")])
    db.session.commit()
    with ideas_app.app_context():
        outcomes = {o.name: o for o in schedule.run(["ideas.archive"], app=ideas_app)}
    assert outcomes["ideas.archive"].status == "ok"
    assert outcomes["ideas.archive"].summary == "1 ideas archived"
    archived = dict(db.session.execute(select(Idea.title, Idea.archived)).all())
    assert archived == {"Old": True, "New": False}


def test_the_api_index_lists_the_domains_collection(as_role, idea):
    client, _ = as_role("anonymous")
    index = client.get("/api/v1/").get_json()
    listed_in_index = {c["name"]: c["url"] for c in index["collections"]}
    assert listed_in_index["ideas"] == index["ideas"] == "http://civic.test/api/v1/ideas"
    assert "processes" not in listed_in_index  # proposals are not loaded by this app
    listed = client.get("/api/v1/ideas?_external=1&_method=x").get_json()
    assert [i["title"] for i in listed["items"]] == ["A bench on Old Compton Street"]


# The ideas' routes in a route × role table (the platform's own is tests/core/test_access.py) -----------------

GET = {"ideas.show": everyone(200), "ideas_api.index": everyone(200)}
POST_REFUSED = {  # anonymous people are sent to sign in; what signed-in people get is tested above
    "ideas.vote": {"anonymous": 302},
    "ideas.share": {"anonymous": 302},
}


def test_every_route_of_the_domain_is_in_its_table(ideas_app):
    mine = {r.endpoint: r.methods for r in ideas_app.url_map.iter_rules() if r.endpoint.startswith("ideas")}
    assert {e for e, methods in mine.items() if "GET" in methods} == set(GET)
    assert {e for e, methods in mine.items() if "POST" in methods} == set(POST_REFUSED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(GET))
def test_get(ideas_app, as_role, idea, endpoint, role):
    client, _ = as_role(role)
    assert client.get(url_for_rule(ideas_app, endpoint, {"idea_id": idea.id})).status_code == GET[endpoint][role]


@pytest.mark.parametrize(("endpoint", "role"), [(e, r) for e, table in sorted(POST_REFUSED.items()) for r in table])
def test_post_refused(ideas_app, as_role, idea, endpoint, role):
    client, _ = as_role(role)
    url = url_for_rule(ideas_app, endpoint, {"idea_id": idea.id, "process_id": idea.process_id})
    response = client.post(url, data={"title": "Sneaky"})
    assert response.status_code == POST_REFUSED[endpoint][role]
    assert "/sign-in" in response.headers["Location"]
