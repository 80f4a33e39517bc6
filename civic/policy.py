"""One place that answers "may this user do this to this object?".

Services call :func:`require` before every write and every permission-sensitive
read; views and templates may call :func:`can` to decide what to show, never to
decide what is allowed. Domains add their own rules with :func:`rule`.

A rule returns ``True`` to allow, or a message (str) saying why not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from civic.errors import PermissionDenied

RuleFn = Callable[[Any, Any], "bool | str"]
_rules: dict[str, RuleFn] = {}

NOT_SIGNED_IN = "Please sign in first."
NOT_ALLOWED = "You are not allowed to do that."


def rule(action: str) -> Callable[[RuleFn], RuleFn]:
    def decorator(fn: RuleFn) -> RuleFn:
        if action in _rules and _rules[action] is not fn:
            raise ValueError(f"policy rule {action!r} defined twice")
        _rules[action] = fn
        return fn

    return decorator


def _decide(user: Any, action: str, obj: Any) -> bool | str:
    try:
        fn = _rules[action]
    except KeyError:
        raise LookupError(f"no policy rule for {action!r}") from None
    if user is None or not getattr(user, "is_authenticated", False):
        return NOT_SIGNED_IN
    if not user.is_active:
        return "Your account cannot do this."
    verdict = fn(user, obj)
    return verdict if verdict is True or isinstance(verdict, str) else NOT_ALLOWED


def forget(action: str) -> None:
    """Remove a rule (a test-only domain, when its tests are done)."""
    _rules.pop(action, None)


def can(user: Any, action: str, obj: Any = None) -> bool:
    return _decide(user, action, obj) is True


def require(user: Any, action: str, obj: Any = None) -> None:
    verdict = _decide(user, action, obj)
    if verdict is not True:
        raise PermissionDenied(verdict)


def actions() -> list[str]:
    return sorted(_rules)


# Core rules -------------------------------------------------------------------------------------------------


def _officer(user: Any, _obj: Any) -> bool | str:
    return user.is_officer or "Only council officers can do that."


def _admin(user: Any, _obj: Any) -> bool | str:
    return user.is_admin or "Only administrators can do that."


for _action in ("admin.view_users", "verification.decide", "group.verify"):
    rule(_action)(_officer)
for _action in ("roles.grant", "verification.revoke", "register.upload", "audit.view", "jobs.manage"):
    rule(_action)(_admin)


@rule("account.participate")
def _participate(user: Any, _obj: Any) -> bool | str:
    return user.email_confirmed or "Please confirm your email address first."


@rule("verification.request")
def _request_verification(user: Any, _obj: Any) -> bool | str:
    if user.is_verified:
        return "Your residency is already verified."
    return user.email_confirmed or "Please confirm your email address first."
