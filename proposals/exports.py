"""CSV and JSON exports of a process's proposals: open data, public fields only, streamed.

What is generic (streaming, file names, the licence and attribution headers, read-only CORS) is the core's
:mod:`civic.exports`; this module holds only which proposals and which fields leave.

``/processes/<slug>/proposals/export.csv`` (``proposals.export_csv``) and ``.../export.json``
(``proposals.export_json``) are open to everyone and published under the Open Government Licence v3.0. They
hold the same proposals as the public list (published, not hidden; never drafts), narrowed by the same
filters as the API (``q``, ``ward``, ``state``, ``category``, ``updated_since``), in id order; a filter value
it does not understand is a 400 naming it (JSON or plain text), never every row as if filtered.
``export.csv?excel=1`` is the same file with a UTF-8 byte order mark, for Excel. The columns are
:data:`COLUMNS` (the data dictionary on ``/open-data``); new ones are only ever added at the end.

Two datasets are declared in the manifest for the site-wide open data (:mod:`civic.opendata`):
:data:`PROPOSALS_DATASET` (every published process's public proposals) and :data:`COMMENTS_DATASET` (the
public comments on them).

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
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import aliased

from civic.api import BadInput, parse_datetime
from civic.comments.models import Comment
from civic.comments.services import ALIGNMENT_KEYS
from civic.db import db
from civic.exports import OPEN_GOVERNMENT_LICENCE, download_name, json_array, open_data, stream_csv, stream_json
from civic.exports import timestamp as iso
from civic.extensions import limiter
from civic.opendata import Column, Dataset, Distribution
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
DEGREES = "degrees (WGS 84)"
#: The data dictionary of the proposals downloads, in column order (new columns only ever at the end).
COLUMNS = (
    Column("id", "The proposal's number on the site (its address ends with it).", "integer"),
    Column("title", "The proposal's title, as its author wrote it.", "text"),
    Column("body", "The proposal's description, in Markdown, as its author wrote it.", "text"),
    Column("ward", "The name of the ward the proposal is about.", "text"),
    Column("categories", "The names of the process's categories the proposal is in.", "list"),
    Column("state", "published (or withdrawn: its author withdrew it).", "text"),
    Column("answer_state", "The council's answer: not_answered, evaluating, accepted or rejected.", "text"),
    Column("answer_text", "The council's answer in words (Markdown); empty before an answer.", "text"),
    Column("supports_count", "How many residents support it (who they are is private).", "integer", "supports"),
    Column("comments_count", "How many comments it has on the site.", "integer", "comments"),
    Column("endorsements_count", "How many residents and groups publicly endorse it.", "integer",
           "endorsements"),
    Column("published_at", "When it was published.", "datetime", "UTC"),
    Column("url", "Its page on the site.", "url"),
    Column("latitude", "Where it is about: latitude; empty when it has no point on the map.", "number", DEGREES),
    Column("longitude", "Where it is about: longitude; empty when it has no point on the map.", "number",
           DEGREES),
    Column("process", "The slug of its participatory process (the process's address ends with it).", "text"),
    Column("process_title", "The title of its participatory process.", "text"),
    Column("ward_slug", "The slug of its ward (as in the API's ward filter).", "text"),
    Column("category_slugs", "The slugs of its categories, in the order of ``categories``.", "list"),
)
FIELDS = tuple(c.name for c in COLUMNS)
GUARDED = [c.guarded for c in COLUMNS]
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


def _link(endpoint: str, **values: Any) -> tuple[str, str]:
    """The absolute address of ``endpoint`` for id 0, split round the id: built once, not once a row."""
    url = url_for(endpoint, _external=True, **values)
    prefix, suffix = url.rsplit("0", 1)
    return prefix, suffix


def _records(where: list[ColumnElement[bool]]) -> Iterator[dict[str, Any]]:
    """The proposals matching ``where`` as export records, read in batches, each batch's categories at once."""
    stmt = (select(Proposal.id, Proposal.title, Proposal.body, Ward.name, Proposal.state, Proposal.answer_state,
                   Proposal.answer_text, Proposal.supports_count, Proposal.comments_count,
                   Proposal.endorsements_count, Proposal.published_at, Proposal.latitude, Proposal.longitude,
                   Process.slug, Process.title, Ward.slug)
            .join(Ward, Ward.id == Proposal.ward_id)
            .join(Process, Process.id == Proposal.process_id)
            .where(*where)
            .order_by(Proposal.id)
            .execution_options(yield_per=BATCH))
    prefix, suffix = _link("proposals.show", proposal_id=0)
    result = db.session.execute(stmt)
    for batch in result.partitions():
        ids = [r[0] for r in batch]
        names: dict[int, list[tuple[str, str]]] = {}
        for pid, name, slug in db.session.execute(
                select(ProposalCategoryLink.proposal_id, Category.name, Category.slug)
                .join(Category, Category.id == ProposalCategoryLink.category_id)
                .where(ProposalCategoryLink.proposal_id.in_(ids)).order_by(Category.name)):
            names.setdefault(pid, []).append((name, slug))
        for (pid, title, body, ward, state, answer_state, answer_text, supports, comments, endorsements,
             published_at, lat, lng, process_slug, process_title, ward_slug) in batch:
            cats = names.get(pid, [])
            yield {"id": pid, "title": title, "body": body, "ward": ward, "categories": [n for n, _s in cats],
                   "state": state, "answer_state": answer_state, "answer_text": answer_text,
                   "supports_count": supports, "comments_count": comments, "endorsements_count": endorsements,
                   "published_at": iso(published_at), "url": f"{prefix}{pid}{suffix}",
                   "latitude": lat, "longitude": lng, "process": process_slug, "process_title": process_title,
                   "ward_slug": ward_slug, "category_slugs": [s for _n, s in cats]}


def rows(process: Process, filters: proposal_listing.Filters) -> Iterator[dict[str, Any]]:
    """The export's records, one dict of public fields per proposal, read in batches."""
    return _records(proposal_listing.conditions(process, filters))


def _filename(process: Process, ext: str, variant: str = "") -> str:
    return download_name(f"{process.slug}-proposals{variant}", ext)


def _excel() -> bool:
    return request.args.get("excel", "") in ("1", "true", "yes")


@bp.get("/processes/<slug>/proposals/export.csv")
@limiter.limit(EXPORT_LIMIT)
def export_csv(slug: str):
    process = spaces.get_visible(current_user, slug)
    try:
        filters = filters_from(request.args, process)
    except BadInput as error:
        return _refused(error)
    table = csv_table(rows(process, filters))
    excel = _excel()
    response = stream_csv(_filename(process, "csv", "-excel" if excel else ""), list(FIELDS), table,
                          guarded=GUARDED, excel=excel)
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


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return "; ".join(value) if isinstance(value, list) else value


def csv_table(records: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    """The records as CSV rows (lists joined with "; ", nothing: an empty cell), in ``FIELDS`` order."""
    for r in records:
        yield [_cell(r[name]) for name in FIELDS]


# Site-wide open data ------------------------------------------------------------------------------------------


def _public_proposals() -> list[ColumnElement[bool]]:
    return [Process.published_at.is_not(None), Proposal.state == "published", Proposal.hidden_at.is_(None)]


def all_proposals() -> Iterator[list[Any]]:
    """Every published process's public proposals (as each process's default download), as CSV rows."""
    return csv_table(_records(_public_proposals()))


def _published_processes() -> list[Process]:
    return list(db.session.scalars(select(Process).where(Process.published_at.is_not(None))
                                   .order_by(Process.published_at.desc(), Process.id)))


def proposal_distributions() -> Iterator[Distribution]:
    """Each published process's own downloads."""
    for process in _published_processes():
        url = url_for("proposals.export_csv", slug=process.slug, _external=True)
        yield Distribution(f"{process.title}: proposals (CSV)", url, "text/csv")
        yield Distribution(f"{process.title}: proposals (CSV for Excel, UTF-8 with a byte order mark)",
                           f"{url}?excel=1", "text/csv")
        yield Distribution(f"{process.title}: proposals (JSON)",
                           url_for("proposals.export_json", slug=process.slug, _external=True), "application/json")


COMMENT_COLUMNS = (
    Column("id", "The comment's number on the site.", "integer"),
    Column("proposal_id", "The proposal it comments on (the id column of proposals.csv).", "integer"),
    Column("process", "The slug of the proposal's participatory process.", "text"),
    Column("parent_id", "The comment it answers; empty for a comment on the proposal itself.", "integer"),
    Column("depth", "How deep in the thread: 0 for a comment on the proposal, up to 3.", "integer"),
    Column("alignment", "The commenter's position: in_favour, neutral or against.", "text"),
    Column("body", "The comment in Markdown as written; empty for a comment its author deleted.", "text"),
    Column("created_at", "When it was written.", "datetime", "UTC"),
    Column("edited_at", "When it was last edited; empty if never.", "datetime", "UTC"),
    Column("up_votes", "How many people found it helpful.", "integer", "votes"),
    Column("down_votes", "How many people did not.", "integer", "votes"),
    Column("url", "The comment on its proposal's page.", "url"),
)


def all_comments() -> Iterator[list[Any]]:
    """The public comments on public proposals of published processes (as shown on the pages: never one hidden
    by moderation or in a thread under one; a deleted comment keeps its place without its words). No author:
    the downloads never name a person."""
    p1, p2, p3 = aliased(Comment), aliased(Comment), aliased(Comment)
    stmt = (select(Comment.id, Comment.resource_id, Process.slug, Comment.parent_id, Comment.depth,
                   Comment.alignment, Comment.body, Comment.deleted_at, Comment.created_at, Comment.edited_at,
                   Comment.up_votes, Comment.down_votes)
            .join(Proposal, Proposal.id == Comment.resource_id)
            .join(Process, Process.id == Proposal.process_id)
            .outerjoin(p1, p1.id == Comment.parent_id)
            .outerjoin(p2, p2.id == p1.parent_id)
            .outerjoin(p3, p3.id == p2.parent_id)
            .where(Comment.resource_type == "proposal", Comment.hidden_at.is_(None), p1.hidden_at.is_(None),
                   p2.hidden_at.is_(None), p3.hidden_at.is_(None), *_public_proposals())
            .order_by(Comment.id)
            .execution_options(yield_per=BATCH))
    prefix, suffix = _link("proposals.show", proposal_id=0)
    for (cid, pid, process, parent, depth, alignment, body, deleted_at, created, edited, up,
         down) in db.session.execute(stmt):
        yield [cid, pid, process, parent if parent is not None else "", depth, ALIGNMENT_KEYS.get(alignment, ""),
               "" if deleted_at is not None else body, iso(created), iso(edited) or "", up, down,
               f"{prefix}{pid}{suffix}#comment-{cid}"]


PROPOSALS_DATASET = Dataset(
    key="proposals", title="Proposals",
    description="Every public proposal of every published participatory process: what residents propose for "
                "Westminster, where, how many support it and the council's answer. Drafts, proposals hidden by "
                "moderation and withdrawn ones are left out (a process's own download gives withdrawn ones with "
                "state=withdrawn); never who wrote or supported a proposal.",
    columns=COLUMNS, rows=all_proposals, distributions=proposal_distributions,
    keywords=("participation", "proposals", "SMART City", "Westminster"))

COMMENTS_DATASET = Dataset(
    key="proposal-comments", title="Comments on proposals",
    description="The public comments on those proposals, threaded by parent_id, with the commenter's position "
                "and votes; never who wrote them.",
    columns=COMMENT_COLUMNS, rows=all_comments, keywords=("participation", "comments", "Westminster"))

DATASETS = (PROPOSALS_DATASET, COMMENTS_DATASET)
