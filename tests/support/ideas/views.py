"""The ideas' pages: one idea, and its vote button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template_string, request, url_for
from flask_login import current_user, login_required

from civic.db import db
from civic.errors import RuleViolation
from civic.spaces.models import Process
from tests.support.ideas import services

bp = Blueprint("ideas", __name__, url_prefix="/ideas")

PAGE = """{% extends "base.html" %}{% block content %}<h1>{{ idea.title }}</h1><p>Votes: {{ idea.votes }}</p>
<p>Comments: {{ idea.comments_count }}</p>{% endblock %}"""


@bp.get("/<int:idea_id>")
def show(idea_id: int):
    idea = services.get_idea(current_user, idea_id)
    return render_template_string(PAGE, idea=idea, title=idea.title)


@bp.post("/<int:idea_id>/vote")
@login_required
def vote(idea_id: int):
    idea = services.get_idea(current_user, idea_id)
    try:
        services.vote(current_user, idea)
    except RuleViolation as e:
        flash(e.message, "error")
    return redirect(url_for(".show", idea_id=idea_id))


@bp.post("/in/<int:process_id>")
@login_required
def share(process_id: int):
    process = db.session.get(Process, process_id)
    title = (request.form.get("title") or "").strip()
    if process is None or not title:
        abort(404 if process is None else 400)
    idea = services.publish(current_user, process, title, request.form.get("body", ""))
    return redirect(url_for(".show", idea_id=idea.id))
