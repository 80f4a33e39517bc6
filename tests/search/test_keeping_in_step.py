"""The index follows the database: only after a commit, and a rolled-back request leaves nothing behind.
(Edits, hiding, withdrawal and publishing of proposals: tests/proposals/test_search_keeping_in_step.py.)"""

from __future__ import annotations

from sqlalchemy import select

from civic.db import db
from civic.groups.models import Group
from civic.search import services
from tests.search.conftest import keys


def test_a_group_made_through_the_site_is_found_right_after(client_as, search_index, find):
    client, _user = client_as("resident")
    response = client.post("/groups/new", data={"name": "Lisson Grove Allotment Keepers",
                                                "description": "We grow vegetables together."})
    assert response.status_code == 302
    assert services.queued() == 0  # applied after the request's commit, before the response left
    group = db.session.scalar(select(Group).where(Group.name == "Lisson Grove Allotment Keepers"))
    assert keys(find("allotment")) == [f"group:{group.id}"]


def test_a_rolled_back_request_leaves_no_ghost(app, make_user, search_index, find):
    owner = make_user("resident")
    with app.test_request_context("/groups/new", method="POST"):
        db.session.add(Group(slug="ghost-town-gardeners", name="Ghost Town Gardeners", description="Boo",
                             created_by_id=owner.id))
        db.session.flush()
        assert services.queued() == 0  # nothing is queued before the commit
        app.process_response(app.response_class("refused", status=422))  # the request's own rollback
    assert services.queued() == 0
    assert db.session.scalar(select(Group).where(Group.slug == "ghost-town-gardeners")) is None
    assert find("ghost").results == []
    assert search_index.stats()["documents"] == 0

    with app.test_request_context("/groups/new", method="POST"):
        db.session.add(Group(slug="real-town-gardeners", name="Real Town Gardeners", description="Hello",
                             created_by_id=owner.id))
        db.session.flush()
        app.process_response(app.response_class("ok", status=200))  # commits, then drains
    assert services.queued() == 0
    assert [r.title.striptags() for r in find("gardeners").results] == ["Real Town Gardeners"]
