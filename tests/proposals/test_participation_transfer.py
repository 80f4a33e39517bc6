"""One register entry, one budget: a resident who deletes their verified account and verifies a new one with the
same register entry finds their supports there, counted once (proposals/transfers.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from civic.accounts import services as accounts
from civic.accounts.models import User
from civic.audit import AuditEntry
from civic.db import db, utcnow
from civic.spaces.models import Process
from civic.verification import services as verification
from civic.verification.models import RegisterEntry, RegisterUpload
from proposals import supports
from proposals.models import Proposal, Support, SupportBudget
from tests import factories
from tests.factories import PASSWORD
from tests.proposals import factories as proposals
from tests.support.pages import date_fields, path_of
from tests.support.race import committed, delete_people, race, real_commits, tag

ROSA = "W2 1AA", "27/03/1985"


def count_of(proposal: Proposal) -> int:
    return db.session.scalar(select(Proposal.supports_count).where(Proposal.id == proposal.id))


def used_by(user_id: int, process) -> int | None:
    return db.session.scalar(select(SupportBudget.used).where(SupportBudget.user_id == user_id,
                                                              SupportBudget.process_id == process.id))


def supports_of(user_id: int) -> dict[int, bool]:
    return dict(db.session.execute(select(Support.proposal_id, Support.counted)
                                   .where(Support.user_id == user_id)).all())


def in_register(make_user, postcode="W2 1AA", born="1985-03-27") -> None:
    verification.upload_register(make_user("admin"), "register.csv",
                                 f"postcode,date_of_birth,ward\n{postcode},{born},Little Venice\n".encode())


def verify(client, postcode=ROSA[0], born=ROSA[1]):
    return client.post("/verify/", data={"postcode": postcode, **date_fields("date_of_birth", born)})


def test_a_second_account_with_the_same_register_entry_gets_no_second_budget(
        app, client, make_user, make_process, make_proposal, smtp_server):
    """Verify, support, delete the account, sign up again, verify with the same details: the proposal's count is
    unchanged, the support is the new account's and the budget is not renewed."""
    in_register(make_user)
    process = make_process(support_limit=1, verified_only=True)
    author = make_user("resident")
    first_choice, second_choice = make_proposal(process, author), make_proposal(process, author)

    old = make_user("resident", email="rosa@example.org")
    old_client = app.test_client()
    old_client.post("/sign-in", data={"email": old.email, "password": PASSWORD})
    assert verify(old_client).status_code == 302
    assert old_client.post(f"/proposals/{first_choice.id}/support").status_code == 302
    assert count_of(first_choice) == 1
    assert old_client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"}).status_code == 302

    # The same person signs up again, confirms the address and verifies with the same details.
    client.post("/sign-up", data={"display_name": "Rosa Again", "nickname": "rosa_again",
                                  "email": "rosa.again@example.org", "password": "a brand new river stone"})
    client.get(path_of(smtp_server.last_link("rosa.again@example.org")))
    client.post("/sign-in", data={"email": "rosa.again@example.org", "password": "a brand new river stone"})
    response = verify(client)
    assert response.status_code == 302
    assert "you are now a verified resident of Little Venice" in client.get("/verify/").get_data(as_text=True)
    new = db.session.scalars(select(User).where(User.nickname == "rosa_again")).one()

    # Supporting again changes nothing: the support moved, and the budget of one is spent.
    client.post(f"/proposals/{first_choice.id}/support")
    client.post(f"/proposals/{second_choice.id}/support")
    db.session.expire_all()
    assert count_of(first_choice) == 1
    assert count_of(second_choice) == 0
    assert supports_of(new.id) == {first_choice.id: True}
    assert supports_of(old.id) == {}
    assert used_by(new.id, process) == 1 and used_by(old.id, process) is None
    entry = db.session.scalars(select(RegisterEntry)).one()
    assert entry.claimed_by_id == new.id
    log = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "verification.transfer")).one()
    assert log.object_id == new.id and log.before == {"account": old.id}


def test_deleting_the_account_keeps_the_register_entry_claimed(client_as, make_user):
    in_register(make_user)
    client, user = client_as("resident")
    assert verify(client).status_code == 302
    accounts.delete_account(user, PASSWORD)
    db.session.flush()
    assert db.session.scalars(select(RegisterEntry.claimed_by_id)).one() == user.id


def test_supports_both_accounts_gave_are_merged_and_the_minimum_applies_to_all(
        make_user, make_process, make_proposal):
    in_register(make_user)
    process = make_process(min_supports=3, verified_only=False)
    author = make_user("resident")
    shared, only_old, only_new = (make_proposal(process, author) for _ in range(3))
    old, new = make_user("resident"), make_user("resident")
    verification.verify_with_register(old, *ROSA)
    supports.support(old, shared)
    supports.support(old, only_old)
    supports.support(new, shared)   # not verified yet: the process lets any resident support
    supports.support(new, only_new)
    assert [count_of(p) for p in (shared, only_old, only_new)] == [0, 0, 0]  # neither has given 3
    accounts.delete_account(old, PASSWORD)

    verification.verify_with_register(new, *ROSA)
    db.session.flush()

    # One support per proposal, three in all: the minimum is reached and every one counts once.
    assert supports_of(new.id) == {shared.id: True, only_old.id: True, only_new.id: True}
    assert supports_of(old.id) == {}
    assert [count_of(p) for p in (shared, only_old, only_new)] == [1, 1, 1]
    assert used_by(new.id, process) == 3 and used_by(old.id, process) is None


def test_a_counted_support_given_twice_is_counted_once(make_user, make_process, make_proposal):
    in_register(make_user)
    process = make_process(verified_only=False)
    proposal = make_proposal(process, make_user("resident"))
    old, new = make_user("resident"), make_user("resident")
    verification.verify_with_register(old, *ROSA)
    supports.support(old, proposal)
    supports.support(new, proposal)
    assert count_of(proposal) == 2
    accounts.delete_account(old, PASSWORD)

    verification.verify_with_register(new, *ROSA)
    db.session.flush()

    assert count_of(proposal) == 1
    assert supports_of(new.id) == {proposal.id: True}
    assert db.session.scalar(select(func.count()).select_from(Support)) == 1
    assert used_by(new.id, process) == 1


def test_an_officer_approving_a_manual_check_moves_the_deleted_account_s_supports(
        make_user, make_process, make_proposal):
    in_register(make_user)
    process = make_process(support_limit=1)
    proposal = make_proposal(process, make_user("resident"))
    old, new = make_user("resident"), make_user("resident")
    verification.verify_with_register(old, *ROSA)
    supports.support(old, proposal)
    accounts.delete_account(old, PASSWORD)
    req = verification.request_manual(new, "W2 1AA", verification.wards()[0].id, "27/03/1985", "I live here.")

    verification.decide(make_user("officer"), req, True, "Known to the ward office.")
    db.session.flush()

    assert supports_of(new.id) == {proposal.id: True}
    assert count_of(proposal) == 1 and used_by(new.id, process) == 1
    assert db.session.scalars(select(RegisterEntry.claimed_by_id)).one() == new.id


def test_details_of_a_living_verified_account_stay_refused(client_as, make_user):
    in_register(make_user)
    first, _ = client_as("resident")
    assert verify(first).status_code == 302
    second, user = client_as("resident")
    assert verify(second).status_code == 200
    db.session.refresh(user)
    assert not user.is_verified


# Racing on PostgreSQL -------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.no_transaction
def test_accounts_racing_for_a_deleted_account_s_entry_take_its_supports_once(app):
    """Four new accounts try the deleted account's details at once: one takes the entry and the supports, the
    others get the answer of details not in the register; the proposal's count never moves."""
    with real_commits(app):
        with committed(app):
            now = utcnow()
            ward = factories.ward_named("Little Venice")
            process = proposals.process(phases=[factories.phase("Supports", now - timedelta(days=1),
                                                                now + timedelta(days=1), "support")])
            author, old, *racers = factories.people(6, prefix=f"racer_{tag()}")
            proposal = proposals.proposal(process, author, title="A proposal raced over", commit=False)
            upload = RegisterUpload(filename=f"race-{tag()}.csv")
            db.session.add(upload)
            db.session.flush()
            db.session.add(RegisterEntry(lookup_hash=verification.lookup_hash("W2 1AA", date(1985, 3, 27)),
                                         ward_id=ward.id, upload_id=upload.id))
            db.session.flush()
            verification.verify_with_register(old, *ROSA)
            supports.support(old, proposal)
            accounts.delete_account(old, None)
            ids = {"process": process.id, "upload": upload.id, "proposal": proposal.id, "old": old.id,
                   "racers": [r.id for r in racers], "people": [author.id, old.id, *(r.id for r in racers)]}

        def claim(user_id: int) -> str:
            try:
                verification.verify_with_register(db.session.get(User, user_id), *ROSA)
            except verification.NoMatch:
                return "refused"
            return "verified"

        try:
            outcomes = race(app, claim, [(uid,) for uid in ids["racers"]],
                            before=lambda sql: sql.startswith("UPDATE register_entries")
                            and "WHERE register_entries.id = " in sql)
            assert sorted(outcomes) == ["refused"] * 3 + ["verified"]
            winner = ids["racers"][outcomes.index("verified")]
            with committed(app):
                assert db.session.scalar(select(Proposal.supports_count)
                                         .where(Proposal.id == ids["proposal"])) == 1
                assert dict(db.session.execute(select(Support.user_id, Support.proposal_id)
                                               .where(Support.process_id == ids["process"])).all()) == \
                    {winner: ids["proposal"]}
                assert dict(db.session.execute(select(SupportBudget.user_id, SupportBudget.used)
                                               .where(SupportBudget.process_id == ids["process"])).all()) == \
                    {winner: 1}
                assert db.session.scalar(select(RegisterEntry.claimed_by_id)
                                         .where(RegisterEntry.upload_id == ids["upload"])) == winner
        finally:
            with committed(app):
                db.session.execute(delete(Process).where(Process.id == ids["process"]))
                db.session.execute(delete(RegisterUpload).where(RegisterUpload.id == ids["upload"]))
                delete_people(ids["people"], audit_of=("user", ids["people"]))
