"""Domain errors: services raise them, views turn them into messages and status codes.

Each error has a stable machine ``code`` beside its message, for programs (the JSON API's errors carry it,
docs/api.md "Errors"). On the API a :class:`RuleViolation` that names a field is a validation error (422,
``validation_failed``: change that input and send again); one without a field is a rule of the platform's
state (409, ``conflict``: the support limit, a closed phase, a withdrawn proposal). :func:`api_status` decides;
the HTML pages keep :attr:`DomainError.status_code`.
"""

#: The machine code of an HTTP status, for JSON errors that have no more precise one.
STATUS_CODES = {
    400: "bad_request", 401: "not_signed_in", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 410: "gone", 413: "too_large", 415: "unsupported_media_type", 422: "validation_failed",
    429: "rate_limited", 500: "server_error", 503: "unavailable",
}


def status_code_name(status: int) -> str:
    """The machine code of a status (``"error"`` for one without a name)."""
    return STATUS_CODES.get(status, "error")


class DomainError(Exception):
    """A rule said no. ``str(error)`` is a message fit to show the person."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class RuleViolation(DomainError):
    status_code = 409
    code = "conflict"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class TooManyAttempts(DomainError):
    status_code = 429
    code = "rate_limited"


def api_status(error: DomainError) -> tuple[int, str]:
    """The status and machine code of ``error`` on the JSON API: a rule that names a field is 422
    ``validation_failed``; any other error keeps its own status and code."""
    if isinstance(error, RuleViolation) and error.field:
        return 422, "validation_failed"
    return error.status_code, error.code
