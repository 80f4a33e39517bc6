"""Comment pages and buttons. Thin: parse, call a service (which holds every rule), redirect or render.

Comments are shown on their resource's page (``comments/_thread.html``); these routes take the posts and
offer the pages that need room of their own without JavaScript: reply, edit, delete (confirmation), and a
failed comment shown again with its text and the reason beside the field. After a post, people go back to
the resource's page at the comment (``#comment-<id>``). A rule's refusal is a message; a permission
refusal (someone else's comment) is 403; an unknown or invisible comment or resource is 404.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request
from flask_login import current_user, login_required

from civic import resources
from civic.comments import forms, services
from civic.comments.models import Comment
from civic.errors import RuleViolation
from civic.web import attempt

bp = Blueprint("comments", __name__, url_prefix="/comments")


def _following(resource_type: str, resource_id: int) -> bool:
    """Whether the person follows the resource already (the notifications package's check, which it lends the app:
    comments sit below notifications, so they ask through ``app.extensions`` rather than import it)."""
    check = current_app.extensions.get("civic.is_following")
    return bool(check and check(current_user, resource_type, resource_id))


def _alignment(form: forms.CommentForm) -> int:
    return int(form.alignment.data or 0)


def _form_page(form: forms.CommentForm, where: services.Target, *, heading: str, submit: str,
               parent: Comment | None = None, comment: Comment | None = None):
    quoted = services.render_comment(parent) if parent is not None else None
    return render_template("comments/form.html", form=form, where=where, heading=heading, submit=submit,
                           parent=parent, comment=comment, quoted=quoted,
                           back=services.comment_url(parent or comment, where) if (parent or comment) else
                           f"{where.url}#comments")


@bp.get("/<resource_type>/<int:resource_id>")
def index(resource_type: str, resource_id: int):
    """All the comments of one resource, on a page of their own (links from elsewhere land here)."""
    where = services.target(current_user, resource_type, resource_id)
    thread = services.thread(resource_type, resource_id, current_user, order=request.args.get("order", "oldest"))
    return render_template("comments/index.html", where=where, thread=thread)


@bp.post("/<resource_type>/<int:resource_id>")
@login_required
def create(resource_type: str, resource_id: int):
    where = services.target(current_user, resource_type, resource_id)
    form = forms.CommentForm()
    following = _following(resource_type, resource_id)
    ok, comment = attempt(form, lambda: services.post_comment(
        current_user, resource_type, resource_id, form.body.data, _alignment(form)))
    if ok:
        # Shown at the new comment, where the redirect takes them (``#comment-<id>``), not at the top of the page.
        place = f"comment-{comment.id}"
        flash("Your comment is published.", f"success@{place}")
        rt = resources.find(resource_type)
        if not following and rt is not None and rt.follows is not None and rt.follows.comments_notify:
            # Commenting makes them follow it (civic.notifications): say so, with the way out.
            flash(rt.label.lower(), f"followed@{place}")
        return redirect(services.comment_url(comment, where))
    return _form_page(form, where, heading="Add your comment", submit="Publish comment")


@bp.route("/<int:comment_id>/reply", methods=["GET", "POST"])
@login_required
def reply(comment_id: int):
    parent = services.get_comment(current_user, comment_id)
    try:
        where = services.check_reply(current_user, parent)
    except RuleViolation as e:
        flash(e.message, "error")
        return redirect(services.comment_url(parent))
    form = forms.CommentForm()
    ok, comment = attempt(form, lambda: services.reply(current_user, parent, form.body.data, _alignment(form)))
    if ok:
        flash("Your reply is published.", "success")
        return redirect(services.comment_url(comment, where))
    return _form_page(form, where, heading=f"Reply to {parent.author.public_name}", submit="Publish reply",
                      parent=parent)


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: int):
    comment = services.get_comment(current_user, comment_id)
    try:
        where = services.check_change(current_user, comment, "edit")
    except RuleViolation as e:
        flash(e.message, "error")
        return redirect(services.comment_url(comment))
    form = forms.CommentForm(data={"body": comment.body, "alignment": str(comment.alignment)}
                             if request.method == "GET" else None)
    ok, changed = attempt(form, lambda: services.edit_comment(current_user, comment, form.body.data, _alignment(form)))
    if ok:
        flash("Your comment is updated." if changed else "Nothing was changed.", "success")
        return redirect(services.comment_url(comment, where))
    return _form_page(form, where, heading="Edit your comment", submit="Save changes", comment=comment)


@bp.route("/<int:comment_id>/delete", methods=["GET", "POST"])
@login_required
def delete(comment_id: int):
    comment = services.get_comment(current_user, comment_id)
    try:
        where = services.check_change(current_user, comment, "delete")
    except RuleViolation as e:
        flash(e.message, "error")
        return redirect(services.comment_url(comment))
    form = forms.ActionForm()
    if form.validate_on_submit():
        try:
            services.delete_comment(current_user, comment)
        except RuleViolation as e:
            flash(e.message, "error")
        else:
            flash("Your comment is deleted. Replies to it stay in their place.", "success")
        return redirect(services.comment_url(comment, where))
    return render_template("comments/delete.html", form=form, where=where, comment=comment,
                           quoted=services.render_comment(comment), back=services.comment_url(comment, where))


@bp.post("/<int:comment_id>/vote")
@login_required
def vote(comment_id: int):
    comment = services.get_comment(current_user, comment_id)
    form = forms.VoteForm()
    if form.validate_on_submit():
        try:
            now = services.set_vote(current_user, comment, services.VOTES[form.vote.data])
        except RuleViolation as e:
            flash(e.message, "error")
        else:
            flash({1: "You voted this comment up.", -1: "You voted this comment down.",
                   0: "Your vote is taken back."}[now], "success")
    else:
        flash("Your vote was not understood. Please try again.", "error")
    return redirect(services.comment_url(comment))
