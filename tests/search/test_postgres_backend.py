"""The PostgreSQL backend's own parts: the query written as a ``tsquery`` from the parser both backends share,
the ``tsvector`` made by Civic's analysis (the Whoosh index's terms), and a rebuild's lock: a change made while
it holds the index waits in the queue and is applied after. (Everything else, from stemming to the checks at
query time, is the same tests run on both backends: ``search_index`` is parametrised.)"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import delete, func, select, text

from civic.db import db
from civic.groups.models import Group
from civic.search import services
from civic.search.analysis import index_words, joined, tsvector
from civic.search.models import SearchQueue
from civic.search.postgres_backend import LOCK, tsquery
from civic.search.registry import Document, SearchType, register
from civic.search.synonyms import parse as synonyms
from civic.search.types import GROUPS
from civic.search.whoosh_backend import parse
from tests.search.conftest import keys


@pytest.mark.parametrize(("typed", "expected"), [
    ("cycle lane", "('cycl' & 'lane')"),
    ('"air quality"', "('air' <-> 'qualiti')"),
    ("allot*", "'allot':*"),
    ("parking -cars", "('park' & !'car')"),
    ("parking NOT cars", "('park' & !'car')"),
    ("(trees OR benches) AND parks", "(('tree' | 'bench') & 'park')"),
])
def test_the_query_is_written_as_a_tsquery(typed, expected):
    assert tsquery(parse(typed).query) == expected


def test_synonyms_become_alternatives_in_words_and_phrases():
    bikes = synonyms("bike, bicycle")
    assert tsquery(parse("bicycle storage", bikes).query) == "(('bicycl' | 'bike') & 'storag')"
    assert tsquery(parse('"bicycle racks"', bikes).query) == "(('bicycl' <-> 'rack') | ('bike' <-> 'rack'))"


@pytest.mark.postgres
def test_the_tsvector_has_the_whoosh_index_terms_and_weights():
    title, body = "Café seating on Marylebone High Street", "Cyclists and pedestrians share the pavements."
    lexemes = set(db.session.scalars(text("SELECT unnest(tsvector_to_array(CAST(:v AS tsvector)))"),
                                     {"v": tsvector(title, body)}))
    assert lexemes == set(index_words(joined(title, body)))
    assert db.session.scalar(text("SELECT CAST(:v AS tsvector) @@ CAST('cafe:A' AS tsquery)"),
                             {"v": tsvector(title, body)})  # a title word: weight A
    assert not db.session.scalar(text("SELECT CAST(:v AS tsvector) @@ CAST('pavement:A' AS tsquery)"),
                                 {"v": tsvector(title, body)})  # a body word: B


@pytest.mark.postgres
@pytest.mark.parametrize("search_index", ["postgres"], indirect=True)
def test_a_change_made_during_a_rebuild_waits_in_the_queue(client_as, search_index, find):
    """A rebuild holds the index's advisory lock; a request meanwhile queues its change (its response is fine),
    a drain leaves the queue alone, and once the rebuild is over the change is applied."""
    client, _user = client_as("resident")
    with db.engine.connect() as rebuild:  # another connection, as the rebuilding process would be
        assert rebuild.scalar(select(func.pg_try_advisory_lock(LOCK)))
        try:
            response = client.post("/groups/new", data={"name": "Queue minders", "description": "Patient people."})
            assert response.status_code == 302
            group = db.session.scalar(select(Group).where(Group.name == "Queue minders"))
            assert f"group:{group.id}" in set(db.session.scalars(select(SearchQueue.key)))  # waiting, not lost
            assert services.drain() == 0  # the rebuild drains it when done
            assert search_index.stats()["documents"] == 0
        finally:
            rebuild.scalar(select(func.pg_advisory_unlock(LOCK)))
            rebuild.commit()
    assert keys(find("minders")) == [f"group:{group.id}"]
    assert services.queued() == 0


@pytest.mark.postgres
@pytest.mark.parametrize("search_index", ["postgres"], indirect=True)
def test_a_change_is_in_the_index_when_its_request_commits(client_as, search_index):
    """No queue and no drain: the request's own transaction wrote the document."""
    client, _user = client_as("resident")
    assert client.post("/groups/new", data={"name": "Kestrel counters", "description": "Birds."}).status_code == 302
    group = db.session.scalar(select(Group).where(Group.name == "Kestrel counters"))
    assert services.queued() == 0
    assert services.matching_ids("group", "kestrel") == [group.id]


def test_the_backend_follows_the_database_unless_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_BACKEND", None)
    monkeypatch.setitem(app.config, "DATABASE_URL", "sqlite:///civic.sqlite3")
    assert services.backend_name(app) == "whoosh"
    monkeypatch.setitem(app.config, "DATABASE_URL", "postgresql://civic@db.example/civic")
    assert services.backend_name(app) == "postgres"
    monkeypatch.setitem(app.config, "SEARCH_BACKEND", "whoosh")
    assert services.backend_name(app) == "whoosh"
    monkeypatch.setitem(app.config, "SEARCH_BACKEND", "elastic")
    with pytest.raises(ValueError, match="CIVIC_SEARCH_BACKEND"):
        services.backend_name(app)


def test_postgres_search_on_sqlite_is_refused_at_start():
    from flask import Flask

    other = Flask("elsewhere")  # (not create_app: a second database would rebind the tests' engine)
    other.config.update(DATABASE_URL="sqlite:///civic.sqlite3", SEARCH_BACKEND="postgres")
    with pytest.raises(ValueError, match="needs a PostgreSQL database"):
        services.check_backend(other)
    other.config.update(SEARCH_BACKEND=None)
    services.check_backend(other)  # whoosh, the embedded default


@pytest.mark.postgres
@pytest.mark.no_transaction
def test_other_servers_search_the_old_rows_while_a_rebuild_runs(app):
    """A rebuild deletes and inserts every row in one transaction: another connection (another server) keeps
    finding what was there until it commits, and finds the rebuilt rows after."""
    from civic.accounts.models import User
    from civic.search.models import SearchDocument

    def found(conn) -> int:
        return conn.scalar(text("SELECT count(*) FROM search_documents WHERE tsv @@ CAST('''grebe''' AS tsquery)"))

    saved = {k: app.config.get(k) for k in ("SEARCH_BACKEND", "SEARCH_DRAIN")}
    app.config.update(SEARCH_BACKEND="postgres", SEARCH_DRAIN="request")
    seen: list[int] = []
    try:
        with app.app_context():
            owner = User(nickname=f"rebuilder_{secrets.token_hex(3)}", display_name="Rebuilder",
                         email=f"rebuilder_{secrets.token_hex(3)}@example.org")
            db.session.add(owner)
            db.session.flush()
            db.session.add_all([Group(slug=f"rebuild-grebe-{i}", name=f"Grebe spotters {i}", description="Grebes.",
                                      created_by_id=owner.id) for i in range(3)])
            db.session.commit()  # written to search_documents in this very transaction
            with db.engine.connect() as other:
                assert found(other) == 3

                def document_while_building(group):
                    if not seen:
                        seen.append(found(other))  # halfway: the rebuild has deleted every row, uncommitted
                        other.rollback()
                    return Document(title=group.name, body="Rebuilt grebes")

                register(SearchType(name="group", label="Community group", plural="Community groups",
                                    model=Group, to_document=document_while_building))
                try:
                    assert services.reindex() >= 3
                finally:
                    register(GROUPS)
                other.rollback()
                assert found(other) == 3  # the rebuilt rows, committed
                assert other.scalar(text("SELECT count(*) FROM search_documents WHERE body = 'Rebuilt grebes'")) >= 3
        assert seen == [3]
    finally:
        app.config.update(saved)
        with app.app_context():
            db.session.execute(delete(Group).where(Group.slug.like("rebuild-grebe-%")))
            db.session.execute(delete(User).where(User.nickname.like("rebuilder_%")))
            db.session.commit()  # (which queues the deleted groups: emptied next)
            db.session.execute(delete(SearchDocument))
            db.session.execute(delete(SearchQueue))
            db.session.commit()
