"""The JSON API's endpoints as a client uses them: shapes, filters, pages, privacy and errors naming the field."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.accounts import api_tokens
from civic.comments.models import Comment
from civic.db import db, utcnow
from proposals.models import Proposal, Support
from tests.factories import PASSWORD


def bearer(user) -> dict[str, str]:
    _row, raw = api_tokens.create_token(user, "Tests", PASSWORD)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def support_rows(proposal) -> int:
    return db.session.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == proposal.id))


def assert_error(response, status: int, field: str | None = None, says: str = ""):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.json
    assert body["status"] == status and body["error"]
    assert body.get("field") == field
    assert says in body["error"]
    return body


@pytest.fixture
def world(make_process, make_proposal, make_user, categories_of):
    """A published process with five public proposals, a draft, a hidden one and a withdrawn one."""
    process = make_process(title="Greener Westminster", slug="greener-westminster",
                           categories=["Cycling", "Green space"], support_limit=2)
    cycling, green = categories_of(process)
    author = make_user("resident", nickname="ada_author", email="ada.private@example.org")
    p = {}
    p["trees"] = make_proposal(process, author, title="Plant street trees on Church Street", ward="Church Street",
                               categories=[green], latitude=51.5225, longitude=-0.1705, address="Church Street")
    p["bikes"] = make_proposal(process, author, title="Cycle hangars for Maida Vale flats", ward="Maida Vale",
                               categories=[cycling], supports_count=7)
    p["park"] = make_proposal(process, author, title="A pocket park behind the library", ward="Church Street",
                              categories=[green], comments_count=3)
    p["lanes"] = make_proposal(process, author, title="Protected cycle lanes on Harrow Road", ward="Harrow Road",
                               categories=[cycling], supports_count=3)
    p["bins"] = make_proposal(process, author, title="Smart bins that report when full", ward="Pimlico North")
    p["draft"] = make_proposal(process, author, title="My secret draft proposal here", state="draft")
    p["hidden"] = make_proposal(process, author, title="A hidden proposal by moderators", hidden_at=utcnow())
    p["withdrawn"] = make_proposal(process, author, title="An idea its author withdrew", state="withdrawn")
    return process, author, p


# Processes --------------------------------------------------------------------------------------------------


def test_index_points_the_way(client):
    body = client.get("/api/v1/").json
    assert body["processes"] == "http://civic.test/api/v1/processes"
    assert body["open_data_licence"]["name"] == "Open Government Licence v3.0"


def test_processes_list_published_ones_with_status_and_active_phase(client, make_process, world):
    process, _author, _p = world
    make_process(title="A draft process", slug="a-draft-process", published=False)
    now = utcnow()
    make_process(title="Coming soon", slug="coming-soon", programme="empowering-people", phases=[
        {"title": "Proposals", "starts_at": now + timedelta(days=3), "ends_at": now + timedelta(days=9),
         "allow_propose": True}])
    body = client.get("/api/v1/processes").json
    assert set(body) >= {"items", "page", "per_page", "total", "next"}
    slugs = [p["slug"] for p in body["items"]]
    assert "greener-westminster" in slugs and "coming-soon" in slugs and "a-draft-process" not in slugs
    item = next(p for p in body["items"] if p["slug"] == "greener-westminster")
    assert item["status"] == "active"
    assert item["active_phase"]["title"] == "Proposals and supports"
    assert item["active_phase"]["actions"] == ["propose", "support", "comment", "endorse"]
    assert item["open_actions"] == ["propose", "support", "comment", "endorse"]
    assert item["programme"] == {"slug": "cleantech-city", "name": "CleanTech City"}
    assert item["whole_city"] is True and item["wards"] == []
    assert item["url"] == "http://civic.test/processes/greener-westminster"
    assert item["proposals_api_url"] == "http://civic.test/api/v1/processes/greener-westminster/proposals"
    upcoming = client.get("/api/v1/processes?status=upcoming").json["items"]
    assert [p["slug"] for p in upcoming if p["slug"] in ("coming-soon", "greener-westminster")] == ["coming-soon"]
    assert upcoming[0]["active_phase"] is None and upcoming[0]["status"] == "upcoming"
    by_programme = client.get("/api/v1/processes?programme=empowering-people").json["items"]
    assert "greener-westminster" not in [p["slug"] for p in by_programme]


def test_processes_pages_link_to_the_next(client, make_process):
    for n in range(3):
        make_process(title=f"Paged process {n}")
    first = client.get("/api/v1/processes?per_page=2").json
    assert first["per_page"] == 2 and len(first["items"]) == 2 and first["total"] >= 3
    assert first["next"].startswith("http://civic.test/api/v1/processes?") and "page=2" in first["next"]
    second = client.get(first["next"]).json
    assert second["page"] == 2
    assert not {p["slug"] for p in first["items"]} & {p["slug"] for p in second["items"]}


@pytest.mark.parametrize(("query", "field"), [("status=finished", "status"), ("page=0", "page"),
                                              ("page=two", "page"), ("per_page=500", "per_page")])
def test_bad_list_parameters_name_the_field(client, query, field):
    assert_error(client.get(f"/api/v1/processes?{query}"), 400, field, f"“{field}”")


def test_process_detail(client, world):
    process, _author, _p = world
    body = client.get("/api/v1/processes/greener-westminster").json
    assert body["title"] == "Greener Westminster" and body["description"] == "Tell us your **ideas**."
    assert "<strong>ideas</strong>" in body["description_html"]
    assert [c["name"] for c in body["categories"]] == ["Cycling", "Green space"]
    assert body["proposal_rules"]["support_limit"] == 2
    assert len(body["phases"]) == 1  # times in UTC, to the second:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["phases"][0]["starts_at"])
    assert body["exports"]["csv"] == "http://civic.test/processes/greener-westminster/proposals/export.csv"
    assert body["exports"]["licence"] == "Open Government Licence v3.0"


def test_a_draft_process_is_404_for_residents(client, client_as, make_process):
    make_process(title="Secret plan", slug="secret-plan", published=False)
    assert_error(client.get("/api/v1/processes/secret-plan"), 404)
    assert_error(client.get("/api/v1/processes/secret-plan/proposals"), 404)
    assert_error(client.get("/api/v1/processes/no-such-process"), 404)
    officer, _user = client_as("officer")
    assert officer.get("/api/v1/processes/secret-plan").status_code == 200


# Proposals lists --------------------------------------------------------------------------------------------


def test_proposals_list_public_ones_and_public_fields_only(client, world):
    _process, author, p = world
    response = client.get("/api/v1/processes/greener-westminster/proposals?order=newest")
    body = response.json
    ids = [i["id"] for i in body["items"]]
    assert sorted(ids) == sorted(p[k].id for k in ("trees", "bikes", "park", "lanes", "bins"))
    assert ids == sorted(ids, reverse=True)  # newest first: published one after another
    assert body["total"] == 5 and body["next"] is None and body["order"] == "newest"
    text = response.get_data(as_text=True)
    assert author.email not in text and "private" not in text
    assert "secret draft" not in text and "hidden proposal" not in text and "withdrew" not in text
    trees = next(i for i in body["items"] if i["id"] == p["trees"].id)
    assert trees["title"] == "Plant street trees on Church Street"
    assert trees["author"] == {"nickname": "ada_author", "name": author.display_name}
    assert trees["ward"] == {"slug": "church-street", "name": "Church Street"}
    assert trees["categories"] == [{"slug": "green-space", "name": "Green space"}]
    assert trees["location"] == {"latitude": 51.5225, "longitude": -0.1705, "address": "Church Street"}
    assert trees["answer"]["state"] == "not_answered" and trees["state"] == "published"
    assert trees["url"] == f"http://civic.test/proposals/{p['trees'].id}"
    assert set(trees) >= {"supports_count", "comments_count", "endorsements_count", "published_at"}
    assert "supporters" not in trees and "email" not in str(trees.keys())


def test_filters_and_orders_as_on_the_list_page(client, world):
    _process, _author, p = world
    url = "/api/v1/processes/greener-westminster/proposals"
    assert [i["id"] for i in client.get(f"{url}?order=most_supported").json["items"][:2]] == \
        [p["bikes"].id, p["lanes"].id]
    assert client.get(f"{url}?order=most_commented").json["items"][0]["id"] == p["park"].id
    assert {i["id"] for i in client.get(f"{url}?ward=church-street").json["items"]} == {p["trees"].id, p["park"].id}
    assert {i["id"] for i in client.get(f"{url}?category=cycling").json["items"]} == {p["bikes"].id, p["lanes"].id}
    assert [i["id"] for i in client.get(f"{url}?q=HANGARS").json["items"]] == [p["bikes"].id]
    assert [i["id"] for i in client.get(f"{url}?state=withdrawn").json["items"]] == [p["withdrawn"].id]
    assert client.get(f"{url}?state=accepted").json["total"] == 0


@pytest.mark.parametrize(("query", "field"), [("order=loudest", "order"), ("ward=atlantis", "ward"),
                                              ("category=rockets", "category"), ("state=lost", "state"),
                                              ("per_page=0", "per_page")])
def test_bad_filters_name_the_field(client, world, query, field):
    assert_error(client.get(f"/api/v1/processes/greener-westminster/proposals?{query}"), 400, field)


def test_random_order_is_stable_across_pages_with_its_seed(client, world):
    url = "/api/v1/processes/greener-westminster/proposals?per_page=2"
    first = client.get(url).json
    assert first["order"] == "random" and isinstance(first["seed"], int)
    assert f"seed={first['seed']}" in first["next"]
    seen = [i["id"] for i in first["items"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json
        seen += [i["id"] for i in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    again = client.get(f"{url}&seed={first['seed']}").json
    assert [i["id"] for i in again["items"]] == [i["id"] for i in first["items"]]


def test_a_page_past_the_end_is_empty(client, world):
    body = client.get("/api/v1/processes/greener-westminster/proposals?page=9&order=newest").json
    assert body["items"] == [] and body["page"] == 9 and body["total"] == 5 and body["next"] is None


def test_the_list_takes_a_fixed_number_of_queries(client, world, make_proposal, count_queries):
    process, author, _p = world
    url = "/api/v1/processes/greener-westminster/proposals?per_page=100&order=newest"
    client.get(url)
    with count_queries() as few:
        assert len(client.get(url).json["items"]) == 5
    for n in range(25):
        make_proposal(process, author, title=f"Another proposal number {n}", ward="Bayswater", commit=False)
    db.session.commit()
    with count_queries() as many:
        assert len(client.get(url).json["items"]) == 30
    assert many.count == few.count


# One proposal -----------------------------------------------------------------------------------------------


def test_a_proposal_with_what_the_viewer_may_do(client, make_user, world):
    _process, author, p = world
    body = client.get(f"/api/v1/proposals/{p['trees'].id}").json
    assert body["id"] == p["trees"].id and body["process"] == "greener-westminster"
    assert body["body"] == "A **good** idea for us all." and "<strong>good</strong>" in body["body_html"]
    assert body["support"]["may_support"] is False and "Sign in" in body["support"]["refusal"]
    assert "supported" not in body["support"]
    assert author.email not in str(body)
    resident = make_user("resident")
    mine = client.get(f"/api/v1/proposals/{p['trees'].id}", headers=bearer(resident)).json["support"]
    assert mine["may_support"] is False and mine["refusal"].startswith("Only verified residents can support.")
    verified = make_user("verified")
    mine = client.get(f"/api/v1/proposals/{p['trees'].id}", headers=bearer(verified)).json["support"]
    assert mine == {"threshold": 0, "threshold_reached": False, "closed": False, "may_support": True,
                    "refusal": None, "supported": False, "counted": False, "used": 0, "limit": 2, "minimum": 0}


def test_drafts_and_hidden_proposals_are_404_to_others(client, make_user, world):
    _process, author, p = world
    for key in ("draft", "hidden"):
        assert_error(client.get(f"/api/v1/proposals/{p[key].id}"), 404)
        assert_error(client.get(f"/api/v1/proposals/{p[key].id}", headers=bearer(make_user("verified"))), 404)
        assert_error(client.get(f"/api/v1/proposals/{p[key].id}/comments"), 404)
        assert_error(client.post(f"/api/v1/proposals/{p[key].id}/support",
                                 headers=bearer(make_user("verified"))), 404)
    assert_error(client.get("/api/v1/proposals/999999"), 404)
    # Its author sees their own draft.
    assert client.get(f"/api/v1/proposals/{p['draft'].id}", headers=bearer(author)).json["state"] == "draft"
    # The withdrawn one stays readable.
    assert client.get(f"/api/v1/proposals/{p['withdrawn'].id}").json["state"] == "withdrawn"


# Supports ---------------------------------------------------------------------------------------------------


def test_support_and_unsupport(client, make_user, world):
    _process, _author, p = world
    headers = bearer(make_user("verified"))
    url = f"/api/v1/proposals/{p['trees'].id}/support"
    response = client.post(url, headers=headers)
    assert response.status_code == 201
    assert response.json == {"supported": True, "added": True, "counted": True, "supports_count": 1}
    again = client.post(url, headers=headers)
    assert again.status_code == 200 and again.json["added"] is False and again.json["supports_count"] == 1
    assert support_rows(p["trees"]) == 1
    state = client.get(f"/api/v1/proposals/{p['trees'].id}", headers=headers).json["support"]
    assert state["supported"] is True and state["used"] == 1
    response = client.delete(url, headers=headers)
    assert response.status_code == 200
    assert response.json == {"supported": False, "removed": True, "supports_count": 0}
    assert client.delete(url, headers=headers).json["removed"] is False
    assert support_rows(p["trees"]) == 0
    db.session.refresh(p["trees"])
    assert p["trees"].supports_count == 0


def test_support_over_the_limit_is_409_with_the_rule(client, make_user, world):
    _process, _author, p = world
    headers = bearer(make_user("verified"))
    for key in ("trees", "park"):
        assert client.post(f"/api/v1/proposals/{p[key].id}/support", headers=headers).status_code == 201
    body = assert_error(client.post(f"/api/v1/proposals/{p['bins'].id}/support", headers=headers), 409)
    assert body["error"] == "You have used all 2 of your supports in this process."
    assert support_rows(p["bins"]) == 0


def test_support_refusals_give_the_reason(client, make_user, make_process, make_proposal, world):
    _process, author, p = world
    assert_error(client.post(f"/api/v1/proposals/{p['trees'].id}/support", headers=bearer(make_user("resident"))),
                 409, None, "Only verified residents can support.")
    assert_error(client.post(f"/api/v1/proposals/{p['withdrawn'].id}/support",
                             headers=bearer(make_user("verified"))), 409, None, "withdrawn")
    closed = make_process(allow_support=False)
    proposal = make_proposal(closed, author)
    assert_error(client.post(f"/api/v1/proposals/{proposal.id}/support", headers=bearer(make_user("verified"))),
                 409, None, "Supporting proposals is not open")
    assert support_rows(proposal) == 0


# Comments ---------------------------------------------------------------------------------------------------


def test_comment_reply_and_read_the_thread(client, make_user, world):
    _process, _author, p = world
    writer = make_user("resident", display_name="Wendy Writer", email="wendy.secret@example.org")
    headers = bearer(writer)
    url = f"/api/v1/proposals/{p['trees'].id}/comments"
    response = client.post(url, headers=headers, json={"body": "Yes please, **more** trees!",
                                                       "alignment": "in_favour"})
    assert response.status_code == 201
    top = response.json
    assert top["body"] == "Yes please, **more** trees!" and top["alignment"] == "in_favour"
    assert top["depth"] == 0 and top["parent_id"] is None
    assert top["author"] == {"nickname": writer.nickname, "name": "Wendy Writer"}
    reply = client.post(url, headers=headers, json={"body": "Also fruit trees?", "parent_id": top["id"],
                                                    "alignment": 0})
    assert reply.status_code == 201 and reply.json["depth"] == 1 and reply.json["parent_id"] == top["id"]
    form = client.post(url, headers=headers, data={"body": "Sent as a form", "alignment": "-1"})
    assert form.status_code == 201 and form.json["alignment"] == "against"

    thread = client.get(url)
    body = thread.json
    assert body["total"] == 2 and body["comments_count"] == 3 and body["order"] == "oldest"
    assert body["may_comment"] is False and body["why_not"] == "Sign in to add a comment."
    first = body["items"][0]
    assert first["id"] == top["id"] and [r["body"] for r in first["replies"]] == ["Also fruit trees?"]
    assert "wendy.secret@example.org" not in thread.get_data(as_text=True)
    newest = client.get(f"{url}?order=newest").json["items"]
    assert newest[0]["body"] == "Sent as a form"
    paged = client.get(f"{url}?per_page=1").json
    assert len(paged["items"]) == 1 and "page=2" in paged["next"]
    db.session.refresh(p["trees"])
    assert p["trees"].comments_count == 3
    assert client.get(url, headers=headers).json["may_comment"] is True


@pytest.mark.parametrize(("payload", "status", "field"), [
    ({"body": "   "}, 422, "body"),
    ({"body": "x" * 5001}, 422, "body"),
    ({"body": 42}, 400, "body"),
    ({"body": "Fine words", "alignment": "sideways"}, 422, "alignment"),
    ({"body": "Fine words", "alignment": [1]}, 400, "alignment"),
    ({"body": "Fine words", "parent_id": "abc"}, 400, "parent_id"),
    ({"body": "Fine words", "parent_id": 999999}, 400, "parent_id"),
])
def test_bad_comments_name_the_field(client, make_user, world, payload, status, field):
    _process, _author, p = world
    response = client.post(f"/api/v1/proposals/{p['trees'].id}/comments", headers=bearer(make_user("resident")),
                           json=payload)
    assert_error(response, status, field)
    assert db.session.scalar(select(func.count()).select_from(Comment)
                             .where(Comment.resource_id == p["trees"].id)) == 0


def test_a_reply_must_answer_a_comment_on_the_same_proposal(client, make_user, world):
    _process, _author, p = world
    headers = bearer(make_user("resident"))
    other = client.post(f"/api/v1/proposals/{p['park'].id}/comments", headers=headers, json={"body": "Elsewhere"})
    response = client.post(f"/api/v1/proposals/{p['trees'].id}/comments", headers=headers,
                           json={"body": "Wrong place", "parent_id": other.json["id"]})
    assert_error(response, 400, "parent_id", "no comment")


def test_a_body_that_is_not_a_json_object_is_400(client, make_user, world):
    _process, _author, p = world
    response = client.post(f"/api/v1/proposals/{p['trees'].id}/comments", headers=bearer(make_user("resident")),
                           data="[1, 2", content_type="application/json")
    assert_error(response, 400, None, "JSON object")


def test_commenting_outside_its_phase_is_refused(client, make_user, make_process, make_proposal):
    process = make_process(allow_comment=False)
    proposal = make_proposal(process, make_user("resident"))
    response = client.post(f"/api/v1/proposals/{proposal.id}/comments", headers=bearer(make_user("resident")),
                           json={"body": "Too late?"})
    assert_error(response, 409, None, "Commenting is not open")
    assert client.get(f"/api/v1/proposals/{proposal.id}/comments").json["may_comment"] is False


def test_unconfirmed_people_cannot_comment(client_as, world):
    _process, _author, p = world
    client, _user = client_as("resident", confirmed=False)  # the session: they cannot make a token yet
    response = client.post(f"/api/v1/proposals/{p['trees'].id}/comments", json={"body": "Hello"})
    assert_error(response, 403, None, "confirm your email address")


def test_unknown_api_routes_and_methods_are_json(client):
    assert_error(client.get("/api/v1/nothing-here"), 404)
    assert_error(client.put("/api/v1/processes"), 405)


def test_proposal_shape_is_the_same_in_list_and_detail(client, world):
    _process, _author, p = world
    listed = next(i for i in client.get("/api/v1/processes/greener-westminster/proposals").json["items"]
                  if i["id"] == p["bikes"].id)
    detail = client.get(f"/api/v1/proposals/{p['bikes'].id}").json
    assert {k: v for k, v in detail.items() if k not in ("body_html", "support")} == listed
    assert db.session.get(Proposal, p["bikes"].id).supports_count == listed["supports_count"] == 7


def test_the_processes_list_takes_a_fixed_number_of_queries(client, make_process, count_queries):
    make_process(wards=["Bayswater"])
    client.get("/api/v1/processes?per_page=100")
    with count_queries() as few:
        client.get("/api/v1/processes?per_page=100")
    for n in range(6):
        make_process(wards=["Bayswater", "Pimlico North"], title=f"More process {n}")
    with count_queries() as many:
        body = client.get("/api/v1/processes?per_page=100").json
    assert body["total"] >= 7
    assert many.count == few.count


def test_the_comments_take_a_fixed_number_of_queries(client, make_user, world, count_queries):
    _process, _author, p = world
    headers = bearer(make_user("resident"))
    url = f"/api/v1/proposals/{p['trees'].id}/comments"
    first = client.post(url, headers=headers, json={"body": "First, with @nobody mentioned"}).json
    with count_queries() as few:
        client.get(url)
    for n in range(10):
        reply = client.post(url, headers=headers, json={"body": f"Reply {n} to @nobody", "parent_id": first["id"]})
        client.post(url, headers=bearer(make_user("resident")), json={"body": f"Top {n}"})
        assert reply.status_code == 201
    with count_queries() as many:
        assert client.get(url).json["comments_count"] == 21
    assert many.count == few.count
