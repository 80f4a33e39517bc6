"""``flask proposals ...`` commands."""

from flask.cli import AppGroup

cli = AppGroup("proposals", help="Proposals commands.")
