"""Pages that belong to no package: home, accessibility statement, privacy (health checks: civic.operations)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from civic import uploads
from civic.db import db
from civic.spaces.models import Programme
from civic.uploads import may_see

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    programmes = db.session.scalars(select(Programme).order_by(Programme.position)).all()
    return render_template("pages/home.html", programmes=programmes)


@bp.get("/accessibility")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.get("/privacy")
def privacy():
    return render_template("pages/privacy.html")


@bp.get("/uploads/<path:name>")
def upload(name: str):
    """Images people uploaded (already checked and re-encoded by civic.uploads), each served only to those who may
    see the object it belongs to (a hidden proposal's photo is 404, as a missing file). Browsers keep them but ask
    again every time (a cheap 304), so hiding takes effect at once; shared caches never keep them."""
    if not may_see(name, current_user):
        abort(404)
    response = uploads.store().response(name)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.cache_control.public = False
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

