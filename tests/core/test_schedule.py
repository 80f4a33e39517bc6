"""Scheduled tasks (``flask civic tick``): every registered task runs, each in its own transaction; one that
fails is rolled back, logged and recorded while the others run; a lease keeps a task from running twice at
once; ``every`` spaces runs out; what a task leaves for after the commit goes only when it committed."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from civic import jobs, schedule
from civic.db import db, utcnow
from civic.schedule.models import ScheduledTask
from civic.spaces.models import Programme

#: What the after-commit job below was given (a job is found by its dotted path, so it is module-level).
recorded: list[str] = []


def record(what: str) -> None:
    recorded.append(what)


def add_programme(slug: str) -> None:
    db.session.add(Programme(slug=slug, name=f"Programme {slug}", summary="", position=99))
    db.session.flush()


def programme_slugs(prefix: str) -> list[str]:
    return list(db.session.scalars(select(Programme.slug).where(Programme.slug.startswith(prefix))
                                   .order_by(Programme.slug)))


def row(name: str) -> ScheduledTask:
    return db.session.get(ScheduledTask, name, populate_existing=True)


@pytest.fixture
def register():
    """``register(name, fn, **options)``: a task for this test only, forgotten afterwards."""
    names: list[str] = []

    def add(name: str, fn, **options):
        names.append(name)
        return schedule.task(name, fn, description=options.pop("description", f"Test task {name}"), **options)

    yield add
    for name in names:
        schedule.unregister(name)


@pytest.fixture
def prefix() -> str:
    return f"tick-{uuid.uuid4().hex[:8]}"


def test_every_task_runs_in_its_own_transaction_and_a_failure_stops_none(app, register, prefix, caplog):
    def fail():
        add_programme(f"{prefix}-b")
        raise RuntimeError("the sensor feed is down")

    register(f"{prefix}.a", lambda: add_programme(f"{prefix}-a") or "one programme")
    register(f"{prefix}.b", fail)
    register(f"{prefix}.c", lambda: add_programme(f"{prefix}-c"))
    with caplog.at_level(logging.INFO, logger="civic.schedule"):
        outcomes = schedule.run([f"{prefix}.a", f"{prefix}.b", f"{prefix}.c"])

    assert [(o.name, o.status) for o in outcomes] == [
        (f"{prefix}.a", "ok"), (f"{prefix}.b", "failed"), (f"{prefix}.c", "ok")]
    assert outcomes[0].summary == "one programme"
    assert outcomes[1].error == "RuntimeError: the sensor feed is down"
    db.session.rollback()  # nothing was left uncommitted: what the tasks committed stays
    assert programme_slugs(prefix) == [f"{prefix}-a", f"{prefix}-c"]
    failed = row(f"{prefix}.b")
    assert (failed.last_outcome, failed.last_error) == ("failed", "RuntimeError: the sensor feed is down")
    assert failed.locked_until is None and failed.last_finished >= failed.last_started
    done = row(f"{prefix}.a")
    assert (done.last_outcome, done.last_summary, done.last_error, done.locked_until) == ("ok", "one programme", "",
                                                                                           None)
    failure = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert failure.getMessage() == f"task {prefix}.b failed" and "the sensor feed is down" in caplog.text
    assert f"task {prefix}.a: ok in" in caplog.text and f"task {prefix}.c: ok in" in caplog.text

    # The failure is not sticky: the next successful run clears the error.
    schedule.unregister(f"{prefix}.b")
    register(f"{prefix}.b", lambda: "fine now")
    schedule.run([f"{prefix}.b"])
    assert (row(f"{prefix}.b").last_outcome, row(f"{prefix}.b").last_error) == ("ok", "")


def test_a_tick_runs_every_registered_task(app, register, prefix):
    ran: list[str] = []
    register(f"{prefix}.first", lambda: ran.append("first"))
    register(f"{prefix}.second", lambda: ran.append("second"))
    outcomes = schedule.run()
    assert [o.name for o in outcomes] == [t.name for t in schedule.tasks()]
    assert {"notifications.phase-changes", "notifications.waiting-mail"} <= {o.name for o in outcomes}
    assert ran == ["first", "second"]
    assert all(o.status == "ok" for o in outcomes), outcomes


def test_a_leased_task_is_left_alone_until_its_lease_ends(app, register, prefix):
    ran: list[str] = []
    name = register(f"{prefix}.leased", lambda: ran.append("ran")).name
    db.session.add(ScheduledTask(name=name, locked_until=utcnow() + timedelta(minutes=5), locked_by="elsewhere"))
    db.session.commit()
    assert [o.status for o in schedule.run([name])] == ["locked"] and ran == []
    assert row(name).locked_by == "elsewhere"  # another tick's lease is not released by this one
    # A lease left by a tick that died expires on its own.
    db.session.execute(update(ScheduledTask).where(ScheduledTask.name == name)
                       .values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert [o.status for o in schedule.run([name])] == ["ok"] and ran == ["ran"]
    assert row(name).locked_until is None and row(name).locked_by is None


def test_every_spaces_the_runs_of_a_task(app, register, prefix):
    ran: list[str] = []
    name = register(f"{prefix}.hourly", lambda: ran.append("ran"), every=timedelta(hours=1)).name
    assert [o.status for o in schedule.run([name])] == ["ok"]
    assert [o.status for o in schedule.run([name])] == ["not due"]
    assert ran == ["ran"]
    db.session.execute(update(ScheduledTask).where(ScheduledTask.name == name)
                       .values(last_started=utcnow() - timedelta(minutes=61)))
    db.session.commit()
    assert [o.status for o in schedule.run([name])] == ["ok"] and ran == ["ran", "ran"]


def test_what_a_task_leaves_for_after_the_commit_goes_only_when_it_committed(app, register, prefix):
    recorded.clear()

    def queue_then(fail: bool):
        def run():
            jobs.enqueue_after_commit(record, f"{prefix} {'failed' if fail else 'committed'}")
            assert recorded == []  # not before the commit
            if fail:
                raise ValueError("no")
        return run

    register(f"{prefix}.bad", queue_then(True))
    register(f"{prefix}.good", queue_then(False))
    outcomes = schedule.run([f"{prefix}.bad", f"{prefix}.good"])
    assert [o.status for o in outcomes] == ["failed", "ok"]
    assert recorded == [f"{prefix} committed"]  # the failed task's job was dropped, not sent with the next


def test_registering_is_idempotent_and_conflicts_are_refused(register, prefix):
    def fn():
        return None

    first = register(f"{prefix}.same", fn, every=timedelta(minutes=5))
    assert schedule.task(f"{prefix}.same", fn, description=f"Test task {prefix}.same",
                         every=timedelta(minutes=5)) is first
    with pytest.raises(ValueError, match="already registered"):
        schedule.task(f"{prefix}.same", fn, description="Something else")
    with pytest.raises(ValueError, match="every"):
        schedule.task(f"{prefix}.never", fn, description="x", every=timedelta(0))
    with pytest.raises(ValueError, match="no scheduled task"):
        schedule.run([f"{prefix}.nobody"])


def test_the_tick_command_says_what_each_task_did_and_fails_when_one_failed(app, register, prefix):
    register(f"{prefix}.fine", lambda: "3 things done", description="Do three things")
    register(f"{prefix}.broken", lambda: 1 / 0)
    runner = app.test_cli_runner()

    listed = runner.invoke(args=["civic", "tick", "--list"])
    assert listed.exit_code == 0
    assert f"{prefix}.fine: Do three things (at every tick)" in listed.output
    assert "notifications.phase-changes: Tell followers when a process they follow enters a new phase" \
        in listed.output

    result = runner.invoke(args=["civic", "tick", "--task", f"{prefix}.fine", "--task", f"{prefix}.broken"])
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert len(lines) == 2
    assert lines[0].startswith(f"{prefix}.fine: ok in ") and lines[0].endswith(" s (3 things done)")
    assert lines[1].startswith(f"{prefix}.broken: FAILED after ")
    assert lines[1].endswith("ZeroDivisionError: division by zero")

    everything = runner.invoke(args=["civic", "tick"])
    assert "notifications.waiting-mail: ok in " in everything.output
    assert f"{prefix}.fine: ok in " in everything.output and everything.exit_code == 1

    unknown = runner.invoke(args=["civic", "tick", "--task", "nobody"])
    assert unknown.exit_code == 2 and "no scheduled task is called 'nobody'" in unknown.output


def test_the_admin_jobs_page_shows_each_task_and_its_last_outcome(app, client_as, register, prefix):
    register(f"{prefix}.shown", lambda: 1 / 0, description="Close ended consultations")
    schedule.run([f"{prefix}.shown"])
    client, _admin = client_as("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "<h2 id=\"scheduled\">Scheduled tasks</h2>" in page
    shown = page[page.index("Close ended consultations"):]
    shown = shown[:shown.index("</tr>")]
    assert f'<span class="muted">{prefix}.shown</span>' in shown
    assert '<span class="tag">Failed</span> ZeroDivisionError: division by zero' in shown
    assert "Tell followers when a process they follow enters a new phase" in page


def test_a_task_that_changes_searchable_content_drains_the_index_before_the_tick_ends(
        app, register, prefix, monkeypatch):
    """A tick is a short-lived process: waking the web workers' drainer thread there would leave the change for
    a minute (or lose the drain at exit); a task's commit drains at once, as a CLI command's does."""
    from civic.groups.models import Group
    from civic.search import services as search_services
    from tests import factories

    group = factories.empty_group(name="Bird watchers")
    db.session.commit()
    woken, drained = [], []
    monkeypatch.setattr(search_services, "wake", lambda a: woken.append(a))
    monkeypatch.setattr(search_services, "drain_now", lambda a: drained.append(a))
    monkeypatch.setitem(app.config, "SEARCH_DRAIN", "thread")
    monkeypatch.setitem(app.config, "SEARCH_BACKEND", "whoosh")  # the queue's path (PostgreSQL's writes in the commit)

    def rename() -> None:
        db.session.get(Group, group.id).name = "Bat watchers"

    register(f"{prefix}.rename", rename)
    assert [o.status for o in schedule.run([f"{prefix}.rename"])] == ["ok"]
    assert (woken, drained) == ([], [app])
