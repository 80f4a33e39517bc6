"""Spaces: wards (scopes), the council's programmes, participatory processes and their phases.

``phases`` is the registry of the actions a phase can open, which domains extend (docs/scheduled-tasks.md).
"""
