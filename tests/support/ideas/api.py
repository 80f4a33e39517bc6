"""The ideas in the JSON API, on the core's API kit: one list, in the ``/api/v1/`` index."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import func, select

from civic import api
from civic.db import db
from tests.support.ideas.models import Idea
from tests.support.ideas.resource import IDEA

bp = api.blueprint("ideas_api", __name__)
COLLECTIONS = (api.Collection("ideas", "ideas_api.index", "Ideas shared in participatory processes."),)


@bp.get("/ideas")
def index():
    page, per_page = api.paging()
    visible = select(Idea).where(Idea.hidden_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(visible.subquery()))
    ideas = db.session.scalars(visible.order_by(Idea.id).limit(per_page).offset((page - 1) * per_page)).all()
    items = [{"id": i.id, "title": i.title, "votes": i.votes, "url": IDEA.url(i)} for i in ideas]
    return jsonify(api.envelope(items, page, per_page, total))
