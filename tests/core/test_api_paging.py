"""The API kit's paging, filters and caching (civic.api): signed cursors that refuse an edit, keyset pages that
hold while rows are added, ``updated_since`` and ``order``/``sort`` checked like every argument, RFC 8288
``Link`` headers, ``ETag``/``Last-Modified`` with 304 on anonymous reads, and read-only CORS with its preflight.
Tested on the core's own endpoints and on lists in memory, without any domain."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from civic import api
from civic.accounts import api_tokens
from civic.db import db
from tests.factories import PASSWORD


def cursor_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


def test_a_cursor_round_trips_and_an_edited_or_made_up_one_is_a_400_naming_cursor(app):
    with app.test_request_context("/api/v1/"):
        token = api.encode_cursor(api.Cursor(after=41))
    with app.test_request_context(f"/api/v1/?cursor={token}"):
        assert api.cursor_arg() == api.Cursor(after=41)
    with app.test_request_context("/api/v1/?cursor="):
        assert api.cursor_arg() == api.Cursor()  # the first page
    with app.test_request_context("/api/v1/"):
        assert api.cursor_arg() is None  # offset pages
    made_up = base64.urlsafe_b64encode(json.dumps(["a", 1]).encode()).decode()
    edited = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (edited, made_up, "41", "x" * 500):
        with app.test_request_context("/api/v1/", query_string={"cursor": bad}), \
                pytest.raises(api.BadInput) as caught:
            api.cursor_arg()
        assert caught.value.field == "cursor" and caught.value.status_code == 400


def test_a_tampered_cursor_is_answered_400_in_json(client):
    response = client.get("/api/v1/processes?cursor=not-a-cursor")
    assert response.status_code == 400 and response.json["field"] == "cursor"


def test_keyset_pages_see_every_row_once_while_rows_are_added_before_and_after_the_cursor():
    rows = [SimpleNamespace(id=i) for i in range(1, 12, 2)]  # 1, 3, ..., 11
    seen, cursor, next_id = [], api.Cursor(), 12
    while cursor is not None:
        page = api.keyset(api.keyset_list(rows), cursor, 2)
        seen += [r.id for r in page.items]
        rows.insert(0, SimpleNamespace(id=0 - len(seen)))  # a lower id than any page: never shown, never shifts
        rows.append(SimpleNamespace(id=next_id))  # a new row after the cursor: reached in order
        next_id += 1
        if next_id > 16:
            break
        cursor = page.next
    assert seen == sorted(set(seen)) and seen[:6] == [1, 3, 5, 7, 9, 11]


def test_a_prev_cursor_goes_back_to_the_page_before():
    rows = [SimpleNamespace(id=i) for i in range(1, 8)]
    first = api.keyset(api.keyset_list(rows), api.Cursor(), 3)
    second = api.keyset(api.keyset_list(rows), first.next, 3)
    back = api.keyset(api.keyset_list(rows), second.prev, 3)
    assert [r.id for r in first.items] == [1, 2, 3] and first.prev is None
    assert [r.id for r in second.items] == [4, 5, 6]
    assert [r.id for r in back.items] == [1, 2, 3] and back.prev is None and back.next == api.Cursor(after=3)
    last = api.keyset(api.keyset_list(rows), second.next, 3)
    assert [r.id for r in last.items] == [7] and last.next is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-11-26T10:00:00Z", datetime(2026, 11, 26, 10, tzinfo=UTC)),
    ("2026-11-26T10:00:00+01:00", datetime(2026, 11, 26, 9, tzinfo=UTC)),
    ("2026-11-26", datetime(2026, 11, 26, tzinfo=UTC)),
    ("2026-11-26T10:00:00", datetime(2026, 11, 26, 10, tzinfo=UTC)),
])
def test_updated_since_reads_iso_8601_in_utc(app, raw, expected):
    with app.test_request_context("/api/v1/", query_string={"updated_since": raw}):
        assert api.datetime_arg("updated_since") == expected


@pytest.mark.parametrize("raw", ["yesterday", "26/11/2026", "2026-13-01", "1" * 100, "0001-01-01T00:00:00+01:00",
                                 "２０２６-11-26"])
def test_updated_since_that_is_not_a_time_is_a_400_naming_it(app, raw):
    with app.test_request_context("/api/v1/", query_string={"updated_since": raw}), \
            pytest.raises(api.BadInput) as caught:
        api.datetime_arg("updated_since")
    assert caught.value.field == "updated_since"


def test_order_and_its_alias_sort_are_checked(app):
    with app.test_request_context("/api/v1/?sort=id"):
        assert api.order_arg(("published", "id"), "published") == "id"
    for query, field in (("sort=cheapest", "sort"), ("order=cheapest", "order"), ("order=id&sort=published", "sort")):
        with app.test_request_context(f"/api/v1/?{query}"), pytest.raises(api.BadInput) as caught:
            api.order_arg(("published", "id"), "published")
        assert caught.value.field == field


def test_a_list_carries_its_next_and_prev_in_a_link_header(app):
    with app.test_request_context("/api/v1/?q=x&page=2", base_url="http://civic.test"):
        response = api.listed(api.envelope(["b"], 2, 1, 3))
    assert response.headers["Link"] == ('<http://civic.test/api/v1/?q=x&page=3>; rel="next", '
                                        '<http://civic.test/api/v1/?q=x&page=1>; rel="prev"')


def test_an_anonymous_read_has_validators_and_a_repeat_is_304_with_cors(client):
    first = client.get("/api/v1/")
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in first.headers["Vary"]
    again = client.get("/api/v1/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    changed = client.get("/api/v1/", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


def test_a_token_read_has_no_validators_no_304_and_no_cors(client, make_user):
    user = make_user("resident")
    _row, raw = api_tokens.create_token(user, "Script", PASSWORD)
    db.session.commit()
    etag = client.get("/api/v1/").headers["ETag"]
    mine = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}", "If-None-Match": etag})
    assert mine.status_code == 200 and "ETag" not in mine.headers
    assert mine.headers["Cache-Control"] == "private, no-store"
    assert "Access-Control-Allow-Origin" not in mine.headers


def test_a_preflight_for_a_public_read_is_allowed_and_one_for_a_write_or_a_token_is_not(client):
    read = client.options("/api/v1/", headers={"Origin": "https://example.org",
                                               "Access-Control-Request-Method": "GET",
                                               "Access-Control-Request-Headers": "If-None-Match"})
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in read.headers["Access-Control-Allow-Methods"]
    assert "POST" not in read.headers["Access-Control-Allow-Methods"]
    write = client.options("/api/v1/", headers={"Origin": "https://example.org",
                                                "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in write.headers
    token = client.options("/api/v1/me", headers={"Origin": "https://example.org",
                                                  "Access-Control-Request-Method": "GET",
                                                  "Access-Control-Request-Headers": "Authorization"})
    assert "Access-Control-Allow-Origin" not in token.headers
