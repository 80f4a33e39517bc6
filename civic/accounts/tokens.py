"""Signed, expiring links (email confirmation, password reset, email change)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # Earlier keys (CIVIC_SECRET_KEY_FALLBACKS) still verify links already sent; the current key signs.
    keys = [*current_app.config.get("SECRET_KEY_FALLBACKS", ()), current_app.config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=f"civic.{purpose}")


def fingerprint(value: str | None) -> str:
    """A short digest of state that, when it changes, invalidates a link (single use)."""
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def make(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read(purpose: str, token: str, max_age: int | None = None) -> dict[str, Any] | None:
    """The payload, or None when the link is forged, for another purpose or expired."""
    age = max_age if max_age is not None else current_app.config["TOKEN_MAX_AGE_SECONDS"]
    try:
        data = _serializer(purpose).loads(token, max_age=age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None
