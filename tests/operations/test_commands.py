"""Items 3, 9 and 13: the commands an operator types say what happened, in sentences."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from civic import migrate
from civic.accounts.models import User
from civic.db import db
from civic.spaces.models import PostcodeSector
from tests.factories import PASSWORD


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=["civic", *args], **kwargs)


def test_seed_demo_refuses_a_production_database_unless_forced(app, monkeypatch):
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    refused = run(app, "seed-demo")
    assert refused.exit_code != 0 and "production site" in refused.output and "--force" in refused.output
    assert db.session.scalar(select(User.id).where(User.nickname == "demo_admin")) is None
    forced = run(app, "seed-demo", "--force", "--password", "a long demo password")
    assert forced.exit_code == 0, forced.output
    assert db.session.scalar(select(User.id).where(User.nickname == "demo_admin")) is not None


def test_make_run_stops_at_the_refusal():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "civic is-seeded || $(BIN)/flask civic seed-demo" in makefile  # seed-demo's refusal stops make


def test_create_admin_twice_is_a_sentence_without_the_hash(app):
    args = ["create-admin", "--email", "Chief@Council.example", "--nickname", "chief", "--name", "Chief",
            "--password", PASSWORD]
    assert run(app, *args).exit_code == 0
    again = run(app, *args)
    assert again.exit_code == 1
    assert "already exists; nothing was changed" in again.output
    assert "argon2" not in again.output and "Traceback" not in again.output and "IntegrityError" not in again.output
    other = run(app, "create-admin", "--email", "other@council.example", "--nickname", "Chief", "--name", "X",
                "--password", PASSWORD)
    assert "nickname @chief already exists" in other.output
    assert db.session.scalar(select(func.count()).select_from(User).where(User.nickname == "chief")) == 1


def test_load_postcodes_any_case_counts_and_explains(app, tmp_path):
    path = tmp_path / "sectors.csv"
    path.write_text("Sector,Ward\nzz9 1,maida vale\nzz9 2,MAIDA VALE\n")
    done = run(app, "load-postcodes", str(path))
    assert done.exit_code == 0, done.output
    assert "2 postcode sectors added, 0 updated." in done.output
    path.write_text("sector,ward\nzz9 1,Little Venice\nzz9 2,Maida Vale\nzz9 3,Maida Vale\n")
    assert "1 postcode sectors added, 1 updated." in run(app, "load-postcodes", str(path)).output
    moved = db.session.scalar(select(PostcodeSector).where(PostcodeSector.sector == "ZZ9 1"))
    assert moved.ward.name == "Little Venice"
    path.write_text("sector,ward\nzz9 4,Atlantis\n")
    unknown = run(app, "load-postcodes", str(path))
    assert unknown.exit_code == 1 and "no ward called 'Atlantis'" in unknown.output
    assert "Maida Vale" in unknown.output and "West End" in unknown.output  # the valid names are listed
    path.write_text("postcode;area\nzz9 5;Maida Vale\n")
    header = run(app, "load-postcodes", str(path))
    assert header.exit_code == 1 and "must start with the header line 'sector,ward'" in header.output
    assert "Traceback" not in header.output and header.exception.__class__ is SystemExit


def test_migrate_prints_the_revision_and_db_revision_shows_it(app):
    head = migrate.head_revision()
    done = run(app, "migrate")
    assert done.exit_code == 0 and f"up to date (revision {head})" in done.output
    assert f"Database revision: {head}; the code's newest: {head}." in run(app, "db-revision").output


def test_migrate_downgrade_one_step_and_back_on_a_fresh_database(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
    env.update({"CIVIC_INSTANCE_PATH": str(tmp_path), "CIVIC_DATABASE_URL": f"sqlite:///{tmp_path}/civic.sqlite3"})
    flask = str(Path(sys.executable).parent / "flask")

    def civic(*args: str) -> str:
        done = subprocess.run([flask, "--app", "wsgi", "civic", *args], cwd=Path(__file__).resolve().parents[2],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    head = migrate.head_revision()
    before = migrate.previous_revision(head)
    assert f"Database migrated from revision none (empty) to {head}." in civic("migrate")
    assert f"Database downgraded from revision {head} to {before}." in civic("downgrade", "--yes")
    assert f"Database revision: {before}; the code's newest: {head} (run flask civic migrate)." in \
        civic("db-revision")
    assert f"Database migrated from revision {before} to {head}." in civic("migrate")


def test_create_app_role_on_sqlite_says_roles_are_postgresql_s(app):
    if db.engine.dialect.name != "sqlite":
        return  # tests/operations/test_database_roles.py covers PostgreSQL
    said = run(app, "create-app-role")
    assert said.exit_code == 1 and "Database roles are PostgreSQL's" in said.output
