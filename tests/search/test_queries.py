"""What residents type: process states, pages, counts capped at the limit, and a parser that never raises.
(Stemming, phrases, operators, filters and snippets over proposals are in tests/proposals/test_search_queries.py.)"""

from __future__ import annotations

from datetime import timedelta

from civic.db import db, utcnow
from civic.groups.models import Group
from civic.search import services
from civic.search.whoosh_backend import parse
from tests.search.conftest import keys


def test_process_states_follow_the_clock(make_process, find):
    now = utcnow()
    current = make_process(title="Open river festival ideas")
    later = make_process(title="Later river festival ideas", phases=[
        {"title": "Soon", "starts_at": now + timedelta(days=5), "ends_at": now + timedelta(days=9)}])
    done = make_process(title="Past river festival ideas", phases=[
        {"title": "Over", "starts_at": now - timedelta(days=9), "ends_at": now - timedelta(days=5)}])
    assert keys(find("festival", state="open")) == [f"process:{current.id}"]
    assert keys(find("festival", state="upcoming")) == [f"process:{later.id}"]
    assert keys(find("festival", state="past")) == [f"process:{done.id}"]
    assert {r.state for r in find("festival").results} == {"Open now", "Upcoming", "Finished"}


def test_pages_and_counts(make_user, find):
    owner = make_user("resident")
    db.session.add_all([Group(slug=f"canal-friends-{i}", name=f"Canal friends number {i}",
                              description="We look after the canal.", created_by_id=owner.id) for i in range(45)])
    db.session.commit()
    first, third = find("canal"), find("canal", page=3)
    assert first.total == 45 and first.pages == 3 and len(first.results) == 20 and first.has_next
    assert len(third.results) == 5 and not third.has_next and third.has_prev
    assert not set(keys(first)) & set(keys(third))
    assert len(set(keys(first)) | set(keys(find("canal", page=2))) | set(keys(third))) == 45
    beyond = find("canal", page=999)  # no endless pages: the last one, said so
    assert beyond.page == 3 and keys(beyond) == keys(third)
    assert beyond.notes == ["There is no page 999 of these results, so this is the last one."]


def test_counts_stop_at_the_limit(make_user, find, monkeypatch):
    monkeypatch.setattr(services, "COUNT_LIMIT", 10)
    owner = make_user("resident")
    db.session.add_all([Group(slug=f"pond-{i}", name=f"Pond dippers {i}", description="Ponds.",
                              created_by_id=owner.id) for i in range(15)])
    db.session.commit()
    page = find("pond")
    assert page.total == 10 and page.capped and page.total_shown == "10+"


def test_parse_never_raises_and_explains():
    for text in ['"unclosed', "((a)", "a AND", "OR", "* ?", "x:y", "[a TO b]", "a^3", "'quoted'", "\\", "~2"]:
        parsed = parse(text)
        assert parsed.query is not None or parsed.notes, text
