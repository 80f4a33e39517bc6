"""Open data, site-wide: the datasets domains publish, their page, a DCAT-AP catalogue and one bulk download.

A domain declares its datasets in its manifest (``Domain(datasets=(Dataset(...),))``); the core never imports
a domain, it reads this registry:

- :class:`Dataset`: a key (the CSV's name in the bulk ZIP), a title, a description, its licence, how often it
  changes, a data dictionary (:class:`Column`: meaning, type, unit), ``rows()`` (the public records as lists
  in column order, read as they are written) and ``distributions()`` (its other downloads, e.g. one CSV and
  JSON per published process).
- ``/open-data`` (``opendata.index``) lists every dataset with its licence, frequency, formats and
  dictionary; ``/open-data/catalog.jsonld`` (``opendata.catalog``) is the same as a DCAT-AP catalogue in
  JSON-LD for data portals to harvest; ``/open-data/civic-open-data.zip`` (``opendata.bulk``) is the bulk
  download: one CSV per dataset, ``README.txt`` (the dictionary, the formula guard) and ``LICENCE.txt``.
- The ZIP is written by the scheduled task ``opendata.bulk-download`` (:func:`build_bulk`, daily, at
  ``flask civic tick``) under the instance folder (``OPEN_DATA_DIR``, default ``<instance>/open-data``),
  to a temporary name then renamed, so a download never reads half a file; until the first tick has run, the
  first download writes it. It is served as a file (conditional requests, ranges).

See docs/open-data.md.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from civic import schedule
from civic.exports import OPEN_GOVERNMENT_LICENCE, Licence, attachment, csv_text, open_data, timestamp
from civic.extensions import limiter

BULK_NAME = "civic-open-data.zip"
BULK_TASK = "opendata.bulk-download"
#: How often the bulk download is written again.
BULK_EVERY = timedelta(days=1)
BULK_LIMIT = "30 per minute"
#: Column types of the data dictionary (``type``), and what each means in a CSV cell.
TYPES = {
    "integer": _l("a whole number"),
    "number": _l("a decimal number (a point, never a comma)"),
    "text": _l("text (UTF-8); the formula guard applies"),
    "datetime": _l("ISO 8601 in UTC, to the second: 2026-11-26T10:00:00Z"),
    "url": _l("an absolute address"),
    "list": _l("several values joined with “; ”; the formula guard applies"),
}
TEXT_TYPES = frozenset({"text", "list"})
FORMULA_GUARD = _l("A text cell that starts with =, +, -, @, a tab or a carriage return is written with a "
                   "leading apostrophe (') so that a spreadsheet shows it as text rather than running it as a "
                   "formula. Only text columns are guarded (numbers, dates and addresses never are). The JSON "
                   "downloads carry the words exactly as written: use them when you need the faithful copy.")


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    type: str = "text"  # one of TYPES
    unit: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown column type {self.type!r}")

    @property
    def guarded(self) -> bool:
        return self.type in TEXT_TYPES


@dataclass(frozen=True)
class Distribution:
    """One more download of a dataset (a process's CSV, its JSON...)."""

    title: str
    url: str
    media_type: str


@dataclass(frozen=True)
class Dataset:
    key: str  # letters, digits and dashes: the CSV's name in the ZIP
    title: str
    description: str
    columns: Sequence[Column]
    #: The public records, each a sequence in ``columns`` order (run in an app and request context).
    rows: Callable[[], Iterable[Sequence[Any]]]
    #: Its other downloads (run in a request context).
    distributions: Callable[[], Iterable[Distribution]] = field(default=lambda: ())
    #: How often it changes, in words, and as a DCAT frequency (EU vocabulary: DAILY, WEEKLY, CONT...).
    frequency: str = "Continuously, as people take part; the bulk download is written again every day."
    accrual: str = "DAILY"
    licence: Licence = OPEN_GOVERNMENT_LICENCE
    keywords: Sequence[str] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", self.key):
            raise ValueError(f"a dataset's key is lower-case letters, digits and dashes, not {self.key!r}")

    @property
    def filename(self) -> str:
        return f"{self.key}.csv"

    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def guarded(self) -> list[bool]:
        return [c.guarded for c in self.columns]


_registry: dict[str, Dataset] = {}


def register(dataset: Dataset) -> None:
    """Add a dataset (once per process; the same declaration again is harmless)."""
    known = _registry.get(dataset.key)
    if known is not None and known is not dataset:
        raise ValueError(f"open data dataset {dataset.key!r} declared twice")
    _registry[dataset.key] = dataset


def unregister(key: str) -> None:
    _registry.pop(key, None)


def datasets() -> list[Dataset]:
    """Every declared dataset, in the order declared."""
    return list(_registry.values())


# The bulk download ------------------------------------------------------------------------------------------


def bulk_dir() -> Path:
    return Path(current_app.config.get("OPEN_DATA_DIR") or Path(current_app.instance_path) / "open-data")


def bulk_path() -> Path:
    return bulk_dir() / BULK_NAME


def readme(when: datetime, licence: Licence = OPEN_GOVERNMENT_LICENCE) -> str:
    """The ZIP's README: what each file holds, the data dictionary, the formula guard, the licence."""
    site = current_app.config.get("SITE_NAME", "Civic")
    lines = [f"{site}: open data", "=" * (len(site) + 11), "",
             f"Written {timestamp(when)}. Every file is CSV (RFC 4180), UTF-8 without a byte order mark, one "
             "header row.", "",
             f"Licence: {licence.name} <{licence.url}>", f"Attribution: {licence.attribution}", "",
             f"Formula guard: {FORMULA_GUARD}", "", "Types: " + "; ".join(f"{k}: {v}" for k, v in TYPES.items()),
             ""]
    for ds in datasets():
        lines += [ds.filename, "-" * len(ds.filename), ds.description, f"Updated: {ds.frequency}",
                  f"Licence: {ds.licence.name}", "", "Columns:"]
        for c in ds.columns:
            unit = f", unit: {c.unit}" if c.unit else ""
            lines.append(f"  {c.name} ({c.type}{unit}): {c.meaning}")
        lines.append("")
    return "\n".join(lines)


def licence_text(licence: Licence = OPEN_GOVERNMENT_LICENCE) -> str:
    return f"{licence.name}\n{licence.url}\n\n{licence.attribution}\n"


def write_bulk(target: Path) -> int:
    """Write the ZIP to ``target`` (through a temporary file beside it, then renamed); returns the rows."""
    target.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    fd, tmp = tempfile.mkstemp(prefix=".bulk-", suffix=".zip", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            now = datetime.now(UTC)
            archive.writestr("README.txt", readme(now))
            archive.writestr("LICENCE.txt", licence_text())
            for ds in datasets():
                count = [0]

                def counted(rows: Iterable[Sequence[Any]], count: list[int] = count) -> Iterable[Sequence[Any]]:
                    for row in rows:
                        count[0] += 1
                        yield row

                with archive.open(ds.filename, "w", force_zip64=True) as member:
                    for chunk in csv_text(ds.header(), counted(ds.rows()), guarded=ds.guarded()):
                        member.write(chunk.encode("utf-8"))
                total += count[0]
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return total


def build_bulk() -> str:
    """The scheduled task: write the bulk download again."""
    rows = write_bulk(bulk_path())
    return f"open data: {len(datasets())} datasets, {rows} rows"


schedule.task(BULK_TASK, build_bulk, description="Write the open-data bulk download (a ZIP of CSVs)",
              every=BULK_EVERY)


# The catalogue ----------------------------------------------------------------------------------------------


def catalogue() -> dict[str, Any]:
    """The datasets as a DCAT-AP catalogue (JSON-LD)."""
    site = current_app.config.get("SITE_NAME", "Civic")
    home = url_for("opendata.index", _external=True)
    bulk = url_for("opendata.bulk", _external=True)
    publisher = {"@type": "foaf:Organization", "foaf:name": "Westminster City Council"}
    entries = []
    for ds in datasets():
        distributions = [{
            "@type": "dcat:Distribution", "dct:title": f"{ds.title}: {ds.filename} in the bulk download",
            "dcat:accessURL": {"@id": home}, "dcat:downloadURL": {"@id": bulk},
            "dcat:mediaType": "application/zip", "dcat:packageFormat": "application/zip",
            "dct:format": "CSV", "dct:license": {"@id": ds.licence.url},
        }]
        for d in ds.distributions():
            distributions.append({
                "@type": "dcat:Distribution", "dct:title": d.title, "dcat:accessURL": {"@id": d.url},
                "dcat:downloadURL": {"@id": d.url}, "dcat:mediaType": d.media_type,
                "dct:license": {"@id": ds.licence.url}})
        entries.append({
            "@id": f"{home}#{ds.key}", "@type": "dcat:Dataset", "dct:identifier": ds.key,
            "dct:title": ds.title, "dct:description": ds.description,
            "dcat:keyword": list(ds.keywords), "dct:publisher": publisher,
            "dct:license": {"@id": ds.licence.url}, "dct:rights": ds.licence.attribution,
            "dct:accrualPeriodicity": {
                "@id": f"http://publications.europa.eu/resource/authority/frequency/{ds.accrual}"},
            "dcat:landingPage": {"@id": f"{home}#{ds.key}"},
            "dcat:distribution": distributions,
        })
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": url_for("opendata.catalog", _external=True), "@type": "dcat:Catalog",
        "dct:title": f"{site} open data", "dct:description": str(_l(
            "Open data from the council's participation platform: proposals and comments.")),
        "dct:publisher": publisher, "dct:license": {"@id": OPEN_GOVERNMENT_LICENCE.url},
        "foaf:homepage": {"@id": home}, "dcat:dataset": entries,
    }


# Routes -----------------------------------------------------------------------------------------------------

bp = Blueprint("opendata", __name__)


@bp.get("/open-data")
def index():
    return render_template("opendata/index.html", datasets=datasets(), types=TYPES, guard=FORMULA_GUARD,
                           licence=OPEN_GOVERNMENT_LICENCE, bulk_name=BULK_NAME)


@bp.get("/open-data/catalog.jsonld")
def catalog():
    body = json.dumps(catalogue(), ensure_ascii=False, indent=1)
    return open_data(Response(body, mimetype="application/ld+json"), public=True)


def _file_chunks(path: Path, size: int = 65536) -> Iterator[bytes]:
    """The file read as it is sent (opened only once the body is read, so nothing is left open)."""
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk


@bp.get(f"/open-data/{BULK_NAME}")
@limiter.limit(BULK_LIMIT)
def bulk():
    path = bulk_path()
    if not path.exists():  # before the first tick: write it now (the tick keeps it fresh)
        write_bulk(path)
    stat = path.stat()
    response = Response(_file_chunks(path), mimetype="application/zip", direct_passthrough=True)
    response.content_length = stat.st_size
    response.last_modified = datetime.fromtimestamp(int(stat.st_mtime), UTC)
    response.set_etag(f"{stat.st_mtime_ns:x}-{stat.st_size:x}")
    response = attachment(response, BULK_NAME)
    open_data(response, public=True)
    return response.make_conditional(request)
