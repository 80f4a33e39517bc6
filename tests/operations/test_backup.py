"""Item 8: back up the database and the instance folder, lose them, restore, and find everything again — through
the commands an operator types, on SQLite and (marked postgres) on a scratch PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from civic.db import make_engine
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
COUNT_ADMINS = ("from civic.db import db; from sqlalchemy import text; "
                "print(db.session.scalar(text(\"SELECT count(*) FROM users WHERE nickname = 'keeper'\")))")


def civic(env: dict[str, str], *args: str, code: int = 0) -> str:
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "civic", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == code, done.stdout + done.stderr
    return done.stdout + done.stderr


def admins(env: dict[str, str]) -> str:
    script = f"from civic.app import create_app\nwith create_app().app_context():\n    {COUNT_ADMINS}"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def assert_round_trip(tmp_path: Path, database_url: str, lose) -> None:
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
    env.update({"CIVIC_INSTANCE_PATH": str(instance), "CIVIC_DATABASE_URL": database_url,
                "CIVIC_PASSWORD_HASH_PROFILE": "test", "CIVIC_PRODUCTION": "0"})
    civic(env, "migrate")
    civic(env, "create-admin", "--email", "keeper@council.example", "--nickname", "keeper", "--name", "Keeper",
          "--password", PASSWORD)
    photo = instance / "uploads" / "proposals" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a photograph")
    (instance / "search").mkdir(exist_ok=True)
    (instance / "search" / "index.seg").write_text("rebuildable")
    (instance / "secret_key").write_text("kept apart")

    said = civic(env, "backup", str(tmp_path / "backups"))
    archive = next((tmp_path / "backups").glob("civic-backup-*.tar.gz"))
    assert f"Backed up to {archive}" in said
    with tarfile.open(archive) as opened:
        names = opened.getnames()
    assert "manifest.json" in names and "instance/uploads/proposals/photo.jpg" in names
    assert not any(n.startswith(("instance/search", "instance/secret_key")) for n in names), names

    lose(instance)
    photo.unlink()
    assert admins(env) != "1"
    restored = civic(env, "restore", str(archive), "--yes")
    assert "Restored the backup made at" in restored and "flask civic reindex" in restored
    assert admins(env) == "1"
    assert photo.read_bytes() == b"\xff\xd8 a photograph"


def test_backup_and_restore_on_sqlite(tmp_path):
    database = tmp_path / "instance" / "civic.sqlite3"

    def lose(instance: Path) -> None:
        database.unlink()
        for extra in ("-wal", "-shm"):
            Path(f"{database}{extra}").unlink(missing_ok=True)

    assert_round_trip(tmp_path, f"sqlite:///{database}", lose)


@pytest.mark.postgres
@pytest.mark.no_transaction
def test_backup_and_restore_on_postgresql(tmp_path, database_url):
    url = make_url(database_url)
    scratch = f"{url.database}_backup_test"
    server = make_engine(url.set(database="postgres").render_as_string(hide_password=False),
                         isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        conn.execute(text(f'CREATE DATABASE "{scratch}"'))
    scratch_url = url.set(database=scratch).render_as_string(hide_password=False)

    def lose(instance: Path) -> None:
        engine = make_engine(scratch_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()

    try:
        assert_round_trip(tmp_path, scratch_url, lose)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        server.dispose()
