"""Open data site-wide (civic.opendata): the page, the DCAT-AP catalogue and the bulk ZIP written by the tick, on a
test dataset declared the way a domain declares one (the proposals' own datasets: tests/proposals/test_exports.py)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from civic import domains, opendata, schedule
from civic.db import db
from civic.domains import Domain
from civic.exports import csv_text, timestamp
from civic.opendata import Column, Dataset, Distribution
from civic.schedule.models import ScheduledTask
from tests.support.pages import text_of

TREES: list[list[object]] = []


def tree_rows():
    return iter(TREES)


def tree_distributions():
    yield Distribution("Trees (JSON)", "http://civic.test/trees.json", "application/json")


TREES_DATASET = Dataset(
    key="street-trees", title="Street trees", description="Every street tree the council looks after.",
    columns=(Column("id", "The tree's number.", "integer"),
             Column("species", "Its species, in Latin.", "text"),
             Column("height", "How tall it is.", "number", "metres"),
             Column("planted_at", "When it was planted.", "datetime", "UTC"),
             Column("tags", "What residents say about it.", "list")),
    rows=tree_rows, distributions=tree_distributions, keywords=("trees",))
TREES_DOMAIN = Domain(name="opendata_test_trees", datasets=(TREES_DATASET,))


@pytest.fixture
def trees(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN_DATA_DIR", str(tmp_path / "open-data"))
    domains.register(app, TREES_DOMAIN)
    TREES[:] = [[1, "Platanus × hispanica", 21.5, "2001-03-04T10:00:00+00:00", "shade; ‘the big one’"],
                [2, "=HYPERLINK(\"http://evil.example\")", -3, "", "-minus; @at"]]
    yield TREES_DATASET
    domains.unregister(TREES_DOMAIN)
    TREES.clear()


def test_a_domain_declares_its_datasets_in_its_manifest(app, trees):
    assert trees in opendata.datasets()
    assert opendata.datasets()[0].key == "proposals"  # the proposals' own, declared by their manifest
    with pytest.raises(ValueError):
        opendata.register(Dataset(key="street-trees", title="Other", description="", columns=(), rows=tree_rows))
    domains.unregister(TREES_DOMAIN)
    assert trees not in opendata.datasets()
    domains.register(app, TREES_DOMAIN)


def test_the_open_data_page_is_linked_from_every_page_and_lists_each_dataset(client, trees):
    for path in ("/", "/privacy", "/search"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/open-data"' in page, path
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/open-data"') == 2  # the footer and the home page's own link
    response = client.get("/open-data")
    assert response.status_code == 200
    text = text_of(response)
    for expected in ("Street trees", "Every street tree the council looks after.", "Open Government Licence v3.0",
                     "Contains public sector information from Westminster City Council", "written again every day",
                     "street-trees.csv", "How tall it is.", "metres", "Its species, in Latin.", "leading apostrophe",
                     "JSON downloads carry the words exactly as written", "Proposals", "Comments on proposals",
                     "Trees (JSON)"):
        assert expected in text, expected
    page = response.get_data(as_text=True)
    assert 'href="/open-data/civic-open-data.zip"' in page and 'href="/open-data/catalog.jsonld"' in page


def test_the_catalogue_is_dcat_ap_json_ld_linking_each_dataset_to_its_downloads(client, trees):
    response = client.get("/open-data/catalog.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*" and 'rel="license"' in response.headers["Link"]
    doc = json.loads(response.data)
    assert doc["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert doc["@context"]["dct"] == "http://purl.org/dc/terms/"
    assert doc["@type"] == "dcat:Catalog" and doc["@id"] == "http://civic.test/open-data/catalog.jsonld"
    entries = {d["dct:identifier"]: d for d in doc["dcat:dataset"]}
    assert {"proposals", "proposal-comments", "street-trees"} <= set(entries)
    tree = entries["street-trees"]
    assert tree["@type"] == "dcat:Dataset" and tree["dct:title"] == "Street trees"
    assert tree["dct:license"] == {"@id": opendata.OPEN_GOVERNMENT_LICENCE.url}
    assert tree["dct:accrualPeriodicity"]["@id"].endswith("/frequency/DAILY")
    urls = [d["dcat:downloadURL"]["@id"] for d in tree["dcat:distribution"]]
    assert urls == ["http://civic.test/open-data/civic-open-data.zip", "http://civic.test/trees.json"]
    assert all(d["@type"] == "dcat:Distribution" and d["dcat:mediaType"] for d in tree["dcat:distribution"])


def read_zip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_the_bulk_download_is_a_zip_of_csvs_with_readme_and_licence(client, trees):
    response = client.get("/open-data/civic-open-data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="civic-open-data.zip"'
    assert 'rel="license"' in response.headers["Link"] and response.headers["X-Attribution"].startswith("Contains")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    files = read_zip(response.get_data())
    assert {"README.txt", "LICENCE.txt", "street-trees.csv", "proposals.csv", "proposal-comments.csv"} <= set(files)
    assert "Open Government Licence v3.0" in files["LICENCE.txt"]
    readme = files["README.txt"]
    for expected in ("street-trees.csv", "height (number, unit: metres): How tall it is.",
                     "Attribution: Contains public sector information", "Formula guard:"):
        assert expected in readme, expected
    rows = list(csv.reader(io.StringIO(files["street-trees.csv"], newline="")))
    assert rows[0] == ["id", "species", "height", "planted_at", "tags"]
    assert rows[1] == ["1", "Platanus × hispanica", "21.5", "2001-03-04T10:00:00+00:00", "shade; ‘the big one’"]
    # The formula guard on text columns only: a negative number stays a number.
    assert rows[2] == ["2", "'=HYPERLINK(\"http://evil.example\")", "-3", "", "'-minus; @at"]
    # Served again as a file: a cache may ask whether it changed.
    again = client.get("/open-data/civic-open-data.zip", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_tick_writes_the_bulk_download_again(app, trees):
    path = opendata.bulk_path()
    assert not path.exists()
    outcomes = schedule.run([opendata.BULK_TASK])
    assert [o.status for o in outcomes] == ["ok"] and "open data" in outcomes[0].summary
    assert "Platanus" in read_zip(path.read_bytes())["street-trees.csv"]
    TREES.append([3, "Quercus robur", 12, "", ""])
    assert [o.status for o in schedule.run([opendata.BULK_TASK])] == ["not due"]  # daily
    db.session.execute(update(ScheduledTask).where(ScheduledTask.name == opendata.BULK_TASK)
                       .values(last_started=datetime.now(UTC) - timedelta(days=1, minutes=1)))
    assert [o.status for o in schedule.run([opendata.BULK_TASK])] == ["ok"]
    assert "Quercus robur" in read_zip(path.read_bytes())["street-trees.csv"]
    assert [p.name for p in path.parent.iterdir()] == ["civic-open-data.zip"]  # no temporary file left


def test_csv_guard_only_touches_the_columns_said_to_be_text():
    text = "".join(csv_text(["a", "b"], [["-1", "-1"], ["=1", "@x"]], guarded=[False, True]))
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["-1", "'-1"], ["=1", "'@x"]]
    assert "".join(csv_text(["a"], [], bom=True)).startswith("\ufeffa")


def test_timestamps_have_one_precision():
    assert timestamp(datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)) == "2026-11-26T10:00:00Z"
    assert timestamp(datetime(2026, 11, 26, 10, 0, tzinfo=UTC)) == "2026-11-26T10:00:00Z"
    assert timestamp(None) is None
