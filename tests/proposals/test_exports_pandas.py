"""Issue #13, "Done when": a journalist reads the downloads with pandas without a surprise.

The site-wide bulk ZIP, the process's CSV and its Excel variant (a byte order mark), read with pandas as
a script would: whole numbers are numbers, times parse as UTC, an empty coordinate is missing (not zero, not
text), the formula guard touches text columns only, and the JSON (the faithful copy) agrees with the CSV."""

from __future__ import annotations

import io
import zipfile

import pandas as pd

from tests.proposals.test_exports import FIELDS, world  # noqa: F401 - the fixture, with the same proposals


def test_pandas_reads_the_bulk_zip_and_the_csv_as_they_are(app, client, world, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "OPEN_DATA_DIR", str(tmp_path))
    _process, p = world
    with zipfile.ZipFile(io.BytesIO(client.get("/open-data/civic-open-data.zip").get_data())) as archive:
        bulk = pd.read_csv(archive.open("proposals.csv"), parse_dates=["published_at"])
    plain = pd.read_csv(io.BytesIO(client.get("/processes/cleaner-air/proposals/export.csv").get_data()),
                        parse_dates=["published_at"])
    for frame in (bulk, plain):
        assert list(frame.columns) == FIELDS
        assert frame["id"].tolist() == sorted(p[k].id for k in ("sensors", "hangars", "formula"))
        assert str(frame["id"].dtype) == "int64" and str(frame["supports_count"].dtype) == "int64"
        assert str(frame["published_at"].dt.tz) == "UTC"
        sensors = frame.set_index("id").loc[p["sensors"].id]
        assert sensors["latitude"] == 51.5225 and sensors["longitude"] == -0.1705
        assert frame.set_index("id").loc[p["hangars"].id, ["latitude", "longitude"]].isna().all()
        assert sensors["supports_count"] == 1 and sensors["category_slugs"] == "air-quality; cycling"
        formula = frame.set_index("id").loc[p["formula"].id, "title"]
        assert formula == "'=HYPERLINK(\"http://evil.example\",\"Click me\")"  # guarded: a spreadsheet shows text
    # The JSON is the faithful copy: the same rows, the words as written.
    faithful = pd.read_json(io.BytesIO(client.get("/processes/cleaner-air/proposals/export.json").get_data()))
    assert faithful["id"].tolist() == plain["id"].tolist()
    assert faithful.set_index("id").loc[p["formula"].id, "title"] == p["formula"].title
    assert faithful["supports_count"].tolist() == plain["supports_count"].tolist()


def test_the_excel_variant_reads_the_same_with_utf_8_sig(client, world):  # noqa: F811
    excel = client.get("/processes/cleaner-air/proposals/export.csv?excel=1").get_data()
    plain = client.get("/processes/cleaner-air/proposals/export.csv").get_data()
    assert excel.startswith(b"\xef\xbb\xbf")
    with_bom = pd.read_csv(io.BytesIO(excel), encoding="utf-8-sig")
    assert list(with_bom.columns) == FIELDS  # the first column is "id", not "\ufeffid"
    assert with_bom.equals(pd.read_csv(io.BytesIO(plain)))
