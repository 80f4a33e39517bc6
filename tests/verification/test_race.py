"""Accounts racing for one register entry on PostgreSQL, with real commits: exactly one wins."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import delete, event, func, select, text

from civic.accounts import roles
from civic.accounts.models import User, UserRole
from civic.db import db, utcnow
from civic.moderation.models import AuditEntry
from civic.spaces.models import Ward
from civic.verification import services
from civic.verification.models import RegisterEntry, RegisterUpload, VerificationAttempt


@pytest.mark.postgres
@pytest.mark.no_transaction
@pytest.mark.parametrize("racers", [2, 8])
def test_parallel_claims_of_one_entry_verify_exactly_one_account(app, racers):
    tag = uuid.uuid4().hex[:8]
    # Sessions on the engine itself, committing for real. (tests/conftest.py resets the factory with
    # join_transaction_mode="conservative_savepoint", a value SQLAlchemy 2.1 refuses; set a valid one.)
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
    with app.app_context():
        ward = db.session.scalars(select(Ward).where(Ward.name == "Little Venice")).one()
        users = [User(nickname=f"racer_{tag}_{i}", display_name=f"Racer {i}", email=f"racer.{tag}.{i}@example.org",
                      email_confirmed_at=utcnow()) for i in range(racers)]
        upload = RegisterUpload(filename=f"race-{tag}.csv")
        db.session.add_all([*users, upload])
        db.session.flush()
        entry = RegisterEntry(lookup_hash=services.lookup_hash("W2 1AA", date(1985, 3, 27)), ward_id=ward.id,
                              upload_id=upload.id)
        db.session.add(entry)
        db.session.commit()
        user_ids, upload_id, entry_id, ward_id = [u.id for u in users], upload.id, entry.id, ward.id
        db.session.remove()

    # Hold every racer just before its conditional UPDATE until all have read the entry as unclaimed,
    # so they really collide in the database rather than one after the other.
    at_the_line = threading.Barrier(racers, timeout=30)

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE register_entries") and "WHERE register_entries.id = " in statement:
            at_the_line.wait()

    sessions: set[int] = set()

    def claim(user_id: int) -> str:
        with app.app_context():
            try:
                sessions.add(id(db.session()))
                user = db.session.get(User, user_id)
                try:
                    services.verify_with_register(user, "W2 1AA", "27/03/1985")
                    outcome = "verified"
                except services.AlreadyClaimed:
                    outcome = "refused"
                db.session.commit()  # the attempt is kept either way
                return outcome
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        with ThreadPoolExecutor(racers) as pool:
            outcomes = list(pool.map(claim, user_ids))
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)

    try:
        assert len(sessions) == racers  # each thread had its own session and connection
        assert sorted(outcomes) == ["refused"] * (racers - 1) + ["verified"]
        winner = user_ids[outcomes.index("verified")]
        with app.app_context():
            assert db.session.scalar(select(RegisterEntry.claimed_by_id).where(RegisterEntry.id == entry_id)) == winner
            verified = db.session.scalars(select(UserRole.user_id).where(UserRole.user_id.in_(user_ids),
                                                                         UserRole.role == roles.VERIFIED)).all()
            assert verified == [winner]
            wards = dict(db.session.execute(select(User.id, User.ward_id).where(User.id.in_(user_ids))).all())
            assert wards == {uid: (ward_id if uid == winner else None) for uid in user_ids}
            assert db.session.scalar(select(func.count()).where(VerificationAttempt.user_id.in_(user_ids))) == racers
            db.session.remove()
    finally:
        with app.app_context():
            # The audit log is append-only (a trigger); this test's own entries must not leak into other tests,
            # and the statement-level trigger refuses even the empty "SET actor_id = NULL" that deleting a user
            # causes. Switch it off inside this one transaction only: DDL is transactional in PostgreSQL and the
            # table lock keeps every other session out until it is back on.
            db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            db.session.execute(delete(AuditEntry).where(AuditEntry.object_type == "user",
                                                        AuditEntry.object_id.in_(user_ids)))
            db.session.execute(delete(User).where(User.id.in_(user_ids)))
            db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
            db.session.execute(delete(RegisterUpload).where(RegisterUpload.id == upload_id))
            db.session.commit()
            assert db.session.scalar(select(func.count()).where(RegisterEntry.id == entry_id)) == 0
            db.session.remove()
