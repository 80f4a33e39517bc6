"""The after-commit queue (civic.db.after_commit): order, rollback, savepoints, nested queuing, commands."""

from __future__ import annotations

import click
import pytest
from sqlalchemy import select

from civic import events
from civic.db import after_commit, after_rollback, db, discard_after_commit, pending_after_commit
from civic.spaces.models import Ward

CALLS: list = []


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def record(*args, **kwargs) -> None:
    CALLS.append((args, kwargs) if kwargs else args[0] if len(args) == 1 else args)


def test_calls_run_after_the_commit_in_the_order_they_were_queued(app):
    after_commit(record, "first")
    after_commit(record, "second", kind="keyword")
    after_commit(record, "third")
    assert CALLS == []
    db.session.commit()
    assert CALLS == ["first", (("second",), {"kind": "keyword"}), "third"]
    db.session.commit()
    assert len(CALLS) == 3  # each runs once


def test_a_rollback_drops_them(app):
    after_commit(record, "never")
    db.session.rollback()
    db.session.commit()
    assert CALLS == []


def test_closing_the_session_without_a_commit_drops_them(app):
    after_commit(record, "never")
    db.session.remove()
    db.session.commit()
    assert CALLS == []


def test_releasing_a_savepoint_runs_nothing_and_the_outer_commit_runs_all(app):
    after_commit(record, "outer")
    with db.session.begin_nested():
        after_commit(record, "inner")
    assert CALLS == []
    db.session.commit()
    assert CALLS == ["outer", "inner"]


def test_a_savepoint_rolled_back_drops_only_what_it_queued(app):
    after_commit(record, "kept before")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        after_commit(record, "dropped")
        with db.session.begin_nested():
            after_commit(record, "dropped too")
        raise RuntimeError("refused")
    after_commit(record, "kept after")
    db.session.commit()
    assert CALLS == ["kept before", "kept after"]


def test_after_rollback_runs_on_a_rollback_only(app):
    after_rollback(record, "undone")
    db.session.commit()
    assert CALLS == []
    after_rollback(record, "undone")
    db.session.rollback()
    assert CALLS == ["undone"]


def test_after_rollback_runs_when_its_savepoint_is_rolled_back(app):
    with pytest.raises(RuntimeError), db.session.begin_nested():
        after_rollback(record, "savepoint undone")
        raise RuntimeError("refused")
    assert CALLS == ["savepoint undone"]


def queue_more(label: str) -> None:
    CALLS.append(label)
    after_commit(record, f"{label}: queued while running")


def test_what_a_call_queues_runs_in_the_same_round(app):
    after_commit(queue_more, "handler")
    after_commit(record, "next")
    db.session.commit()
    assert CALLS == ["handler", "next", "handler: queued while running"]


def write_and_commit(name: str) -> None:
    db.session.add(Ward(name=name, slug=name.lower().replace(" ", "-")))
    after_commit(record, f"after {name} committed")
    db.session.commit()
    CALLS.append(f"{name} done")


def test_a_call_that_commits_its_own_transaction_has_its_queue_run_by_that_commit(app):
    after_commit(write_and_commit, "Queue Ward")
    db.session.commit()
    assert CALLS == ["after Queue Ward committed", "Queue Ward done"]
    assert db.session.scalar(select(Ward.id).where(Ward.name == "Queue Ward")) is not None


def fail(label: str) -> None:
    raise RuntimeError(label)


def test_a_failing_call_does_not_stop_the_others_and_is_raised_under_test(app, caplog):
    after_commit(fail, "broken")
    after_commit(record, "still runs")
    with pytest.raises(RuntimeError, match="broken"):
        db.session.commit()
    assert CALLS == ["still runs"]
    assert any("failed" in r.getMessage() and r.name == "civic.db" for r in caplog.records)


def test_pending_and_discard(app):
    after_commit(record, "a")
    after_commit(queue_more, "b")
    after_commit(record, "c")
    assert pending_after_commit() == [record, queue_more, record]
    assert discard_after_commit(record) == 2
    db.session.commit()
    assert CALLS == ["b", "b: queued while running"]


def test_in_a_request_they_run_after_its_commit_and_not_after_an_error_status(app):
    with app.test_request_context("/", method="POST"):
        after_commit(record, "ok")
        assert CALLS == []
        app.process_response(app.response_class("done", status=200))
    assert CALLS == ["ok"]
    with app.test_request_context("/", method="POST"):
        after_commit(record, "refused")
        app.process_response(app.response_class("refused", status=409))
    db.session.commit()
    assert CALLS == ["ok"]


if "test.after_commit" not in events.event_types():
    events.declare("test.after_commit", "Published by the after-commit tests (no builders listen)")


@click.command("queue-and-commit")
@click.option("--fail", is_flag=True)
def queue_and_commit(fail: bool) -> None:
    after_commit(record, "command")
    events.publish("test.after_commit", None)  # an event outside a request waits for the commit too
    if fail:
        db.session.rollback()
        return
    assert CALLS == []
    db.session.commit()


def test_a_command_behaves_like_a_request(app):
    seen = []

    def listener(name, **data):
        seen.append(name)

    events.subscribe(listener)
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(queue_and_commit, ["--fail"])
        assert result.exit_code == 0, result.output
        assert CALLS == [] and seen == []
        result = runner.invoke(queue_and_commit)
        assert result.exit_code == 0, result.output
        assert CALLS == ["command"] and seen == ["test.after_commit"]
    finally:
        events.event_signal.disconnect(listener)
