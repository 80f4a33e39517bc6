from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("verification", __name__, url_prefix="/verify")


@bp.get("/")
@login_required
def start():
    return render_template("verification/start.html")
