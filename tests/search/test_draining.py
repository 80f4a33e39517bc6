"""The drain never gets stuck: a malformed key is refused when queued, and a key that cannot be applied (a
malformed row written past ``enqueue``, a type whose documents raise) is logged and dropped while the rest of
its batch is applied. The drainer thread ends when told to, or when the mode changes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import insert

from civic.db import db
from civic.groups.models import Group
from civic.search import services
from civic.search.models import SearchQueue
from civic.search.registry import Document, SearchType, register
from civic.search.types import GROUPS
from tests.search.conftest import keys


def _groups(make_user, *names):
    owner = make_user("resident")
    groups = [Group(slug=n.lower().replace(" ", "-"), name=n, description="Birds.", created_by_id=owner.id)
              for n in names]
    db.session.add_all(groups)
    db.session.flush()
    return groups


@pytest.mark.parametrize("bad", ["group:not-a-number", "group:", "group", ":12", "group:-3", "group:1.5"])
def test_enqueue_refuses_a_malformed_key(search_index, bad):
    with pytest.raises(ValueError, match="not a search key"):
        services.enqueue(["group:1", bad])
    assert services.queued() == 0


def test_a_malformed_row_is_dropped_and_the_rest_applied(make_user, search_index, find, caplog):
    db.session.execute(insert(SearchQueue), [{"key": "group:not-a-number"}])  # past enqueue's check
    db.session.commit()
    (group,) = _groups(make_user, "Curlew counters")
    db.session.commit()  # queues the group after the bad row
    services.drain()
    assert services.queued() == 0
    assert keys(find("curlew")) == [f"group:{group.id}"]
    assert "group:not-a-number" in caplog.text


def test_a_type_whose_documents_raise_does_not_stop_the_queue(make_user, search_index, find, caplog):
    def document(group):
        if "Broken" in group.name:
            raise RuntimeError("this group cannot be indexed")
        return Document(title=group.name, body=group.description)

    register(SearchType(name="group", label="Community group", plural="Community groups", model=Group,
                        to_document=document))
    try:
        broken, fine, other = _groups(make_user, "Broken wagtails", "Wagtail watchers", "Wagtail wardens")
        db.session.commit()
        services.drain()
        assert services.queued() == 0  # the batch went on without the broken one...
        assert set(keys(find("wagtail"))) == {f"group:{fine.id}", f"group:{other.id}"}
        assert f"group:{broken.id}" in caplog.text  # ...which is logged
        fine.name = "Wagtail lookers"
        db.session.commit()
        services.drain()  # and later drains are not held up either
        assert services.queued() == 0 and keys(find("lookers")) == [f"group:{fine.id}"]
    finally:
        register(GROUPS)


def test_the_drainer_ends_when_the_mode_changes_or_it_is_stopped(app, monkeypatch):
    calls = threading.Event()
    monkeypatch.setattr(services, "drain", lambda **_kw: calls.set() or 0)  # no database from the thread
    monkeypatch.setitem(app.config, "SEARCH_DRAIN_INTERVAL", 60)
    drainer = services.Drainer(app)

    monkeypatch.setitem(app.config, "SEARCH_DRAIN", "thread")
    drainer.wake()
    assert calls.wait(5)
    thread = drainer.thread
    monkeypatch.setitem(app.config, "SEARCH_DRAIN", "request")  # e.g. the next test's setting
    drainer.event.set()
    thread.join(5)
    assert not thread.is_alive()

    monkeypatch.setitem(app.config, "SEARCH_DRAIN", "thread")
    calls.clear()
    drainer.wake()  # a new thread, as the old one ended
    assert calls.wait(5) and drainer.thread is not thread
    thread = drainer.thread
    drainer.stop()
    assert not thread.is_alive()


def test_stop_drainer_forgets_the_apps_drainer(app, monkeypatch):
    monkeypatch.setattr(services, "drain", lambda **_kw: 0)
    monkeypatch.setitem(app.config, "SEARCH_DRAIN", "thread")
    services.wake(app)
    thread = app.extensions["civic.search.drainer"].thread
    services.stop_drainer(app)
    assert "civic.search.drainer" not in app.extensions and not thread.is_alive()

