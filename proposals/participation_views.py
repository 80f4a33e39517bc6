"""HTML routes for supports, endorsements, official answers and the process's proposal settings.

They are added to the proposals blueprint (``proposals.views.bp``)."""

from proposals.views import bp  # noqa: F401
