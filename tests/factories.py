"""Factories for the core's rows: people, wards, processes with phases, groups and comments.

Plain functions, not fixtures: they work wherever ``db.session`` does (a test's rolled-back transaction, or a
race test's real commits, see ``tests/support/race.py``). The fixtures in ``tests/conftest.py`` and in each
package's conftest call them, so a test asks for ``make_user``, ``make_people``, ``make_process``... as before.

Each factory that makes rows commits them (``commit=False`` where offered to leave that to the caller): in a
normal test that is a commit to the test's savepoint, so a request that rolls back its own work (any 4xx) does not
take the test's data with it; the whole transaction is still rolled back after the test.

A domain's factories live beside its tests (``tests/proposals/factories.py``) and build on these; the core's
tests never import them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from civic.accounts import passwords, roles
from civic.accounts.models import User, UserRole
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.groups import services as groups
from civic.groups.models import Group, Membership
from civic.spaces.models import Phase, Process, Programme, Ward

#: The password every ``user()`` gets unless told otherwise.
PASSWORD = "a long and quiet river"

#: What each test role is stored as (``organiser`` also gets a group of which they are the organiser).
STORED_ROLES = {"verified": [roles.VERIFIED], "organiser": [roles.VERIFIED], "instructor": [roles.INSTRUCTOR],
                "officer": [roles.OFFICER], "admin": [roles.ADMIN]}

_seq = itertools.count(1)


def unique() -> int:
    """A number no other factory call of this test run has had (for names, slugs and e-mail addresses)."""
    return next(_seq)


def save(commit: bool = True) -> None:
    """Commit (to the test's savepoint, or for real in a race test), or with ``commit=False`` only flush."""
    if commit:
        db.session.commit()
    else:
        db.session.flush()


# Places -----------------------------------------------------------------------------------------------------


def ward_named(name: str) -> Ward:
    """One of the wards every migrated database has (``"Church Street"``, ``"Little Venice"``...)."""
    return db.session.scalars(select(Ward).where(Ward.name == name)).one()


def programme_named(slug: str = "cleantech-city") -> Programme:
    return db.session.scalars(select(Programme).where(Programme.slug == slug)).one()


# People -----------------------------------------------------------------------------------------------------


def user(role: str = "resident", *, nickname: str | None = None, email: str | None = None, password: str = PASSWORD,
         confirmed: bool = True, ward: str | None = None, **extra) -> User:
    """A person with a role of the test roles (``resident``, ``verified``, ``organiser``, ``instructor``,
    ``officer``, ``admin``) who can sign in with ``password``; ``ward`` is a ward's name."""
    n = unique()
    nickname = nickname or f"{role}_{n}"
    person = User(nickname=nickname, display_name=extra.pop("display_name", f"{role.title()} {n}"),
                  email=email or f"{nickname}@example.org", password_hash=passwords.hash_password(password),
                  email_confirmed_at=utcnow() if confirmed else None, **extra)
    person.role_rows = [UserRole(role=r) for r in STORED_ROLES.get(role, [])]
    if ward:
        person.ward = ward_named(ward)
    db.session.add(person)
    db.session.flush()
    if role == "organiser":
        group = Group(slug=f"group-{n}", name=f"Group {n}", description="A test group", members_count=1,
                      created_by_id=person.id)
        db.session.add(group)
        db.session.flush()
        db.session.add(Membership(group_id=group.id, user_id=person.id, role="organiser", status="active"))
    db.session.commit()
    return person


def people(n: int, prefix: str = "person", *, commit: bool = True, **extra) -> list[User]:
    """n confirmed residents without a password (hashing one is slow): for bulk data. ``extra`` are User
    columns or relationships (``role_rows=...`` is shared, so give roles with ``roles=[...]`` instead)."""
    role_names = extra.pop("roles", ())
    made = []
    for _ in range(n):
        k = unique()
        made.append(User(nickname=f"{prefix}_{k}", display_name=f"{prefix.title()} {k}",
                         email=f"{prefix}_{k}@example.org", email_confirmed_at=utcnow(),
                         role_rows=[UserRole(role=r) for r in role_names], **extra))
    db.session.add_all(made)
    save(commit)
    return made


# Participatory processes ------------------------------------------------------------------------------------


def phase(title: str, starts_at: datetime, ends_at: datetime, *actions: str, description: str = "") -> dict:
    """A phase for ``process(phases=[...])``: ``phase("Supports", start, end, "support", "comment")``."""
    return {"title": title, "starts_at": starts_at, "ends_at": ends_at, "description": description,
            **{f"allow_{a}": True for a in actions}}


def open_phase(**allow) -> dict:
    """One phase running now (from yesterday for a month) open for propose, support, comment and endorse;
    ``allow_answer=True``, ``allow_support=False``... change what it allows."""
    now = utcnow()
    spec = {"title": "Proposals and supports", "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=30), "allow_propose": True, "allow_support": True,
            "allow_comment": True, "allow_endorse": True, "allow_answer": False}
    spec.update(allow)
    return spec


def process(*, title: str | None = None, slug: str | None = None, programme: str = "cleantech-city",
            wards: Iterable[str] = (), published: bool = True, phases: list[dict] | None = None,
            subtitle: str = "A process for tests", description: str = "Tell us your **ideas**.",
            commit: bool = True, **allow) -> Process:
    """A process (published yesterday unless ``published=False``) in ``programme`` (a slug), in ``wards`` (names;
    the whole city when none), with ``phases`` (dicts as ``phase()`` makes) or else one ``open_phase(**allow)``.

    Rows are written directly, not through ``civic.spaces.services`` (whose own tests call it), so no audit entry
    or event comes with them."""
    unknown = {k for k in allow if not k.startswith("allow_")}
    if unknown:
        raise TypeError(f"process: unknown keywords {sorted(unknown)}")
    n = unique()
    made = Process(slug=slug or f"test-process-{n}", title=title or f"Test process {n}", subtitle=subtitle,
                   description=description, programme_id=programme_named(programme).id,
                   whole_city=not wards, published_at=utcnow() - timedelta(days=1) if published else None)
    made.wards = [ward_named(w) for w in wards]
    made.phases = [Phase(**p) for p in ([open_phase(**allow)] if phases is None else phases)]
    db.session.add(made)
    save(commit)
    return made


# Groups and comments ----------------------------------------------------------------------------------------


def group(organiser: User | None = None, *, name: str | None = None, ward: str | None = None,
          description: str = "We meet.", website: str | None = None) -> Group:
    """A community group made through the groups service, with ``organiser`` (a new person when None) as its
    first active organiser."""
    organiser = organiser or people(1, "founder")[0]
    made = groups.create_group(organiser, name=name or f"Test group {unique()}", description=description,
                               ward_id=ward_named(ward).id if ward else None, website=website)
    db.session.commit()
    return made


def empty_group(*, slug: str | None = None, name: str | None = None, description: str = "Talk to us.") -> Group:
    """A group row with no members at all (``members_count`` 0), for tests that use a group as a plain resource."""
    k = unique()
    made = Group(slug=slug or f"empty-group-{k}", name=name or f"Empty group {k}", description=description,
                 members_count=0)
    db.session.add(made)
    db.session.commit()
    return made


def comment(resource_type: str, resource_id: int, author: User, body: str = "A comment that someone may dislike.",
            **fields) -> Comment:
    """A comment row written directly (no service, no counter moved, no event)."""
    made = Comment(resource_type=resource_type, resource_id=resource_id, author_id=author.id, body=body, **fields)
    db.session.add(made)
    db.session.commit()
    return made
