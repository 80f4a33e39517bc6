from flask import Blueprint, render_template

bp = Blueprint("groups", __name__, url_prefix="/groups")


@bp.get("/")
def index():
    return render_template("groups/index.html")


@bp.get("/mine")
def mine():
    return render_template("groups/index.html")


@bp.get("/<slug>")
def show(slug: str):
    return render_template("groups/index.html")
