"""The roll (who voted) and the ballot box (what was chosen) have nothing that joins them: no column, no index,
no order. Receipts prove inclusion only. Deleting an account keeps its roll entry (anonymised) and its ballot."""

from __future__ import annotations

from sqlalchemy import inspect, select

from civic.accounts import services as accounts
from civic.accounts.models import User
from civic.db import db
from consultations import ballots
from consultations.models import Ballot, Choice, Receipt, RollEntry
from tests.factories import PASSWORD

BOX = ("consultation_ballots", "consultation_choices", "consultation_receipts")


def test_no_column_or_index_of_the_ballot_box_can_join_the_roll():
    inspector = inspect(db.engine)
    allowed = {"consultation_ballots": {"id", "consultation_id"},
               "consultation_choices": {"ballot_id", "question_id", "option_id", "rank"},
               "consultation_receipts": {"code", "consultation_id"}}
    for table in BOX:
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        assert set(columns) == allowed[table], table
        # Nothing about a person or a moment: no user, no register entry, no time, no sequence.
        for c in columns.values():
            assert "DATE" not in str(c["type"]).upper() and "TIME" not in str(c["type"]).upper()
        for fk in inspector.get_foreign_keys(table):
            assert fk["referred_table"] in {"consultations", "consultation_ballots", "consultation_questions",
                                            "consultation_options"}, fk
        for index in inspector.get_indexes(table):
            assert set(index["column_names"]) <= {"consultation_id", "question_id"}, index
    ballot_key = inspector.get_pk_constraint("consultation_ballots")["constrained_columns"]
    assert ballot_key == ["id"] and "VARCHAR" in str(Ballot.__table__.c.id.type).upper()  # random, not a sequence
    roll = {c["name"] for c in inspector.get_columns("consultation_roll")}
    assert not roll & {"ballot_id", "receipt", "code"}
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("consultation_roll")} == {
        "consultations", "users", "register_entries", "wards"}


def test_the_order_of_ballots_says_nothing_of_the_order_of_voting(make_consultation, make_people, option_ids):
    c = make_consultation(questions=[("single", "Yes or no?", ["Yes", "No"])])
    people = make_people(24, roles=["verified"])
    receipts = [ballots.cast(p, c, {c.questions[0].id: option_ids(c, 0)[0]}) for p in people]
    voted = [r.user_id for r in db.session.scalars(select(RollEntry).where(RollEntry.consultation_id == c.id)
                                                   .order_by(RollEntry.voted_at, RollEntry.id))]
    assert voted == [p.id for p in people]
    keys = list(db.session.scalars(select(Ballot.id).where(Ballot.consultation_id == c.id)))
    # Random keys: in key order the ballots are not in voting order (24! orders; one chance in 6 x 10^23).
    assert sorted(keys) != keys or len(set(keys)) != 24
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in keys)
    codes = list(db.session.scalars(select(Receipt.code).where(Receipt.consultation_id == c.id)))
    assert sorted(codes) == sorted(receipts)
    # A receipt names no ballot: no table holds a receipt beside a ballot key.
    assert not set(codes) & set(keys)


def test_deleting_an_account_keeps_its_anonymised_roll_entry_and_its_ballot(make_consultation, voter, option_ids):
    c = make_consultation(questions=[("single", "Yes or no?", ["Yes", "No"])])
    ballots.cast(voter, c, {c.questions[0].id: option_ids(c, 0)[1]})
    db.session.commit()
    accounts.delete_account(voter, PASSWORD)
    db.session.commit()
    entry = db.session.scalar(select(RollEntry).where(RollEntry.consultation_id == c.id))
    assert entry is not None
    person = db.session.get(User, entry.user_id) if entry.user_id else None
    assert person is None or person.email is None  # the account is anonymised
    assert db.session.scalar(select(Choice.option_id).join(Ballot).where(Ballot.consultation_id == c.id)) == \
        option_ids(c, 0)[1]
