"""``flask civic reindex``: rebuilt from the database aside from the live index, then switched to in one step;
searches go on meanwhile and changes made during the build are applied after it."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from civic.db import db
from civic.groups.models import Group
from civic.search import services
from civic.search.registry import Document, SearchType, register, unregister
from civic.search.types import GROUPS
from tests.search.conftest import keys


def test_reindex_rebuilds_what_bulk_inserts_skipped(app, make_user, search_index, find):
    owner = make_user("resident")
    db.session.execute(insert(Group), [{"slug": f"orchard-{i}", "name": f"Orchard keepers {i}",
                                        "description": "Apples.", "created_by_id": owner.id,
                                        "members_count": 0} for i in range(30)])
    db.session.commit()
    assert find("orchard").results == []  # a bulk INSERT carries no ids for the queue
    root = getattr(search_index, "root", None)  # Whoosh: a directory per index
    before = (root / "CURRENT").read_text() if root else None
    result = app.test_cli_runner().invoke(args=["civic", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed" in result.output and "documents/s" in result.output
    assert find("orchard").total == 30
    if root:
        assert (root / "CURRENT").read_text() != before
        assert len(list(root.glob("index-*"))) <= 2  # the new one, and the one before for readers


def test_reindex_if_missing_does_nothing_when_in_place(app, make_user, search_index, find):
    make_user("organiser")  # makes a group, through the ORM: indexed by the queue
    find("anything")
    result = app.test_cli_runner().invoke(args=["civic", "reindex", "--if-missing"])
    assert "nothing to do" in result.output


@pytest.mark.parametrize("search_index", ["whoosh"], indirect=True)  # the Whoosh index's files
def test_searching_goes_on_during_a_reindex_and_changes_wait(app, make_user, search_index, find):
    owner = make_user("resident")
    db.session.add_all([Group(slug=f"heron-{i}", name=f"Heron watchers {i}", description="Birds.",
                              created_by_id=owner.id) for i in range(5)])
    db.session.commit()
    assert find("heron").total == 5
    live = (search_index.root / "CURRENT").read_text()
    during: list[tuple] = []

    def document_while_building(group):
        if not during:  # halfway through the build, as a visitor and as another worker would
            during.append(())
            with app.test_request_context("/search"):
                total = services.search(None, services.Params(q="heron")).total
            late = Group(slug="heron-late", name="Heron watchers late", description="Birds.",
                         created_by_id=owner.id)
            db.session.add(late)
            db.session.flush()
            services.enqueue([f"group:{late.id}"])
            during[0] = (total, (search_index.root / "CURRENT").read_text(), services.drain())
        return Document(title=group.name)

    register(SearchType(name="group", label="Community group", plural="Community groups", model=Group,
                        to_document=document_while_building))
    try:
        services.reindex()
    finally:
        register(GROUPS)
    total, current, drained = during[0]
    assert total == 5 and current == live  # the old index answered during the build
    assert drained == 0  # the writer lock was the rebuild's: the change waited in the queue...
    assert services.queued() == 0 and find("heron").total == 6  # ...and was applied after the switch
    assert (search_index.root / "CURRENT").read_text() != live


def test_a_type_whose_objects_are_private(make_user, search_index, find):
    """A type can say who may see each object (its audience) and which audiences a person has: others never
    see it, in the counts as in the results."""
    from civic.groups.models import Membership

    member, stranger = make_user("organiser"), make_user("resident")
    group_id = db.session.scalar(
        __import__("sqlalchemy").select(Membership.group_id).where(Membership.user_id == member.id))
    owner = make_user("resident")
    note_group = Group(slug="private-notes", name="Private kingfisher notes", description="Members only.",
                       created_by_id=owner.id)
    db.session.add(note_group)
    db.session.commit()

    def document(group):
        audience = f"group:{group_id}" if group.name.startswith("Private") else "public"
        return Document(title=group.name, body=group.description, audience=audience)

    def audiences_of(user):
        if user is None or not getattr(user, "id", None):
            return set()
        return {f"group:{m}" for m in db.session.scalars(
            __import__("sqlalchemy").select(Membership.group_id).where(Membership.user_id == user.id))}

    register(SearchType(name="group", label="Community group", plural="Community groups", model=Group,
                        to_document=document, audiences=audiences_of))
    try:
        services.reindex()
        assert keys(find("kingfisher", user=member)) == [f"group:{note_group.id}"]
        page = find("kingfisher", user=stranger)
        assert page.results == [] and page.total == 0
        assert find("kingfisher").total == 0
    finally:
        register(GROUPS)


def test_status_and_drain_commands(app, make_user, search_index):
    owner = make_user("resident")
    db.session.execute(insert(Group), [{"slug": "status-owls", "name": "Status owls", "description": "Owls.",
                                        "created_by_id": owner.id, "members_count": 0}])
    services.enqueue([f"group:{db.session.scalar(select(Group.id).where(Group.slug == 'status-owls'))}"])
    db.session.commit()
    runner = app.test_cli_runner()
    assert "queued: 1" in runner.invoke(args=["civic", "search-status"]).output
    assert "Applied 1 queued changes; 0 still queued." in runner.invoke(args=["civic", "search-drain"]).output


def test_unknown_types_leave_the_index(make_user, search_index, find):
    owner = make_user("resident")
    temporary = SearchType(name="temporary", label="Temporary", plural="Temporaries", model=Group,
                           to_document=lambda g: Document(title=g.name))
    register(temporary)
    try:
        services.enqueue([f"temporary:{owner.id}"])
        db.session.commit()
    finally:
        unregister("temporary")
    services.drain()
    assert services.queued() == 0


@pytest.mark.parametrize("search_index", ["whoosh"], indirect=True)  # the Whoosh index's files
def test_reindex_if_missing_rebuilds_a_broken_index(app, make_user, search_index, find, tmp_path):
    make_user("organiser")  # a group to index
    find("anything")
    root = search_index.root
    (root / "index-empty").mkdir()
    (root / "CURRENT").write_text(f"{(root / 'CURRENT').read_text().split()[0]} index-empty\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civic", "reindex", "--if-missing"])
    assert result.exit_code == 0, result.output
    assert "could not be read" in result.output and "Indexed 1 documents" in result.output
    assert "index-empty" not in (root / "CURRENT").read_text()
    assert find("group").total == 1

    a_file = tmp_path / "not-a-directory"
    a_file.write_text("oops")
    app.config["SEARCH_DIR"] = str(a_file)
    result = runner.invoke(args=["civic", "reindex", "--if-missing"])
    assert result.exit_code == 1 and "could not be written" in result.output
    assert not isinstance(result.exception, OSError)  # a message, not a traceback
