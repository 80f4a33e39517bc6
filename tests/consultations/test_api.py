"""The JSON API: consultations, questions, results after close, the ballot files; casting a ballot with a personal
access token under the same rules as the page (422 naming the field, 409 for a rule, 403 for eligibility)."""

from __future__ import annotations

from datetime import timedelta

from civic.accounts import api_tokens
from civic.db import db, utcnow
from consultations import ballots
from tests.factories import PASSWORD


def bearer(user) -> dict[str, str]:
    _row, raw = api_tokens.create_token(user, "Script", PASSWORD)
    db.session.commit()  # a refused request rolls back: the token must not go with it
    return {"Authorization": f"Bearer {raw}"}


def test_the_list_and_one_consultation_with_its_questions(client, make_consultation):
    c = make_consultation(title="Lamps")
    make_consultation(published=False, title="Secret draft")
    listed = client.get("/api/v1/consultations").get_json()
    assert [i["title"] for i in listed["items"]] == ["Lamps"] and listed["items"][0]["status"] == "open"
    one = client.get(f"/api/v1/consultations/{c.id}").get_json()
    assert [q["kind"] for q in one["questions"]] == ["single", "multiple", "ranked"]
    assert one["questions"][1]["rule"] == "Choose from 1 to 2 options." and one["results"] is None
    assert "consultations" in [col["name"] for col in client.get("/api/v1/").get_json()["collections"]]


def test_casting_with_a_token_gives_a_receipt_once(client, make_consultation, voter, option_ids):
    c = make_consultation()
    headers = bearer(voter)
    answers = {str(c.questions[0].id): option_ids(c, 0)[0], str(c.questions[1].id): option_ids(c, 1)[:2],
               str(c.questions[2].id): option_ids(c, 2)[::-1][:3]}
    response = client.post(f"/api/v1/consultations/{c.id}/ballot", json={"answers": answers}, headers=headers)
    assert response.status_code == 201
    code = response.get_json()["receipt"]
    assert ballots.receipt_counted(c, code)
    again = client.post(f"/api/v1/consultations/{c.id}/ballot", json={"answers": answers}, headers=headers)
    assert again.status_code == 409 and "already voted" in again.get_json()["error"]


def test_bad_ballots_are_422_naming_the_field_and_rules_409_or_403(client, make_consultation, voter, make_user,
                                                                   option_ids):
    c = make_consultation(wards=["Church Street"])
    headers = bearer(voter)
    url = f"/api/v1/consultations/{c.id}/ballot"
    good = {str(c.questions[0].id): option_ids(c, 0)[0], str(c.questions[1].id): [option_ids(c, 1)[0]],
            str(c.questions[2].id): option_ids(c, 2)[:1]}
    for answers, field in (({**good, str(c.questions[1].id): option_ids(c, 1)}, f"q{c.questions[1].id}"),
                           ({**good, str(c.questions[2].id): [option_ids(c, 2)[0]] * 2}, f"q{c.questions[2].id}"),
                           ({**good, "999999": 1}, "answers"), ("nope", "answers")):
        response = client.post(url, json={"answers": answers}, headers=headers)
        assert response.status_code == 422, answers
        assert response.get_json()["field"] == field
    assert client.post(url, json={}, headers=headers).status_code == 422
    outsider = make_user("verified", ward="Bayswater")
    refused = client.post(url, json={"answers": good}, headers=bearer(outsider))
    assert refused.status_code == 403 and "only for residents of Church Street" in refused.get_json()["error"]
    assert client.post(url, json={"answers": good}).status_code == 401
    closed = make_consultation(opens=utcnow() - timedelta(days=5), closes=utcnow() - timedelta(days=1))
    late = client.post(f"/api/v1/consultations/{closed.id}/ballot", json={"answers": {}}, headers=headers)
    assert late.status_code == 409 and "Voting closed on" in late.get_json()["error"]
    db.session.expire_all()
    assert c.turnout == 0


def test_results_and_files_after_close(client, make_consultation, voter, option_ids):
    c = make_consultation()
    ballots.cast(voter, c, {c.questions[0].id: option_ids(c, 0)[1], c.questions[1].id: [option_ids(c, 1)[0]],
                            c.questions[2].id: option_ids(c, 2)[:2]})
    db.session.commit()
    assert client.get(f"/api/v1/consultations/{c.id}/results").status_code == 409
    c.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    data = client.get(f"/api/v1/consultations/{c.id}/results").get_json()
    assert data["turnout"]["ballots"] == 1
    assert [o["votes"] for o in data["questions"][0]["result"]["options"]] == [0, 1, 0]
    assert len(client.get(f"/api/v1/consultations/{c.id}/ballots").get_json()["ballots"]) == 1
    assert len(client.get(f"/api/v1/consultations/{c.id}/receipts").get_json()["receipts"]) == 1
    assert client.get(f"/api/v1/consultations/{c.id}").get_json()["results"].endswith(f"/consultations/{c.id}/results")


def test_the_list_is_paged_in_a_fixed_number_of_queries(client, make_consultation, count_queries):
    for n in range(3):
        make_consultation(title=f"Paged {n}")
    first = client.get("/api/v1/consultations?per_page=2").get_json()
    assert len(first["items"]) == 2 and first["total"] == 3
    with count_queries() as few:
        client.get("/api/v1/consultations")
    for n in range(10):
        make_consultation(title=f"More {n}")
    with count_queries() as many:
        client.get("/api/v1/consultations")
    assert many.count == few.count
