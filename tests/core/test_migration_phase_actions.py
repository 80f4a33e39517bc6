"""Migration 0004 keeps every phase as it was: each true ``allow_<action>`` column becomes a row of
``phase_actions``, and the downgrade turns the rows back into columns. Run on a database of its own (a fresh
SQLite file, or a fresh schema of the PostgreSQL test database), from nothing to 0003, then up and down."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from civic import migrate
from civic.db import make_engine

FLAGS = ("propose", "support", "comment", "endorse", "answer")
OPENED = {
    "Ideas": {"propose", "comment", "endorse"},
    "Supports": {"support"},
    "Answers": {"comment", "answer"},
    "Pause": set(),
}


@pytest.fixture
def fresh_engine(tmp_path):
    url = os.environ.get("CIVIC_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = f"migrate_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _phases_at_0003(conn) -> dict[str, int]:
    programme_id = conn.execute(sa.text("SELECT min(id) FROM programmes")).scalar_one()
    processes = sa.table("processes", *(sa.column(c) for c in (
        "slug", "title", "subtitle", "description", "programme_id", "whole_city", "banner_alt", "published_at",
        "created_at")))
    now = datetime(2026, 3, 1, 9, tzinfo=UTC).replace(tzinfo=None)
    conn.execute(processes.insert().values(slug="old-process", title="Old process", subtitle="", description="D",
                                           programme_id=programme_id, whole_city=True, banner_alt="",
                                           published_at=now, created_at=now))
    process_id = conn.execute(sa.text("SELECT id FROM processes WHERE slug = 'old-process'")).scalar_one()
    phases = sa.table("process_phases", *(sa.column(c) for c in (
        "process_id", "title", "description", "starts_at", "ends_at", *(f"allow_{f}" for f in FLAGS))))
    for n, (title, opened) in enumerate(OPENED.items()):
        conn.execute(phases.insert().values(
            process_id=process_id, title=title, description="", starts_at=now.replace(day=n + 1),
            ends_at=now.replace(day=n + 2), **{f"allow_{f}": f in opened for f in FLAGS}))
    return dict(conn.execute(sa.text("SELECT title, id FROM process_phases")).all())


def test_upgrading_turns_each_open_action_into_a_row_and_downgrading_back(fresh_engine):
    migrate.upgrade(fresh_engine, "0003")
    with fresh_engine.begin() as conn:
        ids = _phases_at_0003(conn)

    migrate.upgrade(fresh_engine, "0004")
    inspector = sa.inspect(fresh_engine)
    assert not [c for c in inspector.get_columns("process_phases") if c["name"].startswith("allow_")]
    assert inspector.get_pk_constraint("phase_actions")["name"] == "pk_phase_actions"
    assert [fk["name"] for fk in inspector.get_foreign_keys("phase_actions")] == [
        "fk_phase_actions_phase_id_process_phases"]
    # The table copied on SQLite keeps its check, its index and its foreign key.
    assert [c["name"] for c in inspector.get_check_constraints("process_phases")] == [
        "ck_process_phases_ends_after_start"]
    assert [i["name"] for i in inspector.get_indexes("process_phases")] == ["ix_process_phases_process_id"]
    assert [fk["name"] for fk in inspector.get_foreign_keys("process_phases")] == [
        "fk_process_phases_process_id_processes"]
    with fresh_engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT phase_id, action FROM phase_actions")).all()
    by_title = {title: {action for phase_id, action in rows if phase_id == ids[title]} for title in ids}
    assert by_title == OPENED

    with fresh_engine.begin() as conn:  # the foreign key deletes a phase's rows with it
        conn.execute(sa.text("DELETE FROM process_phases WHERE id = :id"), {"id": ids["Answers"]})
        assert conn.execute(sa.text("SELECT count(*) FROM phase_actions WHERE phase_id = :id"),
                            {"id": ids["Answers"]}).scalar_one() == 0
        conn.execute(sa.text("INSERT INTO phase_actions (phase_id, action) VALUES (:id, 'vote')"),
                     {"id": ids["Pause"]})
    del ids["Answers"]

    migrate.downgrade(fresh_engine, "0003")
    assert not sa.inspect(fresh_engine).has_table("phase_actions")
    columns = ", ".join(f"allow_{f}" for f in FLAGS)
    with fresh_engine.connect() as conn:
        flags = {title: dict(zip(FLAGS, row, strict=True)) for title, *row in conn.execute(
            sa.text(f"SELECT title, {columns} FROM process_phases"))}
    assert flags == {title: {f: f in OPENED[title] for f in FLAGS} for title in ids}
