"""HTML routes of proposals: listing, map, creation, editing, the proposal page.

Thin: parse, call a service (which checks permission and phase for the object), render. A rule's refusal
(``RuleViolation``) becomes a message beside the field or at the top; a refusal of permission
(``PermissionDenied``) and an unknown object (``NotFound``) reach the app's error handler: 403 and 404.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from civic import maps, policy
from civic.comments import services as comments
from civic.errors import RuleViolation
from civic.web import attempt, form_error, page_arg
from proposals import forms, participation, services
from proposals.models import Proposal

bp = Blueprint("proposals", __name__)

SEED_KEY = "proposals_seed"
#: The list's query arguments that its links (map, downloads) carry on.
FILTER_ARGS = ("q", "ward", "state", "category", "order")


# The list and the map ---------------------------------------------------------------------------------------


def _filters(process) -> tuple[forms.FilterForm, services.Filters, list]:
    """The filter form from the query string, and the filters it means (anything unknown is ignored)."""
    form = forms.FilterForm(request.args)
    wards = services.wards_for(process)
    categories = services.categories_for(process)
    form.ward.choices = [("", "Any ward")] + [(str(w.id), w.name) for w in wards]
    form.category.choices = [("", "Any category")] + [(c.slug, c.name) for c in categories]
    form.validate()
    ward = form.ward.data if not form.ward.errors else ""
    state = form.state.data if not form.state.errors else ""
    category = form.category.data if not form.category.errors else ""
    order = form.order.data if form.order.data in services.ORDERS and not form.order.errors else "random"
    form.order.data = order
    f = services.Filters(q=(form.q.data or "")[:100] if not form.q.errors else "",
                         ward_id=int(ward) if (ward or "").isdigit() else None,
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
    process = services.get_process(slug, current_user)
    form, f, categories = _filters(process)
    seed = _seed() if f.order == "random" else 0
    result = services.listing(process, f, page_arg(), seed=seed)
    # Only the filters: another argument (``slug``, ``_external``...) would reach url_for in the page's links.
    args = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}
    return render_template("proposals/index.html", process=process, form=form, filters=f, listing=result,
                           page=result.page, categories=categories, query_args=args,
                           creation_refusal=services.creation_refusal(current_user, process)
                           if current_user.is_authenticated else None)


@bp.get("/processes/<slug>/proposals/map.geojson")
def geojson(slug: str):
    process = services.get_process(slug, current_user)
    _form, f, _categories = _filters(process)
    return maps.stream_geojson(services.geojson_features(process, f), limit=services.GEOJSON_LIMIT)


# Creating, editing, publishing, withdrawing -----------------------------------------------------------------


def _form_choices(form: forms.ProposalForm, process) -> None:
    form.ward.choices = [("", "Choose a ward")] + [(str(w.id), w.name) for w in services.wards_for(process)]
    form.categories.choices = [(c.id, c.name) for c in services.categories_for(process)]


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
    process = services.get_process(slug, current_user)
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
    proposal = services.get_proposal(proposal_id)
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
    proposal = services.get_proposal(proposal_id)
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
    proposal = services.get_proposal(proposal_id)
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
    proposal = services.get_proposal(proposal_id)
    policy.require(current_user, "proposal.coauthors", proposal)
    form = forms.CoauthorForm()
    ok, row = attempt(form, lambda: services.invite_coauthor(current_user, proposal, form.nickname.data))
    if ok:
        flash(f"@{row.user.nickname} is invited. They accept on this page.", "success")
        return redirect(url_for(".show", proposal_id=proposal_id, _anchor="coauthors-title"))
    return _show(proposal_id, coauthor_form=form)


@bp.post("/proposals/<int:proposal_id>/coauthors/group")
@login_required
def name_group(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    policy.require(current_user, "proposal.coauthors", proposal)
    form = forms.GroupCoauthorForm()
    form.group.choices = [(str(g.id), g.name) for g in services.groups_to_name(
        current_user, proposal, services.coauthors_of(proposal))]
    form.group.validate_choice = False  # the service says what is wrong with a group
    ok, row = attempt(form, lambda: services.name_group(current_user, proposal, form.group.data))
    if ok:
        flash(f"{row.group.name} is named as a co-author.", "success")
        return redirect(url_for(".show", proposal_id=proposal_id, _anchor="coauthors-title"))
    return _show(proposal_id, group_form=form)


@bp.post("/proposals/<int:proposal_id>/coauthors/accept")
@login_required
def accept_coauthor(proposal_id: int):
    def act(proposal: Proposal) -> str:
        services.accept_invitation(current_user, proposal)
        return "You are now a co-author of this proposal."

    return _posted(proposal_id, act)


@bp.post("/proposals/<int:proposal_id>/coauthors/decline")
@login_required
def decline_coauthor(proposal_id: int):
    def act(proposal: Proposal) -> str:
        services.decline_invitation(current_user, proposal)
        return "You are no longer invited to co-author this proposal."

    return _posted(proposal_id, act)


@bp.post("/proposals/<int:proposal_id>/coauthors/<int:coauthor_id>/remove")
@login_required
def remove_coauthor(proposal_id: int, coauthor_id: int):
    def act(proposal: Proposal) -> str:
        row = services.remove_coauthor(current_user, proposal, coauthor_id)
        name = f"@{row.user.nickname}" if row.user else row.group.name
        return f"{name} is no longer a co-author."

    return _posted(proposal_id, act)


# The proposal page ------------------------------------------------------------------------------------------


def _show(proposal_id: int, *, coauthor_form: forms.CoauthorForm | None = None,
          group_form: forms.GroupCoauthorForm | None = None):
    view = services.proposal_view(current_user, proposal_id)
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
        context.update(participation.page_context(current_user, proposal))
        context["thread"] = comments.thread("proposal", proposal.id, current_user,
                                            order=request.args.get("order", "oldest"))
    return render_template("proposals/show.html", **context)


@bp.get("/proposals/<int:proposal_id>")
def show(proposal_id: int):
    return _show(proposal_id)
