"""The ``flask civic`` command group, and nothing else.

Every package adds its commands to it (``@cli.command(...)`` or ``cli.add_command(...)``) without importing
:mod:`civic.cli`, which holds the core's own commands and imports much of the core.
"""

from __future__ import annotations

from flask.cli import AppGroup

cli = AppGroup("civic", help="Civic administration commands.")
