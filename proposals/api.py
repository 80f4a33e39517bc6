"""JSON API (``/api/v1``): processes, proposals, comments; support and comment for signed-in users."""

from flask import Blueprint

bp = Blueprint("proposals_api", __name__, url_prefix="/api/v1")
