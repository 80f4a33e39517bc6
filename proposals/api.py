"""JSON API (``/api/v1``): processes, proposals and comments; support and comment for signed-in people.

Built on the core's API kit (:mod:`civic.api`: argument parsing, the paging envelope, errors, token
authentication, the write rate limit, read-only CORS); the index ``/api/v1/`` and ``/api/v1/me`` are the
core's. Every endpoint calls the same services as the HTML pages (``civic.spaces.services``, ``proposals.services``,
``proposals.supports``, ``civic.comments.services``), so the rules are the same wherever a person acts.
Documented with examples in ``docs/api.md``.

- Authentication (see :mod:`civic.accounts.api_tokens`): ``Authorization: Bearer civic_...`` or the browser
  session; a session-authenticated write needs the ``X-CSRFToken`` header. Reads are open to everyone.
- Errors, pages and rate limits: see :mod:`civic.api`. A rule's refusal keeps its status (403 permission,
  404 not found, 409 a rule such as the support limit or the phase); malformed input is 400 and names the
  field; 401 when a write needs someone signed in.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

from flask import jsonify, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, lazyload

from civic import api, openapi
from civic.accounts.api_tokens import api_user
from civic.api import (
    BadInput,
    choice_arg,
    cursor_arg,
    datetime_arg,
    envelope,
    int_arg,
    iso,
    keyset,
    keyset_envelope,
    keyset_list,
    keyset_query,
    listed,
    order_arg,
    paging,
    payload,
    require_user,
    slug_arg,
    write_limit,
)
from civic.comments import services as comments
from civic.db import db, paginate
from civic.errors import NotFound
from civic.openapi import json_body, page_of, query, ref
from civic.spaces import phases as phase_actions
from civic.spaces import services as spaces
from civic.spaces.models import Phase, Process, Programme, Ward
from civic.text import render_markdown
from proposals import categories, exports, supports
from proposals import listing as proposal_listing
from proposals import settings as proposal_settings
from proposals.models import Proposal
from proposals.pages import page_context
from proposals.policy import visible

bp = api.blueprint("proposals_api", __name__)
#: The index's entry (declared in proposals/manifest.py).
COLLECTIONS = (api.Collection("processes", "proposals_api.processes",
                              "Published participatory processes; each links to its proposals and their comments."),)

COMMENTS_PER_PAGE = 50
#: The list page's orders, and ``id`` (oldest first by id: the order cursors follow).
API_ORDERS = (*proposal_listing.ORDERS, "id")
ALIGNMENT_WORDS = {"in_favour": 1, "neutral": 0, "against": -1}

# The OpenAPI description's parts (civic/openapi.py): the parameters and bodies of these routes.
_SLUG = {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": 100}
_PROCESS_FILTERS = [
    query("status", "active, upcoming or past.", {"enum": list(spaces.STATUSES)}),
    query("programme", "A programme's slug, e.g. cleantech-city.", _SLUG),
    query("ward", "A ward's slug, e.g. church-street: its processes and the whole city's.", _SLUG),
]
_PROPOSAL_FILTERS = [
    query("q", "Words in the title or description."),
    query("ward", "A ward of the process: its slug or id.", _SLUG),
    query("state", "The answer's state, or withdrawn.", {"enum": list(proposal_listing.STATE_FILTERS)}),
    query("category", "A category's slug in this process.", _SLUG),
    query("order", "The order (random by default).", {"enum": list(proposal_listing.ORDERS)}),
    query("seed", "For order=random: the seed of the first page, to keep the order.",
          {"type": "integer", "minimum": 0, "maximum": 2**62}),
]
_SUPPORT_RESULT = openapi.obj(("supported", "supports_count"), supported={"type": "boolean"},
                              added={"type": "boolean"}, removed={"type": "boolean"}, counted={"type": "boolean"},
                              supports_count={"type": "integer"})
_COMMENT_BODY = openapi.obj(
    ("body",), body={"type": "string", "maxLength": 5000, "description": "Markdown; @nickname mentions link."},
    alignment={"enum": ["in_favour", "neutral", "against", "1", "0", "-1", 1, 0, -1]},
    parent_id={"type": "integer", "minimum": 1, "maximum": openapi.MAX_ID,
               "description": "Reply to this comment of the same proposal."})


# Shapes -----------------------------------------------------------------------------------------------------


def _phase(phase: Phase | None) -> dict[str, Any] | None:
    if phase is None:
        return None
    return {"title": phase.title, "description": phase.description, "starts_at": iso(phase.starts_at),
            "ends_at": iso(phase.ends_at),
            "actions": phase_actions.ordered(phase.actions)}


def process_json(process: Process, *, detail: bool = False) -> dict[str, Any]:
    api.last_modified(process.published_at or process.created_at)
    data = {
        "slug": process.slug,
        "title": process.title,
        "subtitle": process.subtitle,
        "programme": {"slug": process.programme.slug, "name": process.programme.name},
        "whole_city": process.whole_city,
        "wards": [] if process.whole_city else [{"slug": w.slug, "name": w.name} for w in process.wards],
        "status": spaces.status(process),
        "active_phase": _phase(spaces.active_phase(process)),
        "open_actions": spaces.open_actions(process),
        "published_at": iso(process.published_at),
        "url": url_for("spaces.show", slug=process.slug, _external=True),
        "api_url": url_for(".process", slug=process.slug, _external=True),
        "proposals_api_url": url_for(".process_proposals", slug=process.slug, _external=True),
    }
    if detail:
        settings = proposal_settings.settings_for(process)
        data.update({
            "description": process.description,
            "description_html": str(render_markdown(process.description)),
            "banner": ({"url": url_for("pages.upload", name=process.banner_path, _external=True),
                        "alt": process.banner_alt} if process.banner_path else None),
            "phases": [_phase(p) for p in process.phases],
            "categories": [{"slug": c.slug, "name": c.name} for c in categories.categories_for(process)],
            "proposal_rules": {
                "support_limit": settings.support_limit, "min_supports": settings.min_supports,
                "threshold": settings.threshold, "close_at_threshold": settings.close_at_threshold,
                "proposal_limit": settings.proposal_limit, "verified_only": settings.verified_only,
                "ward_only": settings.ward_only,
            },
            "exports": {"csv": url_for("proposals.export_csv", slug=process.slug, _external=True),
                        "json": url_for("proposals.export_json", slug=process.slug, _external=True),
                        "licence": exports.LICENCE, "licence_url": exports.LICENCE_URL},
        })
    return data


def proposal_json(proposal: Proposal, *, detail: bool = False) -> dict[str, Any]:
    """Public fields only: never an email address, never who supported."""
    author = proposal.author
    located = proposal.latitude is not None and proposal.longitude is not None
    data = {
        "id": proposal.id,
        "title": proposal.title,
        "body": proposal.body,
        "process": proposal.process.slug,
        "author": {"nickname": author.nickname if author.deleted_at is None else None, "name": author.public_name},
        "ward": {"slug": proposal.ward.slug, "name": proposal.ward.name},
        "categories": [{"slug": c.slug, "name": c.name} for c in proposal.categories],
        "state": proposal.state,
        "answer": {
            "state": proposal.answer_state,
            "text": proposal.answer_text or None,
            "cost": str(proposal.answer_cost) if proposal.answer_cost is not None else None,
            "delivery": proposal.answer_delivery or None,
            "answered_at": iso(proposal.answered_at),
        },
        "supports_count": proposal.supports_count,
        "comments_count": proposal.comments_count,
        "endorsements_count": proposal.endorsements_count,
        "threshold_reached_at": iso(proposal.threshold_reached_at),
        "location": ({"latitude": proposal.latitude, "longitude": proposal.longitude,
                      "address": proposal.address or None} if located else None),
        "photo": ({"url": url_for("pages.upload", name=proposal.photo_path, _external=True),
                   "alt": proposal.photo_alt} if proposal.photo_path else None),
        "published_at": iso(proposal.published_at),
        "updated_at": iso(proposal.updated_at),
        "withdrawn_at": iso(proposal.withdrawn_at),
        "url": url_for("proposals.show", proposal_id=proposal.id, _external=True),
        "api_url": url_for(".proposal", proposal_id=proposal.id, _external=True),
    }
    if detail:
        data["body_html"] = str(render_markdown(proposal.body))
    for stamp in (proposal.published_at, proposal.updated_at, proposal.answered_at, proposal.threshold_reached_at,
                  proposal.withdrawn_at):
        api.last_modified(stamp)
    return data


def _support_state(user: Any, proposal: Proposal) -> dict[str, Any]:
    """What the viewer may do about supporting, from the same rules as the proposal page."""
    ctx = page_context(user, proposal)
    panel, settings = ctx["support_panel"], ctx["proposal_settings"]
    state = {"threshold": settings.threshold, "threshold_reached": panel.reached, "closed": panel.closed,
             "may_support": panel.refusal is None and not panel.supported,
             "refusal": str(panel.refusal) if panel.refusal and not panel.supported else None}
    if user is not None:
        state.update({"supported": panel.supported, "counted": panel.counted, "used": panel.used,
                      "limit": panel.limit, "minimum": panel.minimum})
    return state


def _comment_json(node: comments.Node, page_url: str) -> dict[str, Any]:
    """A comment with its own ``url`` (the proposal's page at the comment), its replies likewise."""
    return _with_urls(node.as_dict(), page_url)


def _with_urls(data: dict[str, Any], page_url: str) -> dict[str, Any]:
    data["url"] = f"{page_url}#comment-{data['id']}"
    data["replies"] = [_with_urls(r, page_url) for r in data["replies"]]
    return data


def _page_url(proposal: Proposal) -> str:
    return url_for("proposals.show", proposal_id=proposal.id, _external=True)


# Processes --------------------------------------------------------------------------------------------------


#: The processes' orders: ``published`` (newest first, the default) or ``id`` (the order cursors follow).
PROCESS_ORDERS = ("published", "id")


def _exists(column: Any) -> Any:
    return lambda slug: db.session.scalar(select(column.class_.id).where(column == slug).limit(1)) is not None


@bp.get("/processes")
@openapi.operation("Published processes", description="Newest first; active ones in the order they end, "
                   "upcoming ones in the order they start.", parameters=_PROCESS_FILTERS + openapi.paging(),
                   responses={200: page_of(ref("Process"))}, tags=["processes"])
def processes():
    """Published processes, newest first; ``status`` (active, upcoming, past), ``programme``, ``ward`` (slugs),
    ``updated_since``; offset pages (``page``) or keyset pages (``cursor``, in id order)."""
    status = choice_arg("status", spaces.STATUSES)
    programme = slug_arg("programme", lambda slug: db.session.scalar(
        select(Programme.id).where(Programme.slug == slug)) is not None, "a programme's slug")
    ward = slug_arg("ward", lambda slug: db.session.scalar(
        select(Ward.id).where(Ward.slug == slug)) is not None, "a ward's slug")
    since = datetime_arg("updated_since")
    cursor = cursor_arg()
    order = order_arg(PROCESS_ORDERS, "id" if cursor is not None else "published")
    if cursor is not None and order != "id":
        raise BadInput("Cursor pages come in id order: leave “order” out or send order=id.", field="order")
    if status:
        stmt = spaces.list_query(None, which=status, programme_slug=programme, ward_slug=ward)
    else:
        stmt = spaces._filtered(None, programme_slug=programme, ward_slug=ward) \
            .order_by(Process.published_at.desc(), Process.id.desc())
    if since is not None:
        # A process keeps no "updated" time: its publication (or creation) is the best there is (docs/api.md).
        stmt = stmt.where(or_(Process.published_at >= since, Process.created_at >= since))
    if cursor is not None:
        kpage = keyset(keyset_query(stmt, Process.id), cursor, (per_page := paging()[1]))
        kpage.items = [process_json(p) for p in kpage.items]
        return listed(keyset_envelope(kpage, per_page, order="id"))
    if order == "id":
        stmt = stmt.order_by(None).order_by(Process.id)
    page, per_page = paging()
    result = paginate(stmt, page, per_page)
    return listed(envelope([process_json(p) for p in result.items], result.page, per_page, result.total,
                           order=order))


def _process(slug: str) -> Process:
    """A published process (officers also see drafts, as on the pages)."""
    return spaces.get_visible(api_user(), slug)


@bp.get("/processes/<slug>")
@openapi.operation("One process", description="Its phases, categories, proposal rules and downloads.",
                   responses={200: ref("ProcessDetail")}, tags=["processes"])
def process(slug: str):
    return jsonify(process_json(_process(slug), detail=True))


@bp.get("/processes/<slug>/proposals")
@openapi.operation("A process's proposals", description="Published and not hidden, with the list page's "
                   "filters and orders.", parameters=_PROPOSAL_FILTERS + openapi.paging(),
                   responses={200: page_of(ref("Proposal"), order={"type": "string"}, located={"type": "integer"},
                                           seed={"type": "integer"})}, tags=["proposals"])
def process_proposals(slug: str):
    """The process's public proposals, with the list page's filters, orders and pages; ``updated_since``;
    keyset pages in id order with ``cursor``."""
    process = _process(slug)
    page, per_page = paging()
    cursor = cursor_arg()
    order = order_arg(API_ORDERS, "id" if cursor is not None else "random")
    if cursor is not None and order != "id":
        raise BadInput("Cursor pages come in id order: leave “order” out or send order=id.", field="order")
    filters = exports.filters_from(request.args, process, order=order)  # 400 naming a filter it cannot use
    if cursor is not None:
        kpage, total, located = proposal_listing.keyset_listing(process, filters, cursor, per_page)
        kpage.items = [proposal_json(p) for p in kpage.items]
        return listed(keyset_envelope(kpage, per_page, total=total, order=order, located=located))
    extra: dict[str, Any] = {}
    seed = 0
    if order == "random":
        seed = int_arg("seed", secrets.randbelow(2**31), low=0, high=2**62)
        extra["seed"] = seed  # send it back with the next page to keep the same order
    listing = proposal_listing.listing(process, filters, page, per_page, seed=seed)
    # The service shows the last page for a page past the end; a client expects an empty page there.
    items = [proposal_json(p) for p in listing.page.items] if listing.page.page == page else []
    return listed(envelope(items, page, per_page, listing.page.total, keep=("seed",), order=order,
                           located=listing.located, **extra))


# Proposals --------------------------------------------------------------------------------------------------


def _visible_proposal(proposal_id: int, *, writing: bool = False) -> Proposal:
    """The proposal, or 404 for a draft or hidden one this person may not see (as on the pages).

    A write does not show the proposal: its categories and its process's wards are not loaded."""
    options = [lazyload(Proposal.categories), joinedload(Proposal.process).lazyload(Process.wards)] if writing else []
    proposal = db.session.get(Proposal, proposal_id, options=options)
    if proposal is None or not visible(api_user(), proposal):
        raise NotFound("We could not find that proposal.")
    return proposal


@bp.get("/proposals/<int:proposal_id>")
@openapi.operation("One proposal", description="With what you may do about supporting it.",
                   responses={200: ref("ProposalDetail")}, tags=["proposals"])
def proposal(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    data = proposal_json(proposal, detail=True)
    data["support"] = _support_state(api_user(), proposal)
    return jsonify(data)


@bp.post("/proposals/<int:proposal_id>/support")
@openapi.operation("Support a proposal", responses={201: _SUPPORT_RESULT, 200: _SUPPORT_RESULT},
                   errors=(403, 409, 429), sign_in=True, tags=["proposals"])
@write_limit
def support(proposal_id: int):
    user = require_user()
    proposal = _visible_proposal(proposal_id, writing=True)
    added = supports.support(user, proposal)
    body = {"supported": True, "added": added, "counted": supports.support_counts(user, proposal),
            "supports_count": proposal.supports_count}
    if not added:
        return jsonify(body), 200
    return jsonify(body), 201, {"Location": url_for(".support", proposal_id=proposal.id, _external=True)}


@bp.delete("/proposals/<int:proposal_id>/support")
@openapi.operation("Withdraw your support", responses={200: _SUPPORT_RESULT}, errors=(403, 409, 429),
                   sign_in=True, tags=["proposals"])
@write_limit
def unsupport(proposal_id: int):
    user = require_user()
    proposal = _visible_proposal(proposal_id, writing=True)
    removed = supports.unsupport(user, proposal)
    return jsonify({"supported": False, "removed": removed, "supports_count": proposal.supports_count})


# Comments ---------------------------------------------------------------------------------------------------


@bp.get("/proposals/<int:proposal_id>/comments")
@openapi.operation("A proposal's comments", description="Top-level comments a page at a time, replies nested.",
                   parameters=[query("order", "oldest (default), newest or best.",
                                     {"enum": list(comments.ORDERS)}), *openapi.paging(COMMENTS_PER_PAGE)],
                   responses={200: page_of(ref("Comment"), order={"type": "string"},
                                           comments_count={"type": "integer"}, may_comment={"type": "boolean"},
                                           why_not={"type": ["string", "null"]})}, tags=["comments"])
def proposal_comments(proposal_id: int):
    """The conversation: top-level comments a page at a time, each with its replies nested; ``updated_since``
    keeps the threads with something new; ``cursor``: keyset pages of the top-level comments in id order."""
    proposal = _visible_proposal(proposal_id)
    cursor = cursor_arg()
    order = order_arg(tuple(comments.ORDERS), "oldest")
    if cursor is not None and order != "oldest":
        raise BadInput("Cursor pages come in id order (oldest first): leave “order” out or send order=oldest.",
                       field="order")
    page, per_page = paging(COMMENTS_PER_PAGE)
    since = datetime_arg("updated_since")
    thread = comments.thread("proposal", proposal.id, api_user(), order=order)
    if not thread.readable:
        raise NotFound("Comments are not shown for this proposal.")
    roots = thread.comments if since is None else [n for n in thread.comments if _changed_since(n, since)]
    extra = {"order": order, "comments_count": thread.total, "may_comment": thread.may_comment is True,
             "why_not": None if thread.may_comment is True else thread.may_comment}
    if cursor is not None:
        kpage = keyset(keyset_list(roots, key=lambda n: n.comment.id), cursor, per_page,
                       key=lambda n: n.comment.id)
        page_url = _page_url(proposal)
        kpage.items = [_comment_json(n, page_url) for n in kpage.items]
        return listed(keyset_envelope(kpage, per_page, total=len(roots), **extra))
    pages = max(1, math.ceil(len(roots) / per_page))
    page_url = _page_url(proposal)
    items = [_comment_json(n, page_url) for n in api.slice_page(roots, page, per_page)] if page <= pages else []
    return listed(envelope(items, page, per_page, len(roots), **extra))


def _changed_since(node: comments.Node, since: Any) -> bool:
    """Whether the comment or a reply under it was written, edited, deleted or hidden at ``since`` or later."""
    c = node.comment
    if any(t is not None and t >= since for t in (c.created_at, c.edited_at, c.deleted_at, c.hidden_at)):
        return True
    return any(_changed_since(r, since) for r in node.replies)


@bp.post("/proposals/<int:proposal_id>/comments")
@openapi.operation("Comment, or reply", request_body=json_body(_COMMENT_BODY, "A JSON object or form fields."),
                   responses={201: ref("Comment")}, errors=(403, 409, 429), sign_in=True, tags=["comments"])
@write_limit
def post_comment(proposal_id: int):
    """A comment (``body``, ``alignment``: in_favour/neutral/against or 1/0/-1) or, with ``parent_id``, a reply."""
    user = require_user()
    proposal = _visible_proposal(proposal_id, writing=True)
    data = payload()
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        raise BadInput("“body” must be text.", field="body")
    alignment = data.get("alignment", 0)
    if isinstance(alignment, str) and alignment.strip() in ALIGNMENT_WORDS:
        alignment = ALIGNMENT_WORDS[alignment.strip()]
    elif isinstance(alignment, bool) or not isinstance(alignment, int | str):
        raise BadInput("“alignment” must be in_favour, neutral or against (or 1, 0, -1).", field="alignment")
    parent_id = data.get("parent_id")
    if parent_id in (None, ""):
        comment = comments.post_comment(user, "proposal", proposal.id, body or "", alignment)
    else:
        parent = _parent(user, proposal, parent_id)
        comment = comments.reply(user, parent, body or "", alignment)
    data = _comment_json(comments.Node(comment), _page_url(proposal))
    return jsonify(data), 201, {"Location": data["url"]}


def _parent(user: Any, proposal: Proposal, raw: Any):
    ident = api.id_value(raw)
    if ident is None:
        raise BadInput("“parent_id” must be the id of a comment on this proposal.", field="parent_id")
    try:
        parent = comments.get_comment(user, ident)
    except NotFound:
        parent = None
    if parent is None or parent.resource_type != "proposal" or parent.resource_id != proposal.id:
        raise BadInput(f"There is no comment {ident} on this proposal to reply to.", field="parent_id")
    return parent
