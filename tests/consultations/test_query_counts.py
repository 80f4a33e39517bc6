"""The ballot POST and the consultation's page run a fixed, small number of SQL statements whatever the number of
questions and options (issue #16, "Speed": ``bench/consultations.py`` measures their time; these pin the work).

The ballot POST with a token: the token's sign-in (the token with its person, their roles, the token's
``last_used_at``: three, outside this domain), then six: the consultation with its questions and options (one
joined statement), the roll's ``INSERT ... ON CONFLICT`` (the register entry a subquery of it), the ballot, its
choices (one executemany), the receipt, the turnout ``UPDATE``. A consultation limited to wards reads its wards too.

The page signed out: the consultation (one statement), the comments and their moderation; signed in, the roll once.
"""

from __future__ import annotations

from civic.db import db
from tests.consultations.test_api import bearer

SIGN_IN_BY_TOKEN = 3
BALLOT_POST = SIGN_IN_BY_TOKEN + 6
PAGE_SIGNED_OUT = 3

BIG = [("single", "One?", [f"S{k}" for k in range(6)]), ("multiple", "Some?", [f"M{k}" for k in range(8)], 1, 3),
       ("ranked", "Order?", [f"R{k}" for k in range(8)], 1, 3), ("single", "Again?", ["Yes", "No"])]


def _answers(c) -> dict[str, object]:
    out: dict[str, object] = {}
    for q in c.questions:
        ids = [o.id for o in q.options]
        out[str(q.id)] = ids[0] if q.kind == "single" else ids[:2] if q.kind == "multiple" else ids[::-1][:3]
    return out


def _post(client, count_queries, c, user) -> int:
    headers, answers, cid = bearer(user), _answers(c), c.id
    db.session.expunge_all()  # as a fresh request: nothing read before
    with count_queries() as counted:
        response = client.post(f"/api/v1/consultations/{cid}/ballot", json={"answers": answers}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return counted.count


def _page(client, count_queries, c) -> int:
    cid = c.id
    db.session.expunge_all()
    with count_queries() as counted:
        response = client.get(f"/consultations/{cid}")
    assert response.status_code == 200
    return counted.count


def test_the_ballot_post_runs_a_fixed_few_statements(client, make_consultation, make_user, count_queries):
    small = make_consultation()
    assert _post(client, count_queries, small, make_user("verified")) == BALLOT_POST
    big = make_consultation(questions=BIG)
    assert _post(client, count_queries, big, make_user("verified")) == BALLOT_POST
    in_wards = make_consultation(questions=BIG, wards=["Church Street"])
    assert _post(client, count_queries, in_wards, make_user("verified", ward="Church Street")) == BALLOT_POST + 1


def test_a_second_ballot_is_refused_after_the_rolls_insert_with_when_it_was_cast(client, make_consultation, voter,
                                                                                 count_queries):
    c = make_consultation()
    headers, answers, cid = bearer(voter), _answers(c), c.id
    assert client.post(f"/api/v1/consultations/{cid}/ballot", json={"answers": answers},
                       headers=headers).status_code == 201
    again = client.post(f"/api/v1/consultations/{cid}/ballot", json={"answers": answers}, headers=headers)
    assert again.status_code == 409
    assert "You have already voted in this consultation (on " in again.get_json()["error"]


def test_the_page_runs_a_fixed_few_statements(client, signed_in, make_consultation, voter, count_queries):
    assert _page(client, count_queries, make_consultation()) == PAGE_SIGNED_OUT
    assert _page(client, count_queries, make_consultation(questions=BIG)) == PAGE_SIGNED_OUT
    in_wards = make_consultation(questions=BIG, wards=["Church Street"])
    assert _page(client, count_queries, in_wards) == PAGE_SIGNED_OUT + 1
    mine = signed_in(voter)
    db.session.expunge_all()
    cid = in_wards.id
    with count_queries() as counted:
        assert mine.get(f"/consultations/{cid}").status_code == 200
    roll = [s for s in counted.statements if "consultation_roll" in s]
    assert len(roll) == 1, roll
