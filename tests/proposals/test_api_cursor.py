"""A process's proposals and their comments followed page by page with cursors while people keep adding
proposals and comments: no repeats, no gaps; ``updated_since``; filters checked alike on the processes, the
proposals and the exports; ETag/304 and read-only CORS on the domain's public reads."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from civic.accounts import api_tokens
from civic.db import db, utcnow
from tests.factories import PASSWORD


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def follow(client, first: str, between=lambda n: None) -> list[int]:
    """Every id on the pages from ``first`` on, following ``next``; ``between(n)`` runs after page n."""
    seen, link, n = [], first, 0
    while link:
        response = client.get(link)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
        seen += [item["id"] for item in body["items"]]
        if body["next"]:
            assert f'<{body["next"]}>; rel="next"' in response.headers["Link"]
        link = path_of(body["next"]) if body["next"] else None
        between(n)
        n += 1
        assert n < 50
    return seen


@pytest.fixture
def busy(make_process, make_proposal, make_user):
    process = make_process(title="Busy process", slug="busy-process")
    author = make_user("resident")
    made = [make_proposal(process, author, title=f"Proposal number {i} here") for i in range(7)]
    return process, author, made


def test_following_the_proposals_while_proposals_and_comments_are_added_repeats_and_misses_nothing(
        client, busy, make_proposal, make_comment):
    process, author, made = busy
    added = []

    def meanwhile(n):
        added.append(make_proposal(process, author, title=f"Added while paging {n}"))
        make_comment(made[n % len(made)], author, f"A comment while paging {n}")
        made[n % len(made)].comments_count += 1  # the "most commented" order would shift: the id order does not
        db.session.commit()

    seen = follow(client, "/api/v1/processes/busy-process/proposals?cursor=&per_page=2", meanwhile)
    assert len(seen) == len(set(seen))  # no repeats
    assert [p.id for p in made] == seen[:len(made)]  # no gaps, in id order
    # Those added after the cursor come too (all but the one added after the last page was read).
    assert seen == sorted(seen) and {p.id for p in added[:-1]} <= set(seen) and added[-1].id not in seen


def test_prev_goes_back_and_a_page_with_a_cursor_ignores_page(client, busy):
    _process, _author, made = busy
    first = client.get("/api/v1/processes/busy-process/proposals?cursor=&per_page=3&page=2").json
    assert [i["id"] for i in first["items"]] == [p.id for p in made[:3]] and first["prev"] is None
    assert first["cursor"] is True and first["total"] == 7 and "page" not in parse_qs(urlsplit(first["next"]).query)
    second = client.get(path_of(first["next"])).json
    assert [i["id"] for i in second["items"]] == [p.id for p in made[3:6]]
    back = client.get(path_of(second["prev"])).json
    assert [i["id"] for i in back["items"]] == [p.id for p in made[:3]]


def test_a_tampered_cursor_or_another_order_with_a_cursor_is_a_400(client, busy):
    first = client.get("/api/v1/processes/busy-process/proposals?cursor=&per_page=2").json
    token = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    tampered = client.get("/api/v1/processes/busy-process/proposals?" + urlencode({"cursor": token[:-3] + "abc"}))
    assert tampered.status_code == 400 and tampered.json["field"] == "cursor"
    ordered = client.get("/api/v1/processes/busy-process/proposals?cursor=&order=newest")
    assert ordered.status_code == 400 and ordered.json["field"] == "order"
    assert client.get("/api/v1/processes/busy-process/proposals?sort=cheapest").json["field"] == "sort"


def test_the_id_order_pages_by_offset_too(client, busy):
    _process, _author, made = busy
    body = client.get("/api/v1/processes/busy-process/proposals?order=id&per_page=4&page=2").json
    assert [i["id"] for i in body["items"]] == [p.id for p in made[4:]]
    assert body["prev"].endswith("page=1") and body["next"] is None


def test_comments_follow_by_cursor_while_comments_are_added(client, busy, make_comment):
    _process, author, made = busy
    proposal = made[0]
    first = [make_comment(proposal, author, f"Comment number {i} on it") for i in range(5)]
    db.session.commit()
    added = []

    def meanwhile(n):
        added.append(make_comment(proposal, author, f"Comment added while paging {n}"))
        db.session.commit()

    seen = follow(client, f"/api/v1/proposals/{proposal.id}/comments?cursor=&per_page=2", meanwhile)
    assert len(seen) == len(set(seen)) and seen[:5] == [c.id for c in first] and seen == sorted(seen)


def test_updated_since_keeps_what_changed(client, busy, make_comment):
    _process, author, made = busy
    long_ago = utcnow() - timedelta(days=30)
    for p in made[1:]:
        p.published_at = long_ago
    made[2].answered_at = utcnow()
    db.session.commit()
    since = (utcnow() - timedelta(days=1)).isoformat()
    body = client.get("/api/v1/processes/busy-process/proposals", query_string={"updated_since": since,
                                                                              "order": "id"}).json
    assert [i["id"] for i in body["items"]] == [made[0].id, made[2].id]
    old = make_comment(made[0], author, "An old comment from long ago")
    old.created_at = long_ago
    new = make_comment(made[0], author, "A new comment from today")
    db.session.commit()
    comments = client.get(f"/api/v1/proposals/{made[0].id}/comments", query_string={"updated_since": since}).json
    assert [c["id"] for c in comments["items"]] == [new.id]
    bad = client.get("/api/v1/processes/busy-process/proposals?updated_since=last-week")
    assert bad.status_code == 400 and bad.json["field"] == "updated_since"


def test_processes_refuse_filters_that_name_nothing(client, busy, make_process):
    for query, field in (("programme=nope", "programme"), ("ward=nope", "ward"), ("sort=nope", "sort"),
                         ("order=nope", "order"), ("updated_since=nope", "updated_since"), ("cursor=nope", "cursor")):
        response = client.get(f"/api/v1/processes?{query}")
        assert response.status_code == 400 and response.json["field"] == field, query
    assert client.get("/api/v1/processes?ward=church-street").status_code == 200


def test_processes_follow_by_cursor_and_since(client, busy, make_process):
    others = [make_process(title=f"Another process {i}", slug=f"another-process-{i}") for i in range(3)]
    process = busy[0]
    ids = [process.id, *(p.id for p in others)]
    body = client.get("/api/v1/processes?cursor=&per_page=2").json
    slugs = [i["slug"] for i in body["items"]]
    while body["next"]:
        body = client.get(path_of(body["next"])).json
        slugs += [i["slug"] for i in body["items"]]
    assert len(slugs) == len(set(slugs)) >= len(ids)
    future = (utcnow() + timedelta(days=1)).isoformat()
    assert client.get("/api/v1/processes", query_string={"updated_since": future}).json["items"] == []


def test_exports_refuse_filters_they_do_not_understand(client, busy):
    csv = client.get("/processes/busy-process/proposals/export.csv?ward=atlantis")
    assert csv.status_code == 400 and csv.mimetype == "text/plain"
    assert "atlantis" in csv.get_data(as_text=True) and "Proposal number" not in csv.get_data(as_text=True)
    as_json = client.get("/processes/busy-process/proposals/export.csv?state=nope",
                         headers={"Accept": "application/json"})
    assert as_json.status_code == 400 and as_json.json["field"] == "state"
    for query, field in (("category=nope", "category"), ("updated_since=soon", "updated_since"),
                         ("ward=atlantis", "ward")):
        response = client.get(f"/processes/busy-process/proposals/export.json?{query}")
        assert response.status_code == 400 and response.json["field"] == field
    assert client.get("/processes/busy-process/proposals/export.csv?ward=church-street").status_code == 200


def test_a_public_list_is_304_when_unchanged_and_a_tokens_read_is_private(client, busy, make_user):
    _process, _author, made = busy
    url = "/api/v1/processes/busy-process/proposals?order=id"
    first = client.get(url)
    assert first.headers["ETag"] and first.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    made[0].title = "A title changed since"
    db.session.commit()
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
    detail = client.get(f"/api/v1/proposals/{made[1].id}")
    assert detail.headers["Last-Modified"]
    assert client.get(f"/api/v1/proposals/{made[1].id}",
                      headers={"If-None-Match": detail.headers["ETag"]}).status_code == 304
    # A support changes no time of the proposal: If-Modified-Since alone never keeps the old count.
    made[1].supports_count += 1
    db.session.commit()
    again = client.get(f"/api/v1/proposals/{made[1].id}",
                       headers={"If-Modified-Since": detail.headers["Last-Modified"]})
    assert again.status_code == 200 and again.json["supports_count"] == 1
    user = make_user("resident")
    _row, raw = api_tokens.create_token(user, "Script", PASSWORD)
    db.session.commit()
    mine = client.get(url, headers={"Authorization": f"Bearer {raw}", "If-None-Match": first.headers["ETag"]})
    assert mine.status_code == 200 and "ETag" not in mine.headers
    assert "Access-Control-Allow-Origin" not in mine.headers


def test_no_cors_on_a_writes_preflight(client, busy):
    proposal = busy[2][0]
    write = client.options(f"/api/v1/proposals/{proposal.id}/support",
                           headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in write.headers
    read = client.options(f"/api/v1/proposals/{proposal.id}/comments",
                          headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"})
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    post = client.options(f"/api/v1/proposals/{proposal.id}/comments",
                          headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                                   "Access-Control-Request-Headers": "Content-Type, Authorization"})
    assert "Access-Control-Allow-Origin" not in post.headers
