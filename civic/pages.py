"""Pages that belong to no package: home, accessibility statement, privacy, health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, send_from_directory
from sqlalchemy import select, text

from civic.db import db
from civic.spaces.models import Programme
from civic.uploads import upload_root

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
    """Images people uploaded (already checked and re-encoded by civic.uploads)."""
    response = send_from_directory(upload_root(), name, max_age=86400)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
