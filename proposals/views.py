"""HTML routes of proposals: listing, map, creation, editing, the proposal page."""

from flask import Blueprint

bp = Blueprint("proposals", __name__)
