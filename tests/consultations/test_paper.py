"""Paper ballots from a community event: the officer finds the voter (by name, or in the register by postcode and
date of birth), enters the ballot into the same box, and the roll says "on paper at <event>". One ballot per person
across both channels."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from civic.db import db
from civic.verification import services as verification
from civic.verification.models import RegisterEntry, RegisterUpload
from consultations import ballots
from consultations.models import RollEntry
from tests.factories import ward_named
from tests.support.pages import main_text


@pytest.fixture
def register_entry():
    def make(postcode="W2 1AA", born=date(1980, 5, 17), ward="Church Street", claimed_by=None):
        upload = RegisterUpload(filename="register.csv")
        db.session.add(upload)
        db.session.flush()
        entry = RegisterEntry(lookup_hash=verification.lookup_hash(postcode, born), ward_id=ward_named(ward).id,
                              upload_id=upload.id, claimed_by_id=claimed_by.id if claimed_by else None)
        db.session.add(entry)
        db.session.flush()
        return entry

    return make


def _ballot(c, option_ids) -> dict:
    return {f"q{c.questions[0].id}": str(option_ids(c, 0)[2]), f"q{c.questions[1].id}": [str(option_ids(c, 1)[1])],
            f"q{c.questions[2].id}-o{option_ids(c, 2)[0]}": "1"}


def test_an_officer_enters_a_paper_ballot_found_by_name(signed_in, officer, make_user, make_consultation,
                                                        option_ids):
    c = make_consultation()
    person = make_user("verified", ward="Church Street", display_name="Aisha Paddington")
    client = signed_in(officer)
    found = main_text(client.get(f"/consultations/{c.id}/paper?name=paddington"))
    assert "Aisha Paddington" in found
    response = client.post(f"/consultations/{c.id}/paper", data={
        "user_id": str(person.id), "event_name": "Church Street market day", **_ballot(c, option_ids)})
    assert response.status_code == 200
    assert "The ballot is in the box" in main_text(response)
    entry = db.session.scalar(select(RollEntry).where(RollEntry.consultation_id == c.id))
    assert (entry.user_id, entry.channel, entry.event_name, entry.entered_by_id) == (
        person.id, "paper", "Church Street market day", officer.id)
    # The person can no longer vote online, and is told why.
    assert ballots.voter_refusal(person, c) == ("You have already voted in this consultation, on paper at Church "
                                                "Street market day.")
    again = client.post(f"/consultations/{c.id}/paper", data={
        "user_id": str(person.id), "event_name": "Another day", **_ballot(c, option_ids)})
    assert "Aisha Paddington has already voted in this consultation (on paper at Church Street market day)." in \
        main_text(again)


def test_someone_who_voted_online_cannot_be_entered_on_paper(officer, voter, make_consultation, option_ids):
    c = make_consultation()
    ballots.cast(voter, c, {c.questions[0].id: option_ids(c, 0)[0], c.questions[1].id: [option_ids(c, 1)[0]],
                            c.questions[2].id: option_ids(c, 2)[:1]})
    with pytest.raises(ballots.RuleViolation, match="has already voted in this consultation \\(online\\)"):
        ballots.cast_paper(officer, c, ballots.paper_voter_for_user(officer, c, voter.id), "Fair",
                           {c.questions[0].id: option_ids(c, 0)[0], c.questions[1].id: [option_ids(c, 1)[0]],
                            c.questions[2].id: option_ids(c, 2)[:1]})


def test_a_resident_without_an_account_is_found_in_the_register(signed_in, officer, make_consultation, option_ids,
                                                                register_entry, make_user):
    c = make_consultation(wards=["Church Street"])
    entry = register_entry()
    client = signed_in(officer)
    page = main_text(client.get(f"/consultations/{c.id}/paper?postcode=w21aa&date_of_birth=17/5/1980"))
    assert "Ballot of Register entry in Church Street" in page
    done = client.post(f"/consultations/{c.id}/paper", data={
        "postcode": "W2 1AA", "date_of_birth": "17/5/1980", "event_name": "Library open day", **_ballot(c, option_ids)})
    assert "The ballot is in the box" in main_text(done)
    assert db.session.scalar(select(RollEntry.register_entry_id).where(RollEntry.consultation_id == c.id)) == entry.id
    # Later the same resident verifies an account with the register: they have voted already.
    person = make_user("verified", ward="Church Street")
    entry.claimed_by_id = person.id
    db.session.flush()
    assert "on paper at Library open day" in ballots.voter_refusal(person, c)
    missing = main_text(client.get(f"/consultations/{c.id}/paper?postcode=W2 1AA&date_of_birth=1/1/1990"))
    assert "Nobody with that postcode and date of birth is in the residents register." in missing


def test_paper_ballots_keep_the_rules(officer, make_consultation, option_ids, register_entry):
    c = make_consultation(wards=["Church Street"])
    outsider = ballots.PaperVoter(user=None, entry=register_entry(postcode="W2 2AA", ward="Bayswater"),
                                  ward_id=ward_named("Bayswater").id, label="Someone")
    good = {c.questions[0].id: option_ids(c, 0)[0], c.questions[1].id: [option_ids(c, 1)[0]],
            c.questions[2].id: option_ids(c, 2)[:1]}
    with pytest.raises(ballots.RuleViolation, match="only for residents of Church Street"):
        ballots.cast_paper(officer, c, outsider, "Fair", good)
    insider = ballots.PaperVoter(user=None, entry=register_entry(), ward_id=ward_named("Church Street").id,
                                 label="Someone")
    with pytest.raises(ballots.RuleViolation, match="name of the event"):
        ballots.cast_paper(officer, c, insider, " ", good)
    with pytest.raises(ballots.RuleViolation, match="Choose at most 2"):
        ballots.cast_paper(officer, c, insider, "Fair", {**good, c.questions[1].id: option_ids(c, 1)[:3]})
    assert db.session.scalar(select(RollEntry.id).where(RollEntry.consultation_id == c.id)) is None
