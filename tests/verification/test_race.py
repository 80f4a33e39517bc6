"""Accounts racing for one register entry on PostgreSQL, with real commits: exactly one wins."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, select

from civic.accounts import roles
from civic.accounts.models import User, UserRole
from civic.db import db
from civic.verification import services
from civic.verification.models import RegisterEntry, RegisterUpload, VerificationAttempt
from tests import factories
from tests.support.race import committed, delete_people, race, real_commits, tag


@pytest.mark.postgres
@pytest.mark.no_transaction
@pytest.mark.parametrize("racers", [2, 8])
def test_parallel_claims_of_one_entry_verify_exactly_one_account(app, racers):
    with real_commits(app):
        with committed(app):
            ward = factories.ward_named("Little Venice")
            users = factories.people(racers, prefix=f"racer_{tag()}")
            upload = RegisterUpload(filename=f"race-{tag()}.csv")
            db.session.add(upload)
            db.session.flush()
            entry = RegisterEntry(lookup_hash=services.lookup_hash("W2 1AA", date(1985, 3, 27)), ward_id=ward.id,
                                  upload_id=upload.id)
            db.session.add(entry)
            db.session.flush()
            user_ids, upload_id, entry_id, ward_id = [u.id for u in users], upload.id, entry.id, ward.id

        def claim(user_id: int) -> str:
            try:
                services.verify_with_register(db.session.get(User, user_id), "W2 1AA", "27/03/1985")
            except services.AlreadyClaimed:
                return "refused"  # the attempt is committed (and kept) all the same
            return "verified"

        try:
            # Every racer is held just before its conditional UPDATE until all have read the entry as unclaimed,
            # so they really collide in the database rather than one after the other.
            outcomes = race(app, claim, [(uid,) for uid in user_ids],
                            before=lambda sql: sql.startswith("UPDATE register_entries")
                            and "WHERE register_entries.id = " in sql)
            assert sorted(outcomes) == ["refused"] * (racers - 1) + ["verified"]
            winner = user_ids[outcomes.index("verified")]
            with committed(app):
                assert db.session.scalar(select(RegisterEntry.claimed_by_id)
                                         .where(RegisterEntry.id == entry_id)) == winner
                verified = db.session.scalars(select(UserRole.user_id).where(UserRole.user_id.in_(user_ids),
                                                                             UserRole.role == roles.VERIFIED)).all()
                assert verified == [winner]
                wards = dict(db.session.execute(select(User.id, User.ward_id).where(User.id.in_(user_ids))).all())
                assert wards == {uid: (ward_id if uid == winner else None) for uid in user_ids}
                assert db.session.scalar(select(func.count())
                                         .where(VerificationAttempt.user_id.in_(user_ids))) == racers
        finally:
            with committed(app):
                # The audit entries about these people go too, so they do not leak into other tests.
                delete_people(user_ids, audit_of=("user", user_ids))
                db.session.execute(delete(RegisterUpload).where(RegisterUpload.id == upload_id))
            with committed(app):
                assert db.session.scalar(select(func.count()).where(RegisterEntry.id == entry_id)) == 0
