"""CSV and JSON exports: open data with a licence, public proposals and public fields only, streamed."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import insert

from civic.db import db, utcnow
from proposals import exports
from proposals.models import Endorsement, Proposal, ProposalCategoryLink, Support
from tests.factories import comment, ward_named

FIELDS = ["id", "title", "body", "ward", "categories", "state", "answer_state", "answer_text", "supports_count",
          "comments_count", "endorsements_count", "published_at", "url", "latitude", "longitude",
          # added at the end (issue #13, item 12): the process and slugs beside names
          "process", "process_title", "ward_slug", "category_slugs"]


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
        "url": f"http://civic.test/proposals/{p['sensors'].id}", "latitude": "51.5225", "longitude": "-0.1705",
        "process": "cleaner-air", "process_title": "Cleaner air", "ward_slug": "church-street",
        "category_slugs": "air-quality; cycling"}
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
    # A filter the export does not understand is refused (never every row as if filtered, never the drafts).
    refused = client.get("/processes/cleaner-air/proposals/export.json?state=draft&ward=x")
    assert refused.status_code == 400 and refused.json["status"] == 400 and refused.json["field"] == "ward"
    assert "draft nobody" not in refused.get_data(as_text=True)


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


# Site-wide open data and files for spreadsheets and scripts (issue #13, items 10 and 12) ----------------------


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_a_journalist_downloads_everything_from_the_home_page_and_reads_it(app, client, world, make_user,
                                                                          make_comment, make_process,
                                                                          make_proposal, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN_DATA_DIR", str(tmp_path))
    _process, p = world
    other = make_process(title="Unpublished plans", slug="unpublished-plans", published=False)
    secret = make_proposal(other, make_user("resident"), title="Not public yet at all")
    commenter = make_user("resident", nickname="chris_commenter", display_name="Chris Commenter")
    said = make_comment(p["sensors"], commenter, body="@everyone come to the meeting")
    hidden = comment("proposal", p["sensors"].id, commenter, "Hidden words of a comment", hidden_at=utcnow())
    under_hidden = comment("proposal", p["sensors"].id, commenter, "Reply under the hidden one",
                           parent_id=hidden.id, depth=1)
    reply = comment("proposal", p["sensors"].id, commenter, "A reply in the open", parent_id=said.id, depth=1,
                    alignment=1)
    comment("proposal", p["draft"].id, commenter, "On a draft nobody sees")
    comment("proposal", secret.id, commenter, "In an unpublished process")

    home = client.get("/").get_data(as_text=True)
    assert 'href="/open-data"' in home
    page = client.get("/open-data").get_data(as_text=True)
    assert 'href="/open-data/civic-open-data.zip"' in page
    assert 'href="http://civic.test/processes/cleaner-air/proposals/export.csv?excel=1"' in page
    files = unzip(client.get("/open-data/civic-open-data.zip").get_data())
    assert "Open Government Licence v3.0" in files["LICENCE.txt"] and "proposals.csv" in files["README.txt"]

    proposals = list(csv.DictReader(io.StringIO(files["proposals.csv"], newline="")))
    assert [int(r["id"]) for r in proposals] == sorted(p[k].id for k in ("sensors", "hangars", "formula"))
    assert list(proposals[0]) == FIELDS
    sensors = proposals[0]
    assert sensors["process"] == "cleaner-air" and sensors["ward_slug"] == "church-street"
    assert sensors["category_slugs"] == "air-quality; cycling" and sensors["latitude"] == "51.5225"
    assert datetime.fromisoformat(sensors["published_at"]).microsecond == 0
    assert len(sensors["published_at"]) == len("2026-11-26T10:00:00Z")
    assert next(r for r in proposals if int(r["id"]) == p["formula"].id)["title"].startswith("'=HYPERLINK(")

    comments = list(csv.DictReader(io.StringIO(files["proposal-comments.csv"], newline="")))
    assert [int(c["id"]) for c in comments] == [said.id, reply.id]
    first, second = comments
    assert first["body"] == "'@everyone come to the meeting"  # the guard: text columns only
    assert first["parent_id"] == "" and first["proposal_id"] == str(p["sensors"].id)
    assert first["url"] == f"http://civic.test/proposals/{p['sensors'].id}#comment-{said.id}"
    assert second["parent_id"] == str(said.id) and second["alignment"] == "in_favour" and second["depth"] == "1"
    everything = "".join(files.values())
    for secret_text in (*PRIVATE, "chris_commenter", "Chris Commenter", "Hidden words", under_hidden.body,
                        "draft nobody", "Not public yet", "unpublished process"):
        assert secret_text not in everything, secret_text


def test_the_excel_variant_is_the_same_csv_with_a_byte_order_mark(client, world):
    plain = client.get("/processes/cleaner-air/proposals/export.csv")
    excel = client.get("/processes/cleaner-air/proposals/export.csv?excel=1")
    assert excel.status_code == 200 and excel.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'rel="license"' in excel.headers["Link"] and excel.headers["X-Attribution"]
    assert excel.headers["Content-Disposition"].startswith('attachment; filename="cleaner-air-proposals-excel-')
    assert excel.get_data().startswith(b"\xef\xbb\xbf") and not plain.get_data().startswith(b"\xef\xbb\xbf")
    assert excel.get_data()[3:] == plain.get_data()
    rows = list(csv.DictReader(io.StringIO(excel.get_data().decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == FIELDS


def test_the_dictionary_names_every_column_of_the_downloads(client, world):
    page = client.get("/open-data").get_data(as_text=True)
    for name in FIELDS:
        assert f"<code>{name}</code>" in page, name
    assert list(exports.FIELDS) == FIELDS


# GeoJSON documented and complete (issue #13, item 13) ---------------------------------------------------------


def test_geojson_carries_its_licence_cors_and_absolute_addresses(client, client_as, world, make_process):
    _process, p = world
    response = client.get("/processes/cleaner-air/proposals/map.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert 'rel="license"' in response.headers["Link"] and "open-government-licence" in response.headers["Link"]
    assert response.headers["X-Attribution"].startswith("Contains public sector information")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.get_json()
    assert data["licence"]["name"] == "Open Government Licence v3.0" and data["limit"] == 5000
    assert data["truncated"] is False
    [feature] = data["features"]
    assert feature["properties"]["url"] == f"http://civic.test/proposals/{p['sensors'].id}"
    make_process(slug="unpublished-map", published=False)
    officer, _user = client_as("officer")
    private = officer.get("/processes/unpublished-map/proposals/map.geojson")
    assert private.status_code == 200 and "Access-Control-Allow-Origin" not in private.headers
    assert private.headers["Cache-Control"] == "private, no-store"


def test_geojson_bbox_narrows_to_a_box_and_refuses_one_that_is_not(client, world, make_proposal, make_user):
    process, p = world
    pimlico = make_proposal(process, make_user("resident"), title="A bench in Pimlico", ward="Pimlico South",
                            latitude=51.487, longitude=-0.1375)
    url = "/processes/cleaner-air/proposals/map.geojson"
    everything = client.get(url).get_json()["features"]
    assert sorted(f["id"] for f in everything) == sorted([p["sensors"].id, pimlico.id])
    north = client.get(f"{url}?bbox=-0.2,51.5,-0.1,51.55").get_json()["features"]
    assert [f["id"] for f in north] == [p["sensors"].id]
    south = client.get(f"{url}?bbox=-0.15, 51.48, -0.13, 51.49").get_json()["features"]
    assert [f["id"] for f in south] == [pimlico.id]
    assert client.get(f"{url}?bbox=").get_json()["features"] == everything  # empty: no box
    for bad in ("1,2,3", "a,b,c,d", "-0.1,51.5,-0.2,51.55", "-0.2,51.55,-0.1,51.5", "0,91,1,92", "nan,0,1,1",
                "-0.2,51.5,-0.1,51.55,3", "inf,0,1,1"):
        response = client.get(f"{url}?bbox={bad}")
        assert response.status_code == 400, bad
        body = response.get_json()
        assert body["field"] == "bbox" and "bbox" in body["error"] and body["status"] == 400, bad
