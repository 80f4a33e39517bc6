"""The core's exports kit (civic.exports): streamed CSV and JSON, the licence in the file and the headers,
safe file names, and CORS for reads only."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from flask import Response

from civic import exports
from civic.exports import OPEN_GOVERNMENT_LICENCE as OGL


def test_csv_is_streamed_in_chunks_with_formulas_neutralised():
    rows = [[i, f"=SUM(A{i})", "plain"] for i in range(3000)]
    chunks = list(exports.csv_text(["n", "formula", "text"], rows))
    assert len(chunks) > 1  # sent as it is written, not held whole
    table = list(csv.reader(io.StringIO("".join(chunks))))
    assert table[0] == ["n", "formula", "text"] and len(table) == 3001
    assert table[1] == ["0", "'=SUM(A0)", "plain"]


def test_a_json_array_streams_and_reads_back():
    records = [{"id": i, "name": f"Thing “{i}”"} for i in range(2000)]
    chunks = list(exports.json_array(records))
    assert len(chunks) > 1 and json.loads("".join(chunks)) == records
    assert json.loads("".join(exports.json_array([]))) == []


def test_a_json_document_carries_its_licence_and_attribution_inside():
    text = "".join(exports.json_document(iter([{"id": 1}, {"id": 2}]), generated_at="2026-12-05"))
    data = json.loads(text)
    assert data == {"licence": {"name": "Open Government Licence v3.0", "url": OGL.url,
                                "attribution": OGL.attribution},
                    "generated_at": "2026-12-05", "items": [{"id": 1}, {"id": 2}]}
    assert json.loads("".join(exports.json_document([], key="readings")))["readings"] == []


def test_file_names_are_dated_and_safe():
    when = datetime(2026, 12, 5, tzinfo=UTC)
    assert exports.download_name("cleaner-air-proposals", "csv", when) == "cleaner-air-proposals-2026-12-05.csv"
    assert exports.download_name('bad "name"/../x', "json", when) == "bad-name-.-x-2026-12-05.json"
    response = exports.attachment(Response(""), 'a "quoted"\r\nname.csv')
    assert response.headers["Content-Disposition"] == 'attachment; filename="a-quoted-name.csv"'


def test_open_data_headers_name_the_licence_and_attribution(app):
    with app.test_request_context("/x"):
        public = exports.open_data(Response(""), public=True)
        private = exports.open_data(Response(""), public=False)
    assert public.headers["Link"] == f'<{OGL.url}>; rel="license"; title="{OGL.name}"'
    assert public.headers["X-Attribution"] == OGL.attribution
    assert public.headers["Access-Control-Allow-Origin"] == "*"
    assert public.headers["Cache-Control"] == "public, max-age=300"
    assert private.headers["Link"] and private.headers["X-Attribution"]
    assert "Access-Control-Allow-Origin" not in private.headers
    assert private.headers["Cache-Control"] == "private, no-store"


def test_cors_is_for_reads_only(app):
    with app.test_request_context("/x", method="POST"):
        assert "Access-Control-Allow-Origin" not in exports.allow_any_origin(Response("")).headers
        assert "Access-Control-Allow-Origin" not in exports.open_data(Response(""), public=True).headers
    with app.test_request_context("/x", method="HEAD"):
        assert exports.allow_any_origin(Response("")).headers["Access-Control-Allow-Origin"] == "*"
