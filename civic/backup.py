"""Backup and restore: the database and the instance folder in one archive (``flask civic backup`` / ``restore``).

An archive (``civic-backup-<UTC time>.tar.gz``) holds:

- ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite's online backup,
  consistent while the site runs);
- ``instance/``: the instance folder — uploaded images above all — without what is rebuilt or kept apart: the
  search index (``flask civic reindex`` rebuilds it), saved mail, the SQLite file itself (see above) and the
  generated secret key (secrets are kept apart from backups: /etc/civic/civic.env is backed up by the operator,
  elsewhere);
- ``manifest.json``: when, the database kind and its migration revision.

Restoring puts both back over the configured database and instance folder (the site stopped), then says what to
run next (migrate, if the archive is older than the code; reindex). See docs/operations.md.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from civic import migrate
from civic.db import db

#: Folders and files of the instance folder that a backup leaves out (relative to it).
LEFT_OUT = ("search", "mail", "secret_key")


class BackupError(RuntimeError):
    """Something an operator must fix; the message says what."""


def _libpq(url: str) -> str:
    """The database URL as pg_dump and pg_restore read it (no SQLAlchemy driver name)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _run(command: list[str], what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed: install PostgreSQL's client programs "
                          f"(apt-get install postgresql-client) to {what}.")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} could not {what}: {done.stderr.strip()[-1000:]}")


def _left_out(instance: Path, database: Path | None):
    skipped = {instance / name for name in LEFT_OUT}
    if database is not None:
        skipped |= {database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")}

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        path = instance / Path(info.name).relative_to("instance") if info.name != "instance" else instance
        return None if path in skipped or path.suffix == ".lock" else info

    return keep


def backup(url: str, instance: Path, folder: Path) -> Path:
    """Write an archive of the database at ``url`` and of ``instance`` into ``folder``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"civic-backup-{stamp}.tar.gz"
    kind = make_url(url).get_backend_name()
    with db.engine.connect() as connection:
        revision = migrate.current_revision(connection)
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        sqlite_file = None
        if kind == "postgresql":
            dump = work_dir / "database.dump"
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}", _libpq(url)],
                 "dump the database")
        elif kind == "sqlite":
            sqlite_file = _sqlite_file(url).resolve()
            dump = work_dir / "database.sqlite3"
            source, copy = sqlite3.connect(sqlite_file), sqlite3.connect(dump)
            try:
                source.backup(copy)  # consistent while others write (SQLite's online backup)
            finally:
                source.close()
                copy.close()
        else:
            raise BackupError(f"Backing up a {kind} database is not supported.")
        manifest = {"made_at": stamp, "database": kind, "revision": revision, "left_out": list(LEFT_OUT)}
        (work_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = target.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work_dir / "manifest.json", "manifest.json")
            archive.add(dump, dump.name)
            if instance.exists():
                archive.add(instance, "instance", filter=_left_out(instance.resolve(), sqlite_file))
        partial.rename(target)  # never a half-written archive under the final name
    return target


def restore(archive_path: Path, url: str, instance: Path) -> dict:
    """Put the archive's database and instance files back; returns its manifest. The site must be stopped."""
    kind = make_url(url).get_backend_name()
    with tarfile.open(archive_path, "r:gz") as archive, tempfile.TemporaryDirectory() as work:
        archive.extractall(work, filter="data")
        work_dir = Path(work)
        manifest = json.loads((work_dir / "manifest.json").read_text())
        if manifest["database"] != kind:
            raise BackupError(f"This archive holds a {manifest['database']} database; CIVIC_DATABASE_URL is {kind}.")
        db.engine.dispose()  # no pooled connection keeps the old database open
        if kind == "postgresql":
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  f"--dbname={_libpq(url)}", str(work_dir / "database.dump")], "restore the database")
        else:
            database = _sqlite_file(url)
            database.parent.mkdir(parents=True, exist_ok=True)
            for stale in (Path(f"{database}-wal"), Path(f"{database}-shm")):
                stale.unlink(missing_ok=True)
            shutil.copyfile(work_dir / "database.sqlite3", database)
        saved = work_dir / "instance"
        if saved.exists():
            shutil.copytree(saved, instance, dirs_exist_ok=True)
    return manifest
