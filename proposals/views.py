"""Public HTML routes of proposals: the list and its map, making, editing, publishing and withdrawing a
proposal, co-authors, supports, endorsements and the proposal page. Officers' routes (answers, settings,
categories) are on their own blueprint, in ``admin_views``.

Thin: parse the request, call a service (which checks permission and phase for the object), render or redirect.
A rule's refusal (``RuleViolation``) becomes a message beside the field or at the top; a refusal of permission
(``PermissionDenied``) and an unknown object (``NotFound``) reach the app's error handler: 403 and 404.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from civic import maps, policy
from civic.comments import services as comments
from civic.db import db, get_or_404
from civic.errors import DomainError, RuleViolation
from civic.exports import OPEN_GOVERNMENT_LICENCE, open_data
from civic.groups.models import Group
from civic.spaces import services as spaces
from civic.web import attempt, digits, form_error, json_error, page_arg, safe_next
from proposals import coauthors, endorsements, forms, pages, services, supports
from proposals.answers import ANSWER_LABELS
from proposals.categories import categories_for
from proposals.listing import ORDERS, Filters, listing
from proposals.models import Proposal
from proposals.policy import visible
from proposals.settings import settings_for

bp = Blueprint("proposals", __name__)
#: The answers' names, for the templates' macros (the list's badges) as well as the pages.
bp.add_app_template_global(ANSWER_LABELS, "proposal_answer_labels")

SEED_KEY = "proposals_seed"
#: The list's query arguments that its links (map, downloads) carry on.
FILTER_ARGS = ("q", "ward", "state", "category", "order")


# The list and the map ---------------------------------------------------------------------------------------


def _filters(process) -> tuple[forms.FilterForm, Filters, list]:
    """The filter form from the query string, and the filters it means (anything unknown is ignored)."""
    form = forms.FilterForm(request.args)
    wards = services.wards_for(process)
    categories = categories_for(process)
    form.ward.choices = [("", "Any ward")] + [(str(w.id), w.name) for w in wards]
    form.category.choices = [("", "Any category")] + [(c.slug, c.name) for c in categories]
    form.validate()
    ward = form.ward.data if not form.ward.errors else ""
    state = form.state.data if not form.state.errors else ""
    category = form.category.data if not form.category.errors else ""
    order = form.order.data if form.order.data in ORDERS and not form.order.errors else "random"
    form.order.data = order
    f = Filters(q=(form.q.data or "")[:100] if not form.q.errors else "",
                ward_id=digits(ward),
                state=state or None, category=category or None, order=order)
    return form, f, categories


def _seed() -> int:
    """The visitor's random order: kept in their session, so pages 2, 3... follow on from page 1."""
    seed = session.get(SEED_KEY)
    if not isinstance(seed, int):
        seed = secrets.randbelow(2**62)
        session[SEED_KEY] = seed
    return seed


@bp.get("/processes/<slug>/proposals/")
def index(slug: str):
    process = spaces.get_visible(current_user, slug)
    form, f, categories = _filters(process)
    seed = _seed() if f.order == "random" else 0
    result = listing(process, f, page_arg(), seed=seed)
    # Only the filters: another argument (``slug``, ``_external``...) would reach url_for in the page's links.
    args = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}
    return render_template("proposals/index.html", process=process, form=form, filters=f, listing=result,
                           page=result.page, categories=categories, query_args=args,
                           rules=settings_for(process),
                           creation_refusal=services.creation_refusal(current_user, process)
                           if current_user.is_authenticated else None)


@bp.get("/processes/<slug>/proposals/map.geojson")
def geojson(slug: str):
    """The filtered set's located proposals; ``bbox`` (minLon,minLat,maxLon,maxLat) narrows them to a box (400
    naming it when it is not one). Open data: the licence in the headers and in the file, read-only CORS."""
    process = spaces.get_visible(current_user, slug)
    _form, f, _categories = _filters(process)
    try:
        box = maps.parse_bbox(request.args.get("bbox"))
    except DomainError as e:
        return json_error(e.message, e.status_code, e.field)
    limit = services.GEOJSON_LIMIT
    meta = {"licence": OPEN_GOVERNMENT_LICENCE.as_dict(), "limit": limit}
    response = maps.stream_geojson(services.geojson_features(process, f, bbox=box), limit=limit, meta=meta)
    return open_data(response, public=process.is_published)


def _visible_proposal(proposal_id: int) -> Proposal:
    """The proposal, or 404 for one this person may not see (a draft or a hidden one not theirs, anything in an
    unpublished process): "not yours" and "does not exist" get the same answer, so a 403 never tells that
    someone's draft exists. Every route of a proposal starts here."""
    proposal = get_or_404(Proposal, proposal_id)
    if not visible(current_user, proposal):
        abort(404)
    return proposal


# Creating, editing, publishing, withdrawing -----------------------------------------------------------------


def _form_choices(form: forms.ProposalForm, process) -> None:
    form.ward.choices = [("", "Choose a ward")] + [(str(w.id), w.name) for w in services.wards_for(process)]
    form.categories.choices = [(c.id, c.name) for c in categories_for(process)]


def _fields(form: forms.ProposalForm) -> services.ProposalFields:
    return services.ProposalFields(
        title=form.title.data, body=form.body.data, ward_id=form.ward.data, address=form.address.data,
        latitude=form.latitude.data, longitude=form.longitude.data, point_confirmed=bool(form.point_confirmed.data),
        photo=form.photo.data,
        photo_alt=form.photo_alt.data, remove_photo=bool(form.remove_photo.data),
        category_ids=form.categories.data or ())


@bp.route("/processes/<slug>/proposals/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    process = spaces.get_visible(current_user, slug)
    refusal = services.creation_refusal(current_user, process)
    form = forms.ProposalForm()
    _form_choices(form, process)
    if refusal is None and form.validate_on_submit():
        try:
            proposal = services.create_draft(current_user, process, _fields(form))
        except RuleViolation as e:
            form_error(form, e)
        else:
            flash("Your draft is saved. Check it and look at the similar proposals below, then publish it.",
                  "success")
            return redirect(url_for(".show", proposal_id=proposal.id))
    elif refusal and request.method == "POST":
        form.form_errors.append(refusal)
    return render_template("proposals/form.html", form=form, process=process, proposal=None, refusal=refusal)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    policy.require(current_user, "proposal.edit", proposal)
    refusal = services.edit_refusal(proposal)
    if refusal:
        flash(refusal, "error")
        return redirect(url_for(".show", proposal_id=proposal.id))
    form = forms.ProposalForm(obj=proposal if request.method == "GET" else None)
    form._has_existing_photo = proposal.photo_path is not None
    _form_choices(form, proposal.process)
    if request.method == "GET":
        form.ward.data = str(proposal.ward_id)
        form.categories.data = [c.id for c in proposal.categories]
        form.latitude.data = "" if proposal.latitude is None else str(proposal.latitude)
        form.longitude.data = "" if proposal.longitude is None else str(proposal.longitude)
    ok, _result = attempt(form, lambda: services.update(current_user, proposal, _fields(form)))
    if ok:
        flash("Your changes are saved.", "success")
        return redirect(url_for(".show", proposal_id=proposal.id))
    return render_template("proposals/form.html", form=form, process=proposal.process, proposal=proposal,
                           refusal=None)


def _posted(proposal_id: int, act: Callable[[Proposal], str | None]):
    """Run a button's service call; ``act`` returns the success message. Rules' refusals are flashed."""
    proposal = _visible_proposal(proposal_id)
    form = forms.ActionForm()
    if not form.validate_on_submit():
        flash("The form expired. Please try again.", "error")
    else:
        try:
            message = act(proposal)
        except RuleViolation as e:
            flash(e.message, "error")
        else:
            if message:
                flash(message, "success")
    return redirect(url_for(".show", proposal_id=proposal_id))


@bp.post("/proposals/<int:proposal_id>/publish")
@login_required
def publish(proposal_id: int):
    def act(proposal: Proposal) -> str:
        services.publish(current_user, proposal)
        return "Your proposal is published. Share it so people can support it."

    return _posted(proposal_id, act)


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    policy.require(current_user, "proposal.withdraw", proposal)
    form = forms.ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        slug = proposal.process.slug
        try:
            outcome = services.withdraw(current_user, proposal)
        except RuleViolation as e:
            flash(e.message, "error")
            return redirect(url_for(".show", proposal_id=proposal_id))
        if outcome == "deleted":
            flash("Your draft is deleted.", "success")
            return redirect(url_for(".index", slug=slug))
        flash("Your proposal is withdrawn. It stays visible, marked as withdrawn, and can no longer be "
              "supported.", "success")
        return redirect(url_for(".show", proposal_id=proposal_id))
    return render_template("proposals/withdraw.html", proposal=proposal, form=form)


# Co-authors -------------------------------------------------------------------------------------------------


@bp.post("/proposals/<int:proposal_id>/coauthors")
@login_required
def invite_coauthor(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    policy.require(current_user, "proposal.coauthors", proposal)
    form = forms.CoauthorForm()
    ok, row = attempt(form, lambda: coauthors.invite_coauthor(current_user, proposal, form.nickname.data))
    if ok:
        flash(f"@{row.user.nickname} is invited. They accept on this page.", "success")
        return redirect(url_for(".show", proposal_id=proposal_id, _anchor="coauthors-title"))
    return _show(proposal_id, coauthor_form=form)


@bp.post("/proposals/<int:proposal_id>/coauthors/group")
@login_required
def name_group(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    policy.require(current_user, "proposal.coauthors", proposal)
    form = forms.GroupCoauthorForm()
    form.group.choices = [(str(g.id), g.name) for g in coauthors.groups_to_name(
        current_user, proposal, coauthors.coauthors_of(proposal))]
    form.group.validate_choice = False  # the service says what is wrong with a group
    ok, row = attempt(form, lambda: coauthors.name_group(current_user, proposal, form.group.data))
    if ok:
        flash(f"{row.group.name} is named as a co-author.", "success")
        return redirect(url_for(".show", proposal_id=proposal_id, _anchor="coauthors-title"))
    return _show(proposal_id, group_form=form)


@bp.post("/proposals/<int:proposal_id>/coauthors/accept")
@login_required
def accept_coauthor(proposal_id: int):
    def act(proposal: Proposal) -> str:
        coauthors.accept_invitation(current_user, proposal)
        return "You are now a co-author of this proposal."

    return _posted(proposal_id, act)


@bp.post("/proposals/<int:proposal_id>/coauthors/decline")
@login_required
def decline_coauthor(proposal_id: int):
    def act(proposal: Proposal) -> str:
        coauthors.decline_invitation(current_user, proposal)
        return "You are no longer invited to co-author this proposal."

    return _posted(proposal_id, act)


@bp.post("/proposals/<int:proposal_id>/coauthors/<int:coauthor_id>/remove")
@login_required
def remove_coauthor(proposal_id: int, coauthor_id: int):
    def act(proposal: Proposal) -> str:
        row = coauthors.remove_coauthor(current_user, proposal, coauthor_id)
        name = f"@{row.user.nickname}" if row.user else row.group.name
        return f"{name} is no longer a co-author."

    return _posted(proposal_id, act)


# Supports ---------------------------------------------------------------------------------------------------


def _back(proposal: Proposal, anchor: str):
    return redirect(url_for(".show", proposal_id=proposal.id, _anchor=anchor))


@bp.post("/proposals/<int:proposal_id>/support")
@login_required
def support(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    # "…@support": the message is shown in the supports section, where the redirect takes the person (#support).
    try:
        added = supports.support(current_user, proposal)
    except RuleViolation as e:
        flash(e.message, "error@support")
    else:
        settings = settings_for(proposal.process)
        if not added:
            flash("You already support this proposal.", "info@support")
        elif settings.min_supports and not supports.support_counts(current_user, proposal):
            flash(f"Thank you: your support is recorded. Your supports count once you have supported "
                  f"{settings.min_supports} proposals in this process.", "success@support")
        else:
            flash("Thank you: your support is counted.", "success@support")
    return _back(proposal, "support")


@bp.post("/proposals/<int:proposal_id>/unsupport")
@login_required
def unsupport(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    back = safe_next(request.form.get("next"), "")
    place = "" if back else "@support"  # from the list of their supports: at the top of that list
    try:
        removed = supports.unsupport(current_user, proposal)
    except RuleViolation as e:
        flash(e.message, "error" + place)
    else:
        if removed:
            flash(f"Your support for “{proposal.title}” is withdrawn.", "success" + place)
        else:
            flash("You were not supporting this proposal.", "info" + place)
    if back:  # withdrawn from the list of the proposals they support: back to that list
        return redirect(back)
    return _back(proposal, "support")


@bp.get("/processes/<slug>/proposals/supported")
@login_required
def supported(slug: str):
    """The proposals the signed-in person supports in this process, each with "Withdraw my support"."""
    process = spaces.get_visible(current_user, slug)
    return render_template("proposals/supported.html", process=process,
                           mine=supports.supported_in(current_user, process))


# Endorsements -----------------------------------------------------------------------------------------------


def _group() -> Group | None:
    raw = request.form.get("group", "")
    if not raw:
        return None
    group = db.session.get(Group, digits(raw)) if digits(raw) is not None else None
    if group is None:
        abort(404)
    return group


@bp.post("/proposals/<int:proposal_id>/endorse")
@login_required
def endorse(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    group = _group()
    who = f"{group.name} endorses" if group else "You endorse"
    try:
        added = endorsements.endorse(current_user, proposal, group)
    except RuleViolation as e:
        flash(e.message, "error")
    else:
        if added:
            flash(f"{who} this proposal publicly.", "success")
        else:
            flash(f"{who} this proposal already.", "info")
    return _back(proposal, "endorsements")


@bp.post("/proposals/<int:proposal_id>/unendorse")
@login_required
def unendorse(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    group = _group()
    try:
        removed = endorsements.unendorse(current_user, proposal, group)
    except RuleViolation as e:
        flash(e.message, "error")
    else:
        whose = f"The endorsement by {group.name}" if group else "Your endorsement"
        if removed:
            flash(f"{whose} is withdrawn.", "success")
        else:
            flash(f"{whose} was not there.", "info")
    return _back(proposal, "endorsements")


# The proposal page ------------------------------------------------------------------------------------------


def _endorsements_page() -> int:
    """The page of the endorsers' list (``?endorsements_page=``); 1 for anything else."""
    raw = request.args.get("endorsements_page", "1")
    number = digits(raw)
    return number if number is not None and 0 < number < 100000 else 1


def _show(proposal_id: int, *, coauthor_form: forms.CoauthorForm | None = None,
          group_form: forms.GroupCoauthorForm | None = None):
    view = pages.proposal_view(current_user, proposal_id)
    proposal = view.proposal
    if view.hidden_from_viewer:
        return render_template("proposals/hidden.html", proposal=proposal)
    context = {"view": view, "proposal": proposal, "action_form": forms.ActionForm(formdata=None)}
    if view.role == "author" and proposal.state != "withdrawn":
        context["coauthor_form"] = coauthor_form or forms.CoauthorForm(formdata=None)
        if view.groups_to_name or group_form:
            form = group_form or forms.GroupCoauthorForm(formdata=None)
            form.group.choices = [("", "Choose a group")] + [(str(g.id), g.name) for g in view.groups_to_name]
            context["group_form"] = form
    if proposal.state != "draft":
        context.update(pages.page_context(current_user, proposal, _endorsements_page()))
        context["thread"] = comments.thread("proposal", proposal.id, current_user,
                                            order=request.args.get("order", "oldest"))
    return render_template("proposals/show.html", **context)


@bp.get("/proposals/<int:proposal_id>")
def show(proposal_id: int):
    return _show(proposal_id)
