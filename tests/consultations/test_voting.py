"""Residents vote: the page says who may take part and why the viewer may or may not; a review step, then the
ballot is cast with a receipt shown once; every bad input is refused with its reason and nothing half-kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.db import db, utcnow
from consultations import ballots
from consultations.models import Ballot, Choice, Consultation, Receipt, RollEntry
from tests.factories import phase
from tests.support.pages import main_text


def counts(consultation_id: int) -> tuple[int, int, int, int]:
    """(roll entries, ballots, choices, receipts) of the consultation."""
    def n(model, column):
        return db.session.scalar(select(func.count()).select_from(model).where(column == consultation_id))
    choices = db.session.scalar(select(func.count()).select_from(Choice).join(Ballot, Ballot.id == Choice.ballot_id)
                                .where(Ballot.consultation_id == consultation_id))
    return (n(RollEntry, RollEntry.consultation_id), n(Ballot, Ballot.consultation_id), choices,
            n(Receipt, Receipt.consultation_id))


def form_for(c, option_ids, *, single=0, multiple=(0,), ranks=(1, 2, 3, None)) -> dict:
    data = {f"q{c.questions[0].id}": str(option_ids(c, 0)[single]),
            f"q{c.questions[1].id}": [str(option_ids(c, 1)[i]) for i in multiple]}
    for oid, rank in zip(option_ids(c, 2), ranks, strict=True):
        data[f"q{c.questions[2].id}-o{oid}"] = "" if rank is None else str(rank)
    return data


def test_the_page_says_who_may_take_part_until_when_and_what_happens(client, signed_in, make_consultation, voter,
                                                                     make_user):
    c = make_consultation(title="Church Street Green", wards=["Church Street"])
    page = main_text(client.get(f"/consultations/{c.id}"))
    assert "Verified residents of Church Street." in page
    assert "Sign in as a verified resident to vote." in page
    assert "Your ballot is secret" in page and "Nobody, council officers included, sees any count" in page
    mine = main_text(signed_in(voter).get(f"/consultations/{c.id}"))
    assert "Review my choices" in mine and "Once cast, a ballot is final" in mine
    other = make_user("verified", ward="Bayswater")
    theirs = main_text(signed_in(other).get(f"/consultations/{c.id}"))
    assert "You cannot vote now. This consultation is only for residents of Church Street." in theirs
    assert "Review my choices" not in theirs
    resident = make_user("resident")
    unverified = main_text(signed_in(resident).get(f"/consultations/{c.id}"))
    assert "Only verified residents can vote in this consultation." in unverified


def test_review_then_cast_gives_a_receipt_once_and_records_one_ballot(signed_in, make_consultation, voter,
                                                                      option_ids):
    c = make_consultation()
    client = signed_in(voter)
    data = form_for(c, option_ids, single=1, multiple=(0, 2), ranks=(2, 1, None, 3))
    review = client.post(f"/consultations/{c.id}/review", data=data)
    text = main_text(review)
    assert review.status_code == 200 and "Check your choices" in text
    assert "No" in text and "Gym" in text and "Garden" in text
    assert text.index("Trees") < text.index("Lighting") < text.index("Toilets")
    assert "Your ballot is final." in text
    assert counts(c.id) == (0, 0, 0, 0)  # reviewing writes nothing
    cast = client.post(f"/consultations/{c.id}/vote", data=data)
    page = cast.get_data(as_text=True)
    assert cast.status_code == 200 and "Your ballot is cast" in page
    code = ballots.normalise_receipt(page.split('class="receipt-code"><strong>')[1].split("<")[0])
    assert db.session.get(Receipt, code) is not None
    assert counts(c.id) == (1, 1, 1 + 2 + 3, 1)
    ranked = dict(db.session.execute(select(Choice.option_id, Choice.rank).where(
        Choice.question_id == c.questions[2].id)).all())
    ids = option_ids(c, 2)
    assert ranked == {ids[1]: 1, ids[0]: 2, ids[3]: 3}
    db.session.expire_all()
    assert db.session.get(Consultation, c.id).turnout == 1
    again = client.post(f"/consultations/{c.id}/vote", data=data)
    assert again.status_code == 409
    assert "You voted on" in main_text(again)
    assert counts(c.id) == (1, 1, 6, 1)
    with pytest.raises(ballots.RuleViolation, match="already voted"):
        ballots.cast(voter, db.session.get(Consultation, c.id), {})


@pytest.mark.parametrize(("change", "message"), [
    (lambda d, c, ids: d.update({f"q{c.questions[0].id}": str(ids(c, 1)[0])}),
     "Choose among the options of “Should the park open later?”."),
    (lambda d, c, ids: d.update({f"q{c.questions[0].id}": ""}), "Choose an option for “Should the park open later?”."),
    (lambda d, c, ids: d.update({f"q{c.questions[1].id}": [str(i) for i in ids(c, 1)[:3]]}),
     "Choose at most 2 options for “Which facilities would you use?”."),
    (lambda d, c, ids: d.update({f"q{c.questions[1].id}": []}),
     "Choose at least 1 option for “Which facilities would you use?”."),
    (lambda d, c, ids: d.update({f"q{c.questions[2].id}-o{ids(c, 2)[3]}": "1"}),
     "“Toilets” has the same rank (1) as “Lighting”: give each option its own rank."),
    (lambda d, c, ids: d.update({f"q{c.questions[2].id}-o{ids(c, 2)[3]}": "4"}),
     "Rank at most 3 options of “Rank the improvements”."),
    (lambda d, c, ids: d.update({f"q{c.questions[2].id}-o{ids(c, 2)[3]}": "x"}),
     "Give “Toilets” a rank from 1 to 4, or leave it blank."),
    (lambda d, c, ids: [d.update({f"q{c.questions[2].id}-o{i}": ""}) for i in ids(c, 2)],
     "Rank at least one option of “Rank the improvements”."),
])
def test_bad_choices_are_refused_beside_the_question_and_nothing_is_kept(signed_in, make_consultation, voter,
                                                                         option_ids, change, message):
    c = make_consultation()
    data = form_for(c, option_ids)
    change(data, c, option_ids)
    client = signed_in(voter)
    for step in ("review", "vote"):
        response = client.post(f"/consultations/{c.id}/{step}", data=data)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert message in main_text(response)
        assert "There is a problem" in page
    assert counts(c.id) == (0, 0, 0, 0)


def test_the_service_refuses_options_of_another_question_and_questions_of_another_consultation(
        make_consultation, voter, option_ids):
    c, other = make_consultation(), make_consultation()
    good = {c.questions[0].id: option_ids(c, 0)[0], c.questions[1].id: [option_ids(c, 1)[0]],
            c.questions[2].id: option_ids(c, 2)[:2]}
    for bad in ({**good, c.questions[1].id: [option_ids(other, 1)[0]]},
                {**good, other.questions[0].id: option_ids(other, 0)[0]},
                {**good, c.questions[2].id: [option_ids(c, 2)[0], option_ids(c, 2)[0]]},
                {**good, c.questions[1].id: "many"}, {**good, "x": 1}, ["not", "an", "object"]):
        with pytest.raises(ballots.RuleViolation) as refused:
            ballots.cast(voter, c, bad)
        assert refused.value.field
    assert counts(c.id) == (0, 0, 0, 0)
    assert len(ballots.cast(voter, c, good)) == ballots.RECEIPT_LENGTH


@pytest.mark.parametrize(("opens", "closes", "message"), [
    (1, 5, "Voting opens on"), (-5, -1, "Voting closed on")])
def test_not_yet_open_and_closed_consultations_refuse(signed_in, make_consultation, voter, option_ids, opens,
                                                      closes, message):
    now = utcnow()
    c = make_consultation(opens=now + timedelta(days=opens), closes=now + timedelta(days=closes))
    response = signed_in(voter).post(f"/consultations/{c.id}/vote", data=form_for(c, option_ids))
    assert response.status_code == 409
    assert message in main_text(response)
    assert counts(c.id) == (0, 0, 0, 0)


def test_ineligible_voters_are_refused_with_the_reason(make_user, make_consultation, option_ids, signed_in):
    c = make_consultation(wards=["Church Street"])
    for person, reason in ((make_user("resident"), "Only verified residents can vote"),
                           (make_user("verified", ward="Bayswater"), "only for residents of Church Street")):
        response = signed_in(person).post(f"/consultations/{c.id}/vote", data=form_for(c, option_ids))
        assert response.status_code == 403
        assert reason in main_text(response)
    assert counts(c.id) == (0, 0, 0, 0)


def test_as_a_process_component_voting_follows_the_phase(make_process, make_consultation, voter, option_ids):
    now = utcnow()
    process = make_process(phases=[phase("Ideas", now - timedelta(days=2), now + timedelta(days=1), "comment"),
                                   phase("Ballot", now + timedelta(days=1), now + timedelta(days=9), "vote")])
    c = make_consultation(process=process, closes=now + timedelta(days=9))
    assert ballots.voter_refusal(voter, c).startswith("Voting is not open in this phase (Ideas).")
    with pytest.raises(ballots.RuleViolation, match="Voting is not open in this phase"):
        ballots.cast(voter, c, {})
    process.phases[0].set_actions({"comment", "vote"})
    db.session.flush()
    assert ballots.voter_refusal(voter, c) is None


def test_drafts_are_hidden_from_residents_and_officer_pages_refuse_them(client, signed_in, make_consultation,
                                                                        voter, officer):
    draft = make_consultation(published=False)
    assert client.get(f"/consultations/{draft.id}").status_code == 404
    assert signed_in(voter).get(f"/consultations/{draft.id}").status_code == 404
    assert signed_in(voter).post(f"/consultations/{draft.id}/vote", data={}).status_code == 404
    assert signed_in(voter).get(f"/consultations/{draft.id}/manage").status_code == 403
    assert signed_in(officer).get(f"/consultations/{draft.id}").status_code == 200
    assert signed_in(officer).get(f"/consultations/{draft.id}/preview").status_code == 200


def test_a_receipt_can_be_checked(client, make_consultation, voter, option_ids):
    c = make_consultation()
    code = ballots.cast(voter, c, {c.questions[0].id: option_ids(c, 0)[0], c.questions[1].id: [option_ids(c, 1)[0]],
                                   c.questions[2].id: option_ids(c, 2)[:1]})
    db.session.commit()
    found = main_text(client.get(f"/consultations/{c.id}/receipt?code={ballots.shown(code).lower()}"))
    assert "This receipt is in the ballot box" in found
    missing = main_text(client.get(f"/consultations/{c.id}/receipt?code=2222-3333-4444-5555"))
    assert "is not in this consultation's ballot box" in missing
    bad = main_text(client.get(f"/consultations/{c.id}/receipt?code=abc"))
    assert "Enter the receipt code as it was shown" in bad


def test_the_list_takes_a_fixed_number_of_queries(client, make_consultation, count_queries):
    for _ in range(3):
        make_consultation()
    with count_queries() as few:
        assert client.get("/consultations/").status_code == 200
    for n in range(12):
        make_consultation(wards=["Church Street", "Bayswater"] if n % 2 else ())
    with count_queries() as many:
        page = main_text(client.get("/consultations/"))
    assert "Verified residents of Bayswater, Church Street." in page
    assert many.count == few.count


def test_a_ballot_whose_consultation_closed_meanwhile_is_refused_and_not_kept(make_consultation, voter, option_ids):
    c = make_consultation()
    rows = {c.questions[0].id: [(option_ids(c, 0)[0], None)]}
    c.closes_at = utcnow() - timedelta(seconds=1)  # it closed after the request checked the time
    db.session.flush()
    savepoint = db.session.begin_nested()  # the request's transaction
    with pytest.raises(ballots.RuleViolation, match="Voting closed on"):
        ballots._into_the_box(c, rows, {"user_id": voter.id, "channel": "online"})
    savepoint.rollback()  # a refusal rolls the request back
    assert counts(c.id) == (0, 0, 0, 0)
