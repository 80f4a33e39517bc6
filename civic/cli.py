"""``flask civic ...``: migrate, seed the demo, load reference data, create an admin, run the job worker."""

from __future__ import annotations

import csv
import secrets
from importlib import resources as importlib_resources
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from civic import jobs, migrate, search, worker
from civic.accounts import passwords, roles
from civic.accounts.models import User, UserRole
from civic.accounts.passwords import hash_password
from civic.commands import cli
from civic.config import is_production
from civic.db import db, utcnow
from civic.groups.models import Group, Membership
from civic.schedule.cli import tick_command
from civic.spaces.models import PostcodeSector, Ward

cli.add_command(tick_command)  # flask civic tick: every registered scheduled task (civic.schedule)


def _revision() -> str | None:
    with db.engine.connect() as connection:
        return migrate.current_revision(connection)


@cli.command("migrate")
def migrate_command() -> None:
    """Apply database migrations (alembic upgrade head), printing the revision before and after."""
    before = _revision()
    migrate.upgrade(db.engine)
    after = _revision()
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Database migrated from revision {before or 'none (empty)'} to {after}.")


@cli.command("db-revision")
def db_revision_command() -> None:
    """Print the database's revision and the newest one the code knows."""
    current, head = _revision(), migrate.head_revision()
    click.echo(f"Database revision: {current or 'none (empty)'}; the code's newest: {head}"
               f"{'' if current == head else ' (run flask civic migrate)'}.")


@cli.command("downgrade")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def downgrade_command(yes: bool) -> None:
    """Undo the newest applied migration (one step back). Back up first: a step back may drop data."""
    current = _revision()
    if current is None:
        raise click.ClickException("The database has no migration applied; there is nothing to undo.")
    target = migrate.previous_revision(current)
    if not yes:
        click.confirm(f"Undo migration {current} (back to {target or 'an empty database'})?", abort=True)
    migrate.downgrade(db.engine, target or "base")
    click.echo(f"Database downgraded from revision {current} to {target or 'none (empty)'}.")


@cli.command("check")
def check_command() -> None:
    """Check every dependency (database, migrations, writes, Redis, jobs and worker, search, mail, disk):
    OK, or what to do. Exits 1 when something needs doing."""
    from civic import operations  # noqa: PLC0415

    failed = False
    for check in operations.all_checks():
        mark = "OK  " if check.ok else ("FAIL" if check.critical else "WARN")
        failed |= not check.ok and check.critical
        click.echo(f"{mark} {check.name}: {check.detail}")
    if failed:
        raise SystemExit(1)


@cli.command("is-seeded")
def is_seeded() -> None:
    """Exit 0 when the demo data is loaded, 1 when not (used by ``make run``)."""
    has_table = inspect(db.session.connection()).has_table("users")
    seeded = has_table and db.session.scalar(select(User.id).where(User.nickname == "demo_admin")) is not None
    raise SystemExit(0 if seeded else 1)


def load_postcode_sectors(path: Path | None = None) -> tuple[int, int]:
    """Load (or refresh) the postcode sector -> ward table; returns (rows added, rows whose ward changed).

    Ward names are matched in any case; a wrong header or an unknown ward is a :class:`click.ClickException`
    that says what is wrong (and lists the wards), never a traceback."""
    where = str(path) if path else "the shipped table"
    text = path.read_text(encoding="utf-8-sig") if path else (
        importlib_resources.files("civic").joinpath("data/postcode-sectors.csv").read_text(encoding="utf-8"))
    wards = {w.name.casefold(): w for w in db.session.scalars(select(Ward))}
    existing = {p.sector: p for p in db.session.scalars(select(PostcodeSector))}
    reader = csv.DictReader(text.splitlines())
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    if header[:2] != ["sector", "ward"]:
        raise click.ClickException(
            f"{where} must start with the header line 'sector,ward' (a postcode sector and its ward's name, like "
            f"'W2 1,Hyde Park'); its first line is {','.join(reader.fieldnames or []) or 'empty'!r}.")
    reader.fieldnames = header
    added = updated = 0
    for number, row in enumerate(reader, start=2):
        sector = " ".join((row.get("sector") or "").upper().split())
        ward_name = " ".join((row.get("ward") or "").split())
        if not sector:
            raise click.ClickException(f"line {number} of {where} has no postcode sector.")
        ward = wards.get(ward_name.casefold())
        if ward is None:
            names = ", ".join(sorted(w.name for w in wards.values()))
            raise click.ClickException(f"line {number} of {where}: there is no ward called {ward_name!r} (sector "
                                       f"{sector}). The wards are: {names}.")
        if sector in existing:
            if existing[sector].ward_id != ward.id:
                existing[sector].ward_id = ward.id
                updated += 1
        else:
            existing[sector] = PostcodeSector(sector=sector, ward_id=ward.id)
            db.session.add(existing[sector])
            added += 1
    return added, updated


@cli.command("load-postcodes")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_postcodes(path: Path | None) -> None:
    """Load the postcode sector -> ward table from a CSV file with the header 'sector,ward' (the shipped demo
    table when no PATH is given). Ward names may be in any case."""
    added, updated = load_postcode_sectors(path)
    db.session.commit()
    click.echo(f"{added} postcode sectors added, {updated} updated.")


DEMO_USERS = (
    ("demo_resident", "Rosa Resident", ()),
    ("demo_verified", "Victor Verified", (roles.VERIFIED,)),
    ("demo_organiser", "Olu Organiser", (roles.VERIFIED,)),
    ("demo_instructor", "Ines Instructor", (roles.INSTRUCTOR,)),
    ("demo_officer", "Omar Officer", (roles.OFFICER,)),
    ("demo_admin", "Ada Admin", (roles.ADMIN,)),
)

DEMO_GROUPS = (
    ("church-street-damp-busters", "Church Street Damp Busters", "Church Street",
     "Neighbours measuring damp and mould in our homes, so repairs are made where they are needed most."),
    ("pimlico-clean-air", "Pimlico Clean Air", "Pimlico South",
     "Parents and residents tracking air quality on the school run and pressing for cleaner streets."),
)


#: The demo accounts' addresses: under example.org (reserved for examples, RFC 2606), which every form's address
#: check accepts; ".localhost" (used before) is a special-use name that the forgot-password form refused.
DEMO_DOMAIN = "civic.example.org"
OLD_DEMO_DOMAIN = "civic.localhost"


def demo_email(nickname: str, domain: str = DEMO_DOMAIN) -> str:
    return f"{nickname.replace('_', '.')}@{domain}"


def seed_demo_data(password: str | None = None) -> dict[str, str]:
    """Idempotent: creates what is missing and returns {nickname: password} for accounts it created."""
    load_postcode_sectors()
    wards = {w.name: w for w in db.session.scalars(select(Ward))}
    created: dict[str, str] = {}
    users: dict[str, User] = {}
    for nickname, name, user_roles in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.nickname == nickname))
        if user is not None and user.email == demo_email(nickname, OLD_DEMO_DOMAIN):
            user.email = demo_email(nickname)  # demo data from before: an address every form accepts
        if user is None:
            pw = password or secrets.token_urlsafe(12)
            user = User(nickname=nickname, display_name=name, email=demo_email(nickname),
                        email_confirmed_at=utcnow(), password_hash=hash_password(pw))
            if roles.VERIFIED in user_roles:
                user.ward = wards["Church Street"]
            user.role_rows = [UserRole(role=r) for r in user_roles]
            db.session.add(user)
            created[nickname] = pw
        users[nickname] = user
    db.session.flush()
    for slug, name, ward, description in DEMO_GROUPS:
        if db.session.scalar(select(Group).where(Group.slug == slug)) is None:
            group = Group(slug=slug, name=name, description=description, ward_id=wards[ward].id,
                          created_by_id=users["demo_organiser"].id, members_count=1)
            db.session.add(group)
            db.session.flush()
            db.session.add(Membership(group_id=group.id, user_id=users["demo_organiser"].id,
                                      role="organiser", status="active"))
    current_app.extensions.setdefault("civic.seeders", [])
    for seeder in current_app.extensions["civic.seeders"]:  # domains add their demo data here
        seeder()
    return created


@cli.command("seed-demo")
@click.option("--password", envvar="CIVIC_DEMO_PASSWORD", default=None,
              help="Use this password for every demo account instead of random ones.")
@click.option("--force", is_flag=True, envvar="CIVIC_FORCE_DEMO",
              help="Load the demo accounts even into a production database.")
def seed_demo(password: str | None, force: bool) -> None:
    """Load the Westminster demo data (idempotent). New accounts' passwords are printed once."""
    if is_production(current_app.config, current_app.debug) and not force:
        raise click.ClickException(
            "This is a production site (a database other than SQLite, or CIVIC_PRODUCTION=1): the demo accounts, "
            "an administrator among them, are not loaded into it. Use --force (or CIVIC_FORCE_DEMO=1) for a "
            "demonstration site.")
    created = seed_demo_data(password)
    db.session.commit()
    if current_app.config.get("SEARCH_DRAIN") != "off":
        search.reindex()  # the demo is loaded in bulk, past the search's change capture
    if created:
        click.echo("Demo accounts created (these passwords are shown only now):")
        for nickname, pw in created.items():
            click.echo(f"  {demo_email(nickname)}  {pw}")
    else:
        click.echo("Demo data already loaded; nothing new created.")


@cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--nickname", required=True)
@click.option("--name", required=True)
@click.password_option()
def create_admin(email: str, nickname: str, name: str, password: str) -> None:
    """Create an administrator account (for a fresh production install)."""
    if (msg := passwords.problem(password)) is not None:
        raise click.ClickException(msg)
    email, nickname = email.strip().lower(), nickname.strip().lower()
    for taken, what in ((User.email == email, f"the address {email}"), (User.nickname == nickname,
                                                                          f"the nickname @{nickname}")):
        if db.session.scalar(select(User.id).where(taken)) is not None:
            raise click.ClickException(f"An account with {what} already exists; nothing was changed. Give that "
                                       "person the administrator role on /admin/people, or choose another.")
    user = User(nickname=nickname, display_name=name, email=email, email_confirmed_at=utcnow(),
                password_hash=hash_password(password), role_rows=[UserRole(role=roles.ADMIN)])
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # made at the same moment by another command: say so, never print the row
        db.session.rollback()
        raise click.ClickException("An account with that address or nickname already exists; nothing was "
                                   "changed.") from None
    click.echo(f"Administrator @{user.nickname} created.")


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now (retries that are due included), then stop.")
def worker_command(burst: bool) -> None:
    """Run the background job worker: mail and other jobs from the Redis queue (CIVIC_REDIS_URL)."""
    cfg = current_app.config
    try:
        name = jobs.backend_name(cfg)
    except ValueError as e:
        raise click.ClickException(str(e)) from e
    if name != "rq":
        why = ("CIVIC_REDIS_URL is not set" if not cfg.get("REDIS_URL")
               else f"CIVIC_JOB_QUEUE is {name!r}")
        raise click.ClickException(
            f"{why}, so there is no Redis queue to work on: jobs run in the embedded background sender inside "
            "each web process, which needs no worker. Set CIVIC_REDIS_URL to use Redis and this worker.")
    url = urlsplit(cfg["REDIS_URL"])  # shown without its password
    where = f"{url.hostname or 'localhost'}:{url.port or 6379}{url.path if url.path not in ('', '/') else '/0'}"
    click.echo(f"Working on the {cfg['JOB_QUEUE_NAME']!r} queue at {where}"
               f"{' until it is empty' if burst else ' (Ctrl+C to stop)'}.")
    worker.work(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]


@cli.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Back up the database and the instance folder (uploads) into one archive in FOLDER (docs/operations.md)."""
    from civic import backup  # noqa: PLC0415

    try:
        target = backup.backup(current_app.config["DATABASE_URL"], Path(current_app.instance_path), folder)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Backed up to {target} (the search index and secrets are not in it).")


@cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(archive: Path, yes: bool) -> None:
    """Replace the database and the instance folder's files with a backup's. Stop the site and workers first."""
    from civic import backup  # noqa: PLC0415

    if not yes:
        click.confirm("This replaces the whole database with the backup's. Is the site stopped, and go on?",
                      abort=True)
    db.session.remove()
    try:
        manifest = backup.restore(archive, current_app.config["DATABASE_URL"], Path(current_app.instance_path))
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from None
    head = migrate.head_revision()
    click.echo(f"Restored the backup made at {manifest['made_at']} (revision {manifest['revision']}).")
    if manifest["revision"] != head:
        click.echo(f"The code needs revision {head}: run flask civic migrate.")
    click.echo("Then rebuild the search index: flask civic reindex.")


@cli.command("create-app-role")
@click.argument("name", default="civic_app")
@click.option("--password", envvar="CIVIC_APP_ROLE_PASSWORD", default=None,
              help="Set this password for the role (or CIVIC_APP_ROLE_PASSWORD); without it, use peer or "
                   "certificate authentication.")
def create_app_role_command(name: str, password: str | None) -> None:
    """PostgreSQL: create or update the role the site runs as (rows only: no ALTER, TRUNCATE or TRIGGER; the audit
    log append-only). Run it as the database's owner, after flask civic migrate."""
    from civic import database_roles  # noqa: PLC0415

    try:
        with db.engine.begin() as connection:
            database_roles.create_app_role(connection, name, password)
    except database_roles.RoleError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"The role {name} may read and write rows but not alter tables or triggers. Run the site with "
               f"CIVIC_DATABASE_URL=postgresql://{name}@<host>/<database>; keep running migrations as the owner.")
