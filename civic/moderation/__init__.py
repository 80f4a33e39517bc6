"""Moderation: reports, hiding, the officer queue, blocking and appeals (the audit log is :mod:`civic.audit`)."""
