"""Pages for blocking and unblocking people, and for appeals (blueprint ``blocking``, under /moderation)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from civic import policy
from civic.accounts.models import User
from civic.db import db, get_or_404, paginate
from civic.errors import DomainError, PermissionDenied
from civic.moderation import blocking
from civic.moderation import blocking_forms as forms
from civic.moderation.models import Block, Moderation
from civic.web import form_error, page_arg

bp = Blueprint("blocking", __name__, url_prefix="/moderation")


# Blocking -----------------------------------------------------------------------------------------------------


def _block_page(target: User, block_form=None, unblock_form=None):
    block = blocking.active_block(target) if target.blocked_at else None
    blocked_by = db.session.get(User, block.blocked_by_id) if block and block.blocked_by_id else None
    return render_template("moderation/block.html", user=target, block=block, blocked_by=blocked_by,
                           block_form=block_form or forms.BlockForm(formdata=None),
                           unblock_form=unblock_form or forms.UnblockForm(formdata=None))


@bp.get("/users/<int:user_id>/block")
@login_required
def block_page(user_id: int):
    policy.require(current_user, "moderation.unblock")
    return _block_page(get_or_404(User, user_id))


@bp.post("/users/<int:user_id>/block")
@login_required
def block(user_id: int):
    policy.require(current_user, "moderation.block")  # first: the answer never tells whether the account exists
    target = get_or_404(User, user_id)
    policy.require(current_user, "moderation.block", target)
    form = forms.BlockForm()
    if form.validate_on_submit():
        try:
            blocking.block_user(current_user, target, form.justification.data)
        except DomainError as e:
            form_error(form, e)
        else:
            flash(f"@{target.nickname} is blocked and has been signed out everywhere.", "success")
            return redirect(url_for("admin.user", user_id=target.id))
    return _block_page(target, block_form=form)


@bp.post("/users/<int:user_id>/unblock")
@login_required
def unblock(user_id: int):
    policy.require(current_user, "moderation.unblock")
    target = get_or_404(User, user_id)
    policy.require(current_user, "moderation.unblock", target)
    form = forms.UnblockForm()
    if form.validate_on_submit():
        try:
            blocking.unblock_user(current_user, target, form.note.data)
        except DomainError as e:
            form_error(form, e)
        else:
            flash(f"The block on @{target.nickname} is lifted.", "success")
            return redirect(url_for("admin.user", user_id=target.id))
    return _block_page(target, unblock_form=form)


# Appeals by the people concerned ------------------------------------------------------------------------------


@bp.route("/appeal-block", methods=["GET", "POST"])
def appeal_block():
    """A blocked person cannot sign in, so they identify themselves on the form."""
    form = forms.BlockAppealForm()
    if form.validate_on_submit():
        try:
            blocking.appeal_block(form.email.data, form.password.data, form.statement.data,
                                  request.remote_addr or "")
        except DomainError as e:
            if e.status_code == 429:
                raise
            form_error(form, e)
        else:
            return render_template("moderation/appeal_sent.html")
    return render_template("moderation/appeal_block.html", form=form)


@bp.route("/appeal/<int:moderation_id>", methods=["GET", "POST"])
@login_required
def appeal_content(moderation_id: int):
    moderation = blocking.appealable_decision(current_user, moderation_id)
    form = forms.ContentAppealForm()
    if form.validate_on_submit():
        try:
            blocking.appeal_hidden_content(current_user, moderation, form.statement.data)
        except DomainError as e:
            if e.status_code == 403:
                raise
            form_error(form, e)
        else:
            return render_template("moderation/appeal_sent.html")
    return render_template("moderation/appeal_content.html", form=form, moderation=moderation,
                           **blocking.decision_context(current_user, moderation))


# Officers -----------------------------------------------------------------------------------------------------


@bp.get("/appeals")
@login_required
def appeals():
    policy.require(current_user, "moderation.appeals")
    page = paginate(blocking.pending_appeals(), page_arg(), current_app.config["PAGE_SIZE"], scalars=False)
    return render_template("moderation/appeals.html", page=page)


def _appeal_page(appeal, form=None):
    appellant = db.session.get(User, appeal.appellant_id)
    block = db.session.get(Block, appeal.block_id) if appeal.block_id else None
    moderation = db.session.get(Moderation, appeal.moderation_id) if appeal.moderation_id else None
    acted_id = blocking.acting_officer_id(appeal)
    acted_by = db.session.get(User, acted_id) if acted_id else None
    decided_by = db.session.get(User, appeal.decided_by_id) if appeal.decided_by_id else None
    try:
        policy.require(current_user, "moderation.decide_appeal", appeal)
        refusal = None
    except PermissionDenied as e:  # why this officer may not decide it (their own decision, or their own appeal)
        refusal = e.message
    return render_template("moderation/appeal_show.html", appeal=appeal, appellant=appellant, block=block,
                           moderation=moderation, acted_by=acted_by, decided_by=decided_by, refusal=refusal,
                           form=form or forms.DecideAppealForm(formdata=None))


@bp.route("/appeals/<int:appeal_id>", methods=["GET", "POST"])
@login_required
def appeal(appeal_id: int):
    policy.require(current_user, "moderation.appeals")
    item = blocking.get_appeal(appeal_id)
    form = forms.DecideAppealForm()
    if request.method == "POST":
        policy.require(current_user, "moderation.decide_appeal", item)
        if form.validate_on_submit():
            try:
                blocking.decide_appeal(current_user, item, form.outcome.data, form.reason.data)
            except DomainError as e:
                form_error(form, e)
            else:
                verb = "reversed" if item.status == "reversed" else "upheld"
                flash(f"Decision {verb}. We have emailed the appellant.", "success")
                return redirect(url_for(".appeals"))
    return _appeal_page(item, form if request.method == "POST" else None)
