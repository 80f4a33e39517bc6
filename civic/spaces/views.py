"""Participatory processes: the list, a process page with its phases, officers' editing."""

from flask import Blueprint, render_template

bp = Blueprint("spaces", __name__, url_prefix="/processes")


@bp.get("/")
def index():
    return render_template("spaces/index.html")
