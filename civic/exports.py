"""Downloads and open data, for every domain: CSV and JSON streamed in constant memory, a file name, the
licence and attribution, and read-only CORS.

- :func:`stream_csv` writes rows as they come, each text cell made safe to open in a spreadsheet
  (:func:`csv_cell`); :func:`json_array` and :func:`stream_json` do the same for a JSON array, and
  :func:`json_document` for a JSON object that carries its licence and attribution inside the file.
- :func:`open_data` marks a download as open data: ``Link: <licence>; rel="license"`` and an
  ``X-Attribution`` header; when it is the same for everyone (``public``), any site may read it
  (``Access-Control-Allow-Origin: *``, on GET only) and caches may keep it briefly; otherwise
  (an officer's look at something unpublished) it is private and never cached.
- :func:`timestamp` writes a time as every download does (ISO 8601, UTC, to the second); ``csv_text`` and
  ``stream_csv`` take ``guarded`` (the text columns, the only ones the formula guard touches) and
  ``bom``/``excel`` (the Excel-friendly variant: UTF-8 with a byte order mark).
- :func:`download_name` gives the dated file name; :func:`attachment` sets ``Content-Disposition``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Response, request, stream_with_context

from civic.db import utcnow

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A chunk of a streamed file is sent once it holds about this many characters.
CHUNK = 16384
READ_METHODS = frozenset({"GET", "HEAD"})
#: The UTF-8 byte order mark: Excel reads a CSV that starts with it as UTF-8 (without it, as the local code page).
BOM = "\ufeff"


@dataclass(frozen=True)
class Licence:
    name: str
    url: str
    attribution: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "url": self.url, "attribution": self.attribution}


#: The council's open data licence, used by every download unless a domain names another.
OPEN_GOVERNMENT_LICENCE = Licence(
    "Open Government Licence v3.0",
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "Contains public sector information from Westminster City Council licensed under the Open Government "
    "Licence v3.0.")


def csv_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def timestamp(value: datetime | None) -> str | None:
    """A time in the downloads: ISO 8601 in UTC to the second (``2026-11-26T10:00:00Z``, as the API), one precision
    for every row (a time with microseconds and one without would otherwise differ in length), or None."""
    if value is None:
        return None
    value = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]], *,
             guarded: Sequence[bool] | None = None, bom: bool = False) -> Iterator[str]:
    """CSV text in chunks: the header, then every row with its cells made safe.

    ``guarded`` says which columns are text and get the formula guard (:func:`csv_cell`); without it every
    text cell does. ``bom`` starts the text with a UTF-8 byte order mark, for Excel."""
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        if guarded is None:
            writer.writerow([csv_cell(v) for v in row])
        else:
            writer.writerow([csv_cell(v) if g else v for v, g in zip(row, guarded, strict=True)])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def stream_csv(filename: str, header: list[str], rows: Iterable[Iterable[Any]], *,
               guarded: Sequence[bool] | None = None, excel: bool = False) -> Response:
    """A CSV download, streamed; ``excel``: with a byte order mark (Excel then reads it as UTF-8)."""
    response = Response(stream_with_context(csv_text(header, rows, guarded=guarded, bom=excel)),
                        content_type="text/csv; charset=utf-8")
    return attachment(response, filename)


def json_array(records: Iterable[Any]) -> Iterator[str]:
    """A JSON array written one element at a time (in chunks of about 16 KB)."""
    chunk, size, first = ["["], 1, True
    for record in records:
        text = ("" if first else ",") + "\n" + json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        first = False
        chunk.append(text)
        size += len(text)
        if size > CHUNK:
            yield "".join(chunk)
            chunk, size = [], 0
    chunk.append("\n]\n")
    yield "".join(chunk)


def json_document(records: Iterable[Any], licence: Licence = OPEN_GOVERNMENT_LICENCE, *, key: str = "items",
                  **meta: Any) -> Iterator[str]:
    """A JSON object that carries its licence and attribution, ``meta``, then the records under ``key``."""
    head = {"licence": licence.as_dict(), **meta}
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + f',"{key}":'
    yield opening
    yield from json_array(records)
    yield "}\n"


def stream_json(filename: str | None, chunks: Iterable[str], mimetype: str = "application/json") -> Response:
    """A streamed JSON response (an attachment when ``filename`` is given)."""
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    return attachment(response, filename) if filename else response


def _safe_name(name: str) -> str:
    """Letters, digits, dots, dashes and underscores only (anything else dashed), never ``..``."""
    return re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "-", name))


def download_name(stem: str, ext: str, when: datetime | None = None) -> str:
    """``<stem>-<yyyy-mm-dd>.<ext>``, the stem made safe."""
    safe = _safe_name(stem).strip("-.") or "download"
    return f"{safe}-{(when or utcnow()):%Y-%m-%d}.{ext}"


def attachment(response: Response, filename: str) -> Response:
    """Offer the response as a file to save, under a safe name."""
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe_name(filename)}"'
    return response


def allow_any_origin(response: Response) -> Response:
    """Read-only CORS: any site may read the answer to a GET (never to a write)."""
    if request.method in READ_METHODS:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def open_data(response: Response, *, public: bool, licence: Licence = OPEN_GOVERNMENT_LICENCE) -> Response:
    """Name the licence and attribution in the headers; a ``public`` download is for any site and cache."""
    response.headers["Link"] = f'<{licence.url}>; rel="license"; title="{licence.name}"'
    response.headers["X-Attribution"] = licence.attribution
    if public:  # the same for everyone: any site may read it, any cache may keep it briefly
        allow_any_origin(response)
        response.headers["Cache-Control"] = "public, max-age=300"
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response
