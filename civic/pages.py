"""Pages that belong to no package: home, accessibility statement, privacy, health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import select, text

from civic.db import db
from civic.spaces.models import Programme

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


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
