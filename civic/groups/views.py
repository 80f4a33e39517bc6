"""Community group pages. Thin: parse, call a service (which checks permission for the object), render.

A refusal of a rule (``RuleViolation``) becomes a message; a refusal of permission (``PermissionDenied``)
and an unknown object (``NotFound``) reach the app's error handler: 403 and 404.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic import policy
from civic.db import paginate
from civic.errors import RuleViolation
from civic.groups import forms, services
from civic.groups.models import Group
from civic.web import attempt, digits, page_arg

bp = Blueprint("groups", __name__, url_prefix="/groups")


def _page(name: str) -> int:
    raw = request.args.get(name, "1")
    number = digits(raw)
    return number if number is not None and 0 < number < 100000 else 1


def _ward_choices(empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(str(w.id), w.name) for w in services.wards()]


# Lists ------------------------------------------------------------------------------------------------------


@bp.get("/")
def index():
    form = forms.FilterForm(request.args)
    form.ward.choices = _ward_choices("Any ward")
    form.validate()
    ward_id = digits(form.ward.data) if not form.ward.errors else None
    officer = policy.can(current_user, "group.verify")
    unverified = bool(form.unverified.data) and officer
    archived = bool(form.archived.data) and officer
    stmt = services.search_query(text=form.q.data or "", ward_id=ward_id, verified_only=bool(form.verified.data),
                                 unverified_only=unverified, archived=archived)
    page = paginate(stmt, page_arg(), 20)
    return render_template("groups/index.html", form=form, page=page,
                           filtered=bool(form.q.data or ward_id or form.verified.data or unverified or archived))


@bp.get("/mine")
@login_required
def mine():
    mine = services.my_groups(current_user, page=page_arg(), invitations_page=_page("invitations_page"),
                              requests_page=_page("requests_page"))
    return render_template("groups/mine.html", mine=mine)


# Creating and editing ---------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    policy.require(current_user, "account.participate")
    form = forms.GroupForm()
    form.ward.choices = _ward_choices("No particular ward")
    ok, group = attempt(form, lambda: services.create_group(
        current_user, name=form.name.data, description=form.description.data, ward_id=form.ward.data,
        website=form.website.data))
    if ok:
        flash(f"Your group “{group.name}” is created. You are its organiser.", "success")
        return redirect(url_for(".show", slug=group.slug))
    return render_template("groups/form.html", form=form, group=None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    group = services.get_by_slug(slug)
    policy.require(current_user, "group.manage", group)
    form = forms.GroupForm(obj=group)
    form.ward.choices = _ward_choices("No particular ward")
    if request.method == "GET":
        form.ward.data = str(group.ward_id) if group.ward_id else ""
    ok, _result = attempt(form, lambda: services.update_group(
        current_user, group, name=form.name.data, description=form.description.data, ward_id=form.ward.data,
        website=form.website.data))
    if ok:
        flash("The group's details are saved.", "success")
        return redirect(url_for(".show", slug=group.slug))
    return render_template("groups/form.html", form=form, group=group)


# The group page ---------------------------------------------------------------------------------------------


def _show(group: Group, *, invite_form: forms.InviteForm | None = None,
          verify_form: forms.VerifyForm | None = None, archive_form: forms.VerifyForm | None = None,
          candidates: list | None = None):
    manage = policy.can(current_user, "group.manage", group)
    context = {
        "group": group,
        "mine": services.membership_of(current_user, group),
        "members": services.members(group, page_arg()),
        "manage": manage,
    }
    if manage:
        context.update(
            requests=services.pending(group, services.REQUESTED, _page("requests_page")),
            invitations=services.pending(group, services.INVITED, _page("invitations_page")),
            invite_form=invite_form or forms.InviteForm(formdata=None),
            candidates=candidates or [],
        )
    if policy.can(current_user, "group.verify", group):
        context["verify_form"] = verify_form or forms.VerifyForm(formdata=None)
        context["archive_form"] = archive_form or forms.VerifyForm(formdata=None, prefix="archive")
    return render_template("groups/show.html", **context)


@bp.get("/<slug>")
def show(slug: str):
    return _show(services.get_by_slug(slug))


def _back(group: Group):
    return redirect(url_for(".show", slug=group.slug))


def _posted(slug: str, act: Callable[[Group], str], *, to_mine: bool = False):
    """Run a button's service call; ``act`` returns the message for success.

    A rule's refusal is flashed; a permission refusal (403) or an unknown object (404) is an error page.
    """
    group = services.get_by_slug(slug)
    form = forms.ActionForm()
    if form.validate_on_submit():
        try:
            flash(act(group), "success")
        except RuleViolation as e:
            flash(e.message, "error")
    else:
        flash("The form expired. Please try again.", "error")
    return redirect(url_for(".mine")) if to_mine else _back(group)


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    def act(group: Group) -> str:
        if services.request_to_join(current_user, group).status == services.ACTIVE:
            return f"Welcome to {group.name}: you had been invited, so you are now a member."
        return "Your request to join is sent. An organiser will answer it."

    return _posted(slug, act)


@bp.post("/<slug>/withdraw")
@login_required
def withdraw(slug: str):
    def act(group: Group) -> str:
        services.withdraw_request(current_user, group)
        return "Your request to join is withdrawn."

    return _posted(slug, act, to_mine=request.form.get("from") == "mine")


def _confirm(group: Group, heading: str, explanation: str, button: str, action: str):
    """The page that asks before Leave and Remove: the same post again with ``confirm=yes``."""
    return render_template("groups/confirm.html", group=group, heading=heading, explanation=explanation,
                           button=button, action=action)


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    if request.form.get("confirm") != "yes":
        group = services.get_by_slug(slug)
        mine = services.membership_of(current_user, group)
        if mine is not None and mine.status == services.ACTIVE:
            return _confirm(group, f"Leave {group.name}?",
                            "You will no longer be a member. To come back, ask to join again or be invited.",
                            f"Yes, leave {group.name}", url_for(".leave", slug=group.slug))

    def act(group: Group) -> str:
        services.leave(current_user, group)
        return f"You have left {group.name}."

    return _posted(slug, act)


@bp.post("/<slug>/invite")
@login_required
def invite(slug: str):
    group = services.get_by_slug(slug)
    policy.require(current_user, "group.manage", group)
    form = forms.InviteForm()
    if services.looks_like_email(form.nickname.data or ""):
        ok, _membership = attempt(form, lambda: services.invite_by_email(current_user, group, form.nickname.data))
        if ok:  # the same words whether or not the address has an account
            flash(_("If %(address)s has an account, they have been invited. They will see the invitation on "
                    "their “My groups” page.", address=form.nickname.data.strip()), "success")
            return _back(group)
        return _show(group, invite_form=form)
    ok, membership = attempt(form, lambda: services.invite(current_user, group, form.nickname.data))
    if ok:
        flash(_("@%(nickname)s is invited. They will see the invitation on their “My groups” page.",
                nickname=membership.user.nickname), "success")
        return _back(group)
    # Not an exact nickname: offer the people whose name holds the words, each with its own "Invite".
    return _show(group, invite_form=form, candidates=services.people_named(form.nickname.data or ""))


@bp.post("/<slug>/verify")
@login_required
def verify(slug: str):
    group = services.get_by_slug(slug)
    policy.require(current_user, "group.verify", group)
    form = forms.VerifyForm()
    verified = form.verified.data == "yes"
    ok, _result = attempt(form, lambda: services.set_verified(current_user, group, verified, form.reason.data))
    if ok:
        flash("The group now shows the “Verified by the council” badge." if verified
              else "The “Verified by the council” badge is removed.", "success")
        return _back(group)
    return _show(group, verify_form=form)


@bp.post("/<slug>/archive")
@login_required
def archive(slug: str):
    group = services.get_by_slug(slug)
    policy.require(current_user, "group.verify", group)
    form = forms.VerifyForm(prefix="archive")
    archived = form.verified.data == "yes"
    ok, _result = attempt(form, lambda: services.set_archived(current_user, group, archived, form.reason.data))
    if ok:
        flash("The group is archived: it is off the list and takes no new members." if archived
              else "The group is restored: it is on the list again.", "success")
        return _back(group)
    return _show(group, archive_form=form)


# Acting on one membership (organisers, or the invitee) --------------------------------------------------------

MEMBERSHIP_ACTIONS = {
    "accept": (services.accept_request, "{name} is now a member."),
    "refuse": (services.refuse_request, "The request from {name} is refused."),
    "promote": (services.promote, "{name} is now an organiser."),
    "demote": (services.demote, "{name} is no longer an organiser."),
    "remove": (services.remove, "{name} is removed from the group."),
}
INVITATION_ACTIONS = {
    "accept": (services.accept_invitation, "Welcome to {group}: you are now a member."),
    "decline": (services.decline_invitation, "You declined the invitation to join {group}."),
}


@bp.post("/<slug>/members/<int:membership_id>/<action>")
@login_required
def membership(slug: str, membership_id: int, action: str):
    if action not in MEMBERSHIP_ACTIONS:
        abort(404)
    service, message = MEMBERSHIP_ACTIONS[action]
    if action == "remove" and request.form.get("confirm") != "yes":
        group = services.get_by_slug(slug)
        policy.require(current_user, "group.manage", group)  # before the lookup: 403 whatever the id
        target = services.get_membership(group, membership_id)
        name = target.user.public_name
        if target.status == services.INVITED:
            return _confirm(group, f"Withdraw the invitation to {name}?",
                            f"{name} will no longer see the invitation to join {group.name}.",
                            "Yes, withdraw the invitation", request.path)
        if target.status == services.ACTIVE:
            return _confirm(group, f"Remove {name} from {group.name}?",
                            f"{name} will no longer be a member. They can ask to join again.",
                            f"Yes, remove {name}", request.path)

    def act(group: Group) -> str:
        target = services.get_membership(group, membership_id)
        name = target.user.public_name
        service(current_user, target)
        return message.format(name=name)

    return _posted(slug, act)


@bp.post("/<slug>/invitation/<action>")
@login_required
def invitation(slug: str, action: str):
    if action not in INVITATION_ACTIONS:
        abort(404)
    service, message = INVITATION_ACTIONS[action]

    def act(group: Group) -> str:
        mine = services.membership_of(current_user, group)
        if mine is None or mine.status != services.INVITED:
            raise RuleViolation("You have no invitation to join this group waiting.")
        service(current_user, mine)
        return message.format(group=group.name)

    return _posted(slug, act, to_mine=request.form.get("from") == "mine")
