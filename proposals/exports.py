"""CSV and JSON exports of a process's proposals: open data, public fields only, streamed.

What is generic (streaming, file names, the licence and attribution headers, read-only CORS) is the core's
:mod:`civic.exports`; this module holds only which proposals and which fields leave.

``/processes/<slug>/proposals/export.csv`` (``proposals.export_csv``) and ``.../export.json``
(``proposals.export_json``) are open to everyone and published under the Open Government Licence v3.0. They
hold the same proposals as the public list (published, not hidden; never drafts), narrowed by the same
filters as the API (``q``, ``ward``, ``state``, ``category``, ``updated_since``), in id order; a filter value
it does not understand is a 400 naming it (JSON or plain text), never every row as if filtered.

Only public fields leave: never an author's or supporter's identity, email address or anything else about a
person. Rows are read ``yield_per`` at a time (a server-side cursor on PostgreSQL) and written out as they
come, with each batch's categories read in one query, so a process of any size streams in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from civic.api import BadInput, iso, parse_datetime
from civic.db import db
from civic.exports import OPEN_GOVERNMENT_LICENCE, download_name, json_array, open_data, stream_csv, stream_json
from civic.extensions import limiter
from civic.spaces import services as spaces
from civic.spaces.models import Process, Ward
from civic.web import json_error, wants_json
from proposals import categories, services
from proposals import listing as proposal_listing
from proposals.models import Category, Proposal, ProposalCategoryLink
from proposals.views import bp

LICENCE = OPEN_GOVERNMENT_LICENCE.name
LICENCE_URL = OPEN_GOVERNMENT_LICENCE.url
ATTRIBUTION = OPEN_GOVERNMENT_LICENCE.attribution
FIELDS = ("id", "title", "body", "ward", "categories", "state", "answer_state", "answer_text", "supports_count",
          "comments_count", "endorsements_count", "published_at", "url", "latitude", "longitude")
BATCH = 500
EXPORT_LIMIT = "30 per minute"


def filters_from(args: Any, process: Process, *, order: str = "random") -> proposal_listing.Filters:
    """The list's filters from a query string, checked as the API checks them: an unknown ward, state or
    category, or a time that is not ISO 8601, is :class:`civic.api.BadInput` naming the parameter (never the
    whole list as if it were filtered). The API's proposals list reads its filters here too."""
    ward = (args.get("ward") or "").strip()
    ward_id = None
    if ward:
        ward_id = next((w.id for w in services.wards_for(process) if ward in (w.slug, str(w.id))), None)
        if ward_id is None:
            raise BadInput(_("“%(ward)s” is not a ward of this process. Use a ward's slug, like “church-street”.",
                             ward=ward[:100]), field="ward")
    state = (args.get("state") or "").strip() or None
    if state is not None and state not in proposal_listing.STATE_FILTERS:
        raise BadInput(_("“state” must be one of: %(states)s.",
                         states=", ".join(proposal_listing.STATE_FILTERS)), field="state")
    category = (args.get("category") or "").strip() or None
    if category and category not in {c.slug for c in categories.categories_for(process)}:
        raise BadInput(_("“%(category)s” is not a category of this process.", category=category[:100]),
                       field="category")
    return proposal_listing.Filters(q=(args.get("q") or "").strip()[:100], ward_id=ward_id, state=state,
                                    category=category, order=order,
                                    updated_since=parse_datetime("updated_since", args.get("updated_since")))


def _refused(error: BadInput):
    """A filter the export does not understand: 400, in JSON for a client that asks for it (and for the JSON
    export), else in plain text."""
    if wants_json() or request.path.endswith(".json"):
        return json_error(error.message, 400, error.field)
    return Response(f"{error.message}\n", status=400, mimetype="text/plain")


def rows(process: Process, filters: proposal_listing.Filters) -> Iterator[dict[str, Any]]:
    """The export's records, one dict of public fields per proposal, read in batches."""
    stmt = (select(Proposal.id, Proposal.title, Proposal.body, Ward.name, Proposal.state, Proposal.answer_state,
                   Proposal.answer_text, Proposal.supports_count, Proposal.comments_count,
                   Proposal.endorsements_count, Proposal.published_at, Proposal.latitude, Proposal.longitude)
            .join(Ward, Ward.id == Proposal.ward_id)
            .where(*proposal_listing.conditions(process, filters))
            .order_by(Proposal.id)
            .execution_options(yield_per=BATCH))
    url = url_for("proposals.show", proposal_id=0, _external=True)
    prefix, suffix = url.rsplit("0", 1)
    result = db.session.execute(stmt)
    for batch in result.partitions():
        ids = [r[0] for r in batch]
        names: dict[int, list[str]] = {}
        for pid, name in db.session.execute(
                select(ProposalCategoryLink.proposal_id, Category.name)
                .join(Category, Category.id == ProposalCategoryLink.category_id)
                .where(ProposalCategoryLink.proposal_id.in_(ids)).order_by(Category.name)):
            names.setdefault(pid, []).append(name)
        for (pid, title, body, ward, state, answer_state, answer_text, supports, comments, endorsements,
             published_at, lat, lng) in batch:
            yield {"id": pid, "title": title, "body": body, "ward": ward, "categories": names.get(pid, []),
                   "state": state, "answer_state": answer_state, "answer_text": answer_text,
                   "supports_count": supports, "comments_count": comments, "endorsements_count": endorsements,
                   "published_at": iso(published_at), "url": f"{prefix}{pid}{suffix}",
                   "latitude": lat, "longitude": lng}


def _filename(process: Process, ext: str) -> str:
    return download_name(f"{process.slug}-proposals", ext)


@bp.get("/processes/<slug>/proposals/export.csv")
@limiter.limit(EXPORT_LIMIT)
def export_csv(slug: str):
    process = spaces.get_visible(current_user, slug)
    try:
        filters = filters_from(request.args, process)
    except BadInput as error:
        return _refused(error)
    table = csv_table(rows(process, filters))
    response = stream_csv(_filename(process, "csv"), list(FIELDS), table)
    return open_data(response, public=process.is_published)  # unpublished: an officer's look


@bp.get("/processes/<slug>/proposals/export.json")
@limiter.limit(EXPORT_LIMIT)
def export_json(slug: str):
    process = spaces.get_visible(current_user, slug)
    try:
        filters = filters_from(request.args, process)
    except BadInput as error:
        return _refused(error)
    records = rows(process, filters)
    response = stream_json(_filename(process, "json"), json_array(records))
    return open_data(response, public=process.is_published)


def csv_table(records: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    """The records as CSV rows (categories joined with "; ", no point: empty cells), in ``FIELDS`` order."""
    for r in records:
        yield [r["id"], r["title"], r["body"], r["ward"], "; ".join(r["categories"]), r["state"], r["answer_state"],
               r["answer_text"], r["supports_count"], r["comments_count"], r["endorsements_count"],
               r["published_at"], r["url"], "" if r["latitude"] is None else r["latitude"],
               "" if r["longitude"] is None else r["longitude"]]
