"""Domain errors: services raise them, views turn them into messages and status codes."""


class DomainError(Exception):
    """A rule said no. ``str(error)`` is a message fit to show the person."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    status_code = 403


class RuleViolation(DomainError):
    status_code = 409


class NotFound(DomainError):
    status_code = 404


class TooManyAttempts(DomainError):
    status_code = 429
