"""Results after close only (officers and administrators included); turnout live; counts, instant-runoff rounds and
Borda after close; turnout by ward with "<10"; charts with their tables; the files; the recount command."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.db import db, utcnow
from consultations import ballots, results
from consultations.cli import cli
from consultations.models import Consultation
from tests.support.pages import main_text


@pytest.fixture
def closed_with_votes(make_consultation, make_people, option_ids, make_user):
    """A consultation that was open, received 12 ballots (11 online in Church Street, one in Bayswater) and closed
    an hour ago; first preferences on the ranked question: Lighting 5, Trees 4, Play area 3."""
    now = utcnow()
    c = make_consultation(opens=now - timedelta(days=3), closes=now + timedelta(days=1))
    people = make_people(11, roles=["verified"], ward_id=make_user("verified", ward="Church Street").ward_id)
    people.append(make_user("verified", ward="Bayswater"))
    single, multiple, ranked = (option_ids(c, n) for n in range(3))
    for n, person in enumerate(people):
        first = 0 if n < 5 else (1 if n < 9 else 2)
        order = [ranked[first]] + [o for o in ranked[:3] if o != ranked[first]][:1]
        ballots.cast(person, c, {c.questions[0].id: single[n % 2], c.questions[1].id: [multiple[0]],
                                 c.questions[2].id: order})
    c.closes_at = now - timedelta(hours=1)
    db.session.commit()
    return c


def test_before_the_close_nobody_sees_a_count_only_the_turnout(make_consultation, voter, option_ids, client_as):
    c = make_consultation()
    ballots.cast(voter, c, {c.questions[0].id: option_ids(c, 0)[0], c.questions[1].id: [option_ids(c, 1)[0]],
                            c.questions[2].id: option_ids(c, 2)[:1]})
    db.session.commit()
    for role in ("anonymous", "officer", "admin"):
        client, _user = client_as(role)
        page = main_text(client.get(f"/consultations/{c.id}/results"))
        assert "The results are counted after the consultation closes." in page and "Ballots cast so far: 1" in page
        assert client.get(f"/api/v1/consultations/{c.id}/results").status_code == 409
        for path in ("ballots.csv", "ballots.json", "receipts.csv", "receipts.json"):
            assert client.get(f"/consultations/{c.id}/{path}").status_code == 409
        assert "Ballots cast so far 1" in main_text(client.get(f"/consultations/{c.id}"))
    with pytest.raises(results.RuleViolation, match="counted after the consultation closes"):
        results.results(c)


def test_after_the_close_the_counts_rounds_and_borda_are_shown_with_tables(client, closed_with_votes):
    c = closed_with_votes
    data = results.results(c)
    assert data["turnout"] == {"ballots": 12, "online": 12, "paper": "<10",
                               "wards": [{"ward": "Bayswater", "ballots": "<10"},
                                         {"ward": "Church Street", "ballots": 11}]}
    single, multiple, ranked = (q["result"] for q in data["questions"])
    assert [o["votes"] for o in single["options"]] == [6, 6, 0] and single["options"][0]["percent"] == 50.0
    assert [o["votes"] for o in multiple["options"]] == [12, 0, 0, 0]
    assert [o["votes"] for o in ranked["runoff"]["rounds"][0]["votes"]] == [5, 4, 3, 0]
    assert ranked["runoff"]["winner"] == c.questions[2].options[0].id
    response = client.get(f"/consultations/{c.id}/results")
    page, text = response.get_data(as_text=True), main_text(response)
    assert "Winner by instant runoff: Lighting." in text and "Borda count, for comparison" in text
    assert "Round 1" in text and "Eliminated: Toilets." in text
    assert page.count("<svg role=\"img\"") == 4 and page.count("<table") >= 4  # every chart has its table
    assert "Church Street 11" in text and "Bayswater <10" in text


def test_the_count_task_freezes_the_results_and_tells_followers(closed_with_votes, published_events):
    c = closed_with_votes
    assert results.count_closed() == 1
    db.session.commit()
    db.session.expire_all()
    frozen = db.session.get(Consultation, c.id)
    assert frozen.counted_at is not None and json.loads(frozen.results_json) == results.compute(frozen)
    assert ("consultation.results_published", c.id) in [(n, s.id) for n, s, _d in published_events]
    assert results.count_closed() == 0


def test_the_ballot_files_hold_every_ballot_shuffled_and_nothing_else(client, closed_with_votes):
    c = closed_with_votes
    body = client.get(f"/consultations/{c.id}/ballots.json").get_json()
    assert body["licence"]["name"].startswith("Open Government Licence")
    assert len(body["ballots"]) == 12 and {len(b) for b in body["ballots"]} == {3}
    assert set(body["ballots"][0]) == {str(q.id) for q in c.questions}
    csv_text = client.get(f"/consultations/{c.id}/ballots.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == ",".join(f"q{q.id}" for q in c.questions) and len(csv_text.splitlines()) == 13
    receipts = client.get(f"/consultations/{c.id}/receipts.json").get_json()["receipts"]
    assert len(receipts) == 12 and receipts == sorted(receipts)


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_the_recount_command_recomputes_the_results_from_the_file_alone(app, client, closed_with_votes, tmp_path,
                                                                        suffix):
    c = closed_with_votes
    path = tmp_path / f"ballots.{suffix}"
    path.write_bytes(client.get(f"/consultations/{c.id}/ballots.{suffix}").get_data())
    runner = app.test_cli_runner()
    ok = runner.invoke(cli, ["tally", str(c.id), "--ballots", str(path)])
    assert ok.exit_code == 0, ok.output
    assert "The recount matches the published results." in ok.output
    # One ballot changed: the recount says so.
    if suffix == "json":
        data = json.loads(path.read_text())
        ranked = str(c.questions[2].id)
        data["ballots"] = [b for b in data["ballots"] if b[ranked][0] != c.questions[2].options[2].id] + [
            b for b in data["ballots"] if b[ranked][0] == c.questions[2].options[2].id][1:]
        path.write_text(json.dumps(data))
    else:
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[:-1]) + "\n")
    differs = runner.invoke(cli, ["tally", str(c.id), "--ballots", str(path)])
    assert differs.exit_code == 1 and "DIFFERS" in differs.output
    path.write_text("not a ballot file")
    bad = runner.invoke(cli, ["tally", str(c.id), "--ballots", str(path)])
    assert bad.exit_code == 1 and "The file is not a ballot file" in bad.output


def test_the_recount_refuses_before_the_close(app, make_consultation, tmp_path):
    c = make_consultation()
    db.session.commit()
    path = tmp_path / "b.json"
    path.write_text("{}")
    refused = app.test_cli_runner().invoke(cli, ["tally", str(c.id), "--ballots", str(path)])
    assert refused.exit_code != 0 and "counted after the consultation closes" in refused.output
    assert db.session.scalar(select(Consultation.results_json).where(Consultation.id == c.id)) is None
