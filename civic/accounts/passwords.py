"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256
#: argon2id profiles. "owasp" is OWASP's recommended minimum (19 MiB, 2 passes, 1 lane: ~75 ms here);
#: "test" is deliberately cheap, for the test suite only (CIVIC_PASSWORD_HASH_PROFILE=test).
PROFILES = {
    "owasp": {"time_cost": 2, "memory_cost": 19456, "parallelism": 1},
    "test": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}
_hasher = PasswordHasher(**PROFILES["owasp"])
#: A real hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("civic-dummy-password-for-timing")


def configure(profile: str) -> None:
    """Choose the hashing cost (at app start). Existing hashes are upgraded at the next sign-in."""
    global _hasher, _DUMMY_HASH
    if profile not in PROFILES:
        raise ValueError(f"unknown password hash profile {profile!r}; use one of {sorted(PROFILES)}")
    _hasher = PasswordHasher(**PROFILES[profile])
    _DUMMY_HASH = _hasher.hash("civic-dummy-password-for-timing")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("civic").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line and not line.startswith("#"))


def problem(password: str, *, nickname: str = "", email: str = "") -> str | None:
    """What is wrong with a new password, in words for the person; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords() or lowered.rstrip("0123456789!") in common_passwords():
        return "This password is too common and appears in lists of breached passwords. Choose another."
    if len(set(password)) < 4:
        return "This password repeats too few characters. Choose another."
    for personal in (nickname.lower(), email.lower().split("@")[0]):
        if personal and len(personal) >= 4 and personal in lowered:
            return "Do not use your nickname or email address in your password."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Check a password in about the same time whether or not there is a hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
