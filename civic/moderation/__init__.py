"""Moderation: the append-only audit log of officer and admin actions (reports and hiding follow)."""
