"""Demo data for proposals: three processes with proposals, supports, comments and answers."""


def seed() -> None:
    """Idempotent; called by ``flask civic seed-demo``."""
