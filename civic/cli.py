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

from civic import jobs, migrate, search, worker
from civic.accounts import passwords, roles
from civic.accounts.models import User, UserRole
from civic.accounts.passwords import hash_password
from civic.commands import cli
from civic.db import db, utcnow
from civic.groups.models import Group, Membership
from civic.schedule.cli import tick_command
from civic.spaces.models import PostcodeSector, Ward

cli.add_command(tick_command)  # flask civic tick: every registered scheduled task (civic.schedule)


@cli.command("migrate")
def migrate_command() -> None:
    """Apply database migrations (alembic upgrade head)."""
    migrate.upgrade(db.engine)
    click.echo("Database is up to date.")


@cli.command("is-seeded")
def is_seeded() -> None:
    """Exit 0 when the demo data is loaded, 1 when not (used by ``make run``)."""
    has_table = inspect(db.session.connection()).has_table("users")
    seeded = has_table and db.session.scalar(select(User.id).where(User.nickname == "demo_admin")) is not None
    raise SystemExit(0 if seeded else 1)


def load_postcode_sectors(path: Path | None = None) -> int:
    """Load (or refresh) the postcode sector -> ward table; returns rows added."""
    text = path.read_text(encoding="utf-8") if path else (
        importlib_resources.files("civic").joinpath("data/postcode-sectors.csv").read_text(encoding="utf-8"))
    wards = {w.name: w for w in db.session.scalars(select(Ward))}
    existing = {p.sector: p for p in db.session.scalars(select(PostcodeSector))}
    added = 0
    for row in csv.DictReader(text.splitlines()):
        sector = " ".join(row["sector"].upper().split())
        ward = wards.get(row["ward"].strip())
        if ward is None:
            raise click.ClickException(f"unknown ward {row['ward']!r} for sector {sector}")
        if sector in existing:
            existing[sector].ward_id = ward.id
        else:
            db.session.add(PostcodeSector(sector=sector, ward_id=ward.id))
            added += 1
    return added


@cli.command("load-postcodes")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_postcodes(path: Path | None) -> None:
    """Load the postcode sector -> ward table (the shipped demo table when no PATH is given)."""
    added = load_postcode_sectors(path)
    db.session.commit()
    click.echo(f"{added} postcode sectors added.")


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
def seed_demo(password: str | None) -> None:
    """Load the Westminster demo data (idempotent). New accounts' passwords are printed once."""
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
    user = User(nickname=nickname.lower(), display_name=name, email=email.lower(), email_confirmed_at=utcnow(),
                password_hash=hash_password(password), role_rows=[UserRole(role=roles.ADMIN)])
    db.session.add(user)
    db.session.commit()
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
