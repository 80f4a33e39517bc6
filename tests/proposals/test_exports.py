"""CSV and JSON exports: open data with a licence, public proposals and public fields only, streamed."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import insert

from civic.db import db, utcnow
from proposals import exports
from proposals.models import Endorsement, Proposal, ProposalCategoryLink, Support
from tests.factories import ward_named

FIELDS = ["id", "title", "body", "ward", "categories", "state", "answer_state", "answer_text", "supports_count",
          "comments_count", "endorsements_count", "published_at", "url", "latitude", "longitude"]


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def world(make_process, make_proposal, make_user, categories_of):
    process = make_process(title="Cleaner air", slug="cleaner-air", categories=["Air quality", "Cycling"])
    air, cycling = categories_of(process)
    author = make_user("resident", nickname="sam_secretive", display_name="Samira Secretive",
                       email="samira.private@example.org")
    supporter = make_user("verified", nickname="val_supporter", display_name="Valentine Supporter",
                          email="valentine.private@example.org")
    p = {
        "sensors": make_proposal(process, author, title="Air sensors at the school gates", ward="Church Street",
                                 categories=[air, cycling], latitude=51.5225, longitude=-0.1705,
                                 supports_count=1, endorsements_count=1, answer_state="accepted",
                                 answer_text="We will do it this spring.", body="Measure **NO2** every hour."),
        "hangars": make_proposal(process, author, title="Cycle hangars for Maida Vale flats", ward="Maida Vale",
                                 categories=[cycling]),
        "formula": make_proposal(process, author, title="=HYPERLINK(\"http://evil.example\",\"Click me\")",
                                 ward="Bayswater"),
        "draft": make_proposal(process, author, title="A draft nobody else should read", state="draft"),
        "hidden": make_proposal(process, author, title="Hidden by the moderators today", hidden_at=utcnow()),
        "withdrawn": make_proposal(process, author, title="Withdrawn by its own author", state="withdrawn"),
    }
    db.session.add(Support(proposal_id=p["sensors"].id, user_id=supporter.id, process_id=process.id))
    db.session.add(Endorsement(proposal_id=p["sensors"].id, user_id=supporter.id, endorser_key=f"u:{supporter.id}"))
    db.session.commit()
    return process, p


PRIVATE = ("samira.private@example.org", "valentine.private@example.org", "sam_secretive", "val_supporter",
           "Samira Secretive", "Valentine Supporter", "@example.org")


def test_csv_holds_the_public_proposals_and_public_fields_only(client, world):
    _process, p = world
    response = client.get("/processes/cleaner-air/proposals/export.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="cleaner-air-proposals-')
    assert 'rel="license"' in response.headers["Link"] and "open-government-licence/version/3" in \
        response.headers["Link"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Attribution"].startswith("Contains public sector information from Westminster")
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(FIELDS)
    rows = read_csv(response)
    assert [int(r["id"]) for r in rows] == sorted(p[k].id for k in ("sensors", "hangars", "formula"))
    sensors = next(r for r in rows if int(r["id"]) == p["sensors"].id)
    assert sensors == {
        "id": str(p["sensors"].id), "title": "Air sensors at the school gates", "body": "Measure **NO2** every hour.",
        "ward": "Church Street", "categories": "Air quality; Cycling", "state": "published",
        "answer_state": "accepted", "answer_text": "We will do it this spring.", "supports_count": "1",
        "comments_count": "0", "endorsements_count": "1",
        "published_at": p["sensors"].published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),  # UTC, to the second
        "url": f"http://civic.test/proposals/{p['sensors'].id}", "latitude": "51.5225", "longitude": "-0.1705"}
    hangars = next(r for r in rows if int(r["id"]) == p["hangars"].id)
    assert hangars["latitude"] == "" and hangars["longitude"] == ""
    for secret in (*PRIVATE, "draft nobody", "Hidden by the moderators", "Withdrawn by its own"):
        assert secret not in text


def test_csv_neutralises_spreadsheet_formulas(client, world):
    _process, p = world
    rows = read_csv(client.get("/processes/cleaner-air/proposals/export.csv"))
    formula = next(r for r in rows if int(r["id"]) == p["formula"].id)
    assert formula["title"].startswith("'=HYPERLINK(")


def test_json_is_an_array_of_the_same_records(client, world):
    _process, p = world
    response = client.get("/processes/cleaner-air/proposals/export.json")
    assert response.status_code == 200 and response.is_streamed and response.mimetype == "application/json"
    assert 'rel="license"' in response.headers["Link"]
    assert response.headers["Content-Disposition"].endswith('.json"')
    records = json.loads(response.get_data(as_text=True))
    assert isinstance(records, list) and [r["id"] for r in records] == sorted(
        p[k].id for k in ("sensors", "hangars", "formula"))
    assert all(list(r) == FIELDS for r in records)
    sensors = records[0]
    assert sensors["categories"] == ["Air quality", "Cycling"] and sensors["latitude"] == 51.5225
    assert sensors["supports_count"] == 1 and sensors["answer_state"] == "accepted"
    assert records[1]["latitude"] is None
    formula = next(r for r in records if r["id"] == p["formula"].id)
    assert formula["title"].startswith("=HYPERLINK(")  # JSON carries the words as written
    text = response.get_data(as_text=True)
    for secret in (*PRIVATE, "draft nobody", "Hidden by the moderators", "Withdrawn by its own"):
        assert secret not in text


def test_exports_follow_the_list_filters(client, world):
    _process, p = world
    rows = read_csv(client.get("/processes/cleaner-air/proposals/export.csv?ward=maida-vale"))
    assert [int(r["id"]) for r in rows] == [p["hangars"].id]
    records = json.loads(client.get("/processes/cleaner-air/proposals/export.json?category=air-quality").data)
    assert [r["id"] for r in records] == [p["sensors"].id]
    withdrawn = json.loads(client.get("/processes/cleaner-air/proposals/export.json?state=withdrawn").data)
    assert [r["id"] for r in withdrawn] == [p["withdrawn"].id]
    # Nonsense filters are ignored, as on the list page: never a way to reach drafts.
    everything = json.loads(client.get("/processes/cleaner-air/proposals/export.json?state=draft&ward=x").data)
    assert len(everything) == 3


def test_open_to_everyone_but_not_for_unpublished_processes(client, client_as, make_process):
    make_process(title="Unpublished", slug="unpublished", published=False)
    assert client.get("/processes/unpublished/proposals/export.csv").status_code == 404
    assert client.get("/processes/unpublished/proposals/export.json").status_code == 404
    assert client.get("/processes/nowhere/proposals/export.csv").status_code == 404
    resident, _user = client_as("resident")
    assert resident.get("/processes/unpublished/proposals/export.csv").status_code == 404
    officer, _user = client_as("officer")
    response = officer.get("/processes/unpublished/proposals/export.csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_empty_process_exports_a_header_and_an_empty_array(client, make_process):
    make_process(slug="empty-process")
    assert client.get("/processes/empty-process/proposals/export.csv").get_data(as_text=True).strip() == \
        ",".join(FIELDS)
    assert json.loads(client.get("/processes/empty-process/proposals/export.json").data) == []


def test_large_sets_stream_in_batches_with_every_row_and_its_categories(client, make_process, make_user,
                                                                       categories_of, count_queries):
    process = make_process(slug="big-process", categories=["Energy", "Waste"])
    energy, waste = categories_of(process)
    author = make_user("resident")
    n = exports.BATCH * 2 + 37
    now = utcnow()
    ward_id = ward_named("Westbourne").id
    ids = db.session.execute(
        insert(Proposal).returning(Proposal.id, sort_by_parameter_order=True),
        [{"process_id": process.id, "author_id": author.id, "title": f"Bulk proposal number {i:05d}",
          "body": "Body", "ward_id": ward_id, "state": "published", "published_at": now} for i in range(n)]
    ).scalars().all()
    db.session.execute(insert(ProposalCategoryLink), [
        {"proposal_id": pid, "category_id": (energy if i % 2 else waste).id} for i, pid in enumerate(ids)])
    db.session.commit()
    with count_queries() as counted:
        response = client.get("/processes/big-process/proposals/export.json")
        records = json.loads(response.get_data(as_text=True))
    assert [r["id"] for r in records] == ids
    assert all(r["categories"] == (["Energy"] if i % 2 else ["Waste"]) for i, r in enumerate(records))
    # A batch's categories in one query: the count grows with the number of batches, not of rows.
    assert counted.count < 12
    rows = read_csv(client.get("/processes/big-process/proposals/export.csv"))
    assert len(rows) == n and rows[-1]["title"] == f"Bulk proposal number {n - 1:05d}"


def test_the_command_line_export_matches_the_download(app, client, world, tmp_path):
    _process, p = world
    runner = app.test_cli_runner()
    result = runner.invoke(args=["proposals", "export", "cleaner-air", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(client.get("/processes/cleaner-air/proposals/export.json").data)
    target = tmp_path / "air.csv"
    result = runner.invoke(args=["proposals", "export", "cleaner-air", "-o", str(target)])
    assert result.exit_code == 0 and "Open Government Licence v3.0" in result.stderr
    assert target.read_bytes() == client.get("/processes/cleaner-air/proposals/export.csv").get_data()
    missing = runner.invoke(args=["proposals", "export", "no-such-process"])
    assert missing.exit_code != 0 and "could not find" in missing.output
