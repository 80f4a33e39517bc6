"""Settings, read from ``CIVIC_*`` environment variables in one place.

Every setting has a safe default for the embedded mode: a SQLite file, mail
saved as ``.eml`` files and the search index, all under ``instance/``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _seconds(name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    """A comma-separated list of seconds, e.g. ``10,60,300``; ``none`` for an empty list."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if raw.lower() == "none":
        return ()
    return tuple(float(part) for part in raw.split(","))


def _secret_key(instance: Path) -> str:
    """The configured secret, or one generated once into ``instance/secret_key``."""
    configured = os.environ.get("CIVIC_SECRET_KEY")
    if configured:
        return configured
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Create with owner-only permissions; another process may win the race, then read theirs.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


#: The address ``make run`` serves: the base URL of the embedded mode (SQLite) when none is configured.
EMBEDDED_BASE_URL = "http://127.0.0.1:5000"


class ConfigurationError(RuntimeError):
    """A setting a production start cannot do without; the message says which and how to set it."""


def base_url(settings: dict, debug: bool = False) -> str:
    """The site's public address for links in mail (``CIVIC_BASE_URL``).

    Unset, it is ``<CIVIC_URL_SCHEME>://<CIVIC_SERVER_NAME>`` when a server name is set; otherwise only the
    embedded mode (a SQLite database, as ``make run`` serves on 127.0.0.1), tests and debug runs fall back to
    ``http://127.0.0.1:5000``. A production start (any other database) without it refuses to start: its mail
    would otherwise carry links to a machine nobody can reach.
    """
    configured = (settings.get("BASE_URL") or "").strip().rstrip("/")
    if configured:
        parts = urlsplit(configured)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"CIVIC_BASE_URL must be the site's public address, like https://civic.example.org (got "
                f"{configured!r}).")
        return configured
    if settings.get("SERVER_NAME"):
        return f"{settings.get('PREFERRED_URL_SCHEME') or 'http'}://{settings['SERVER_NAME']}"
    embedded = str(settings.get("DATABASE_URL") or "").startswith("sqlite")
    if embedded or settings.get("TESTING") or debug:
        return EMBEDDED_BASE_URL
    raise ConfigurationError(
        "Civic will not start without its public address: set CIVIC_BASE_URL (for example "
        "CIVIC_BASE_URL=https://civic.example.org). Every link in mail (confirmation, password reset, "
        "notifications) is built from it, never from the request's Host header.")


def from_environment() -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ
    instance = Path(env.get("CIVIC_INSTANCE_PATH") or DEFAULT_INSTANCE).resolve()
    database_url = env.get("CIVIC_DATABASE_URL") or f"sqlite:///{instance / 'civic.sqlite3'}"
    return {
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": _secret_key(instance),
        "DATABASE_URL": database_url,
        "SITE_NAME": env.get("CIVIC_SITE_NAME", "Civic Westminster"),
        "SERVER_NAME": env.get("CIVIC_SERVER_NAME") or None,
        "PREFERRED_URL_SCHEME": env.get("CIVIC_URL_SCHEME", "http"),
        # Requests for any other Host are refused (400): links built from the request stay ours.
        "TRUSTED_HOSTS": [h.strip() for h in (env.get("CIVIC_TRUSTED_HOSTS") or env.get("CIVIC_SERVER_NAME") or "")
                          .split(",") if h.strip()] or None,
        # Every link in mail: the site's public address, never the request's Host header. None when unset:
        # create_app derives it from SERVER_NAME, or (embedded mode only) uses EMBEDDED_BASE_URL; see base_url().
        "BASE_URL": (env.get("CIVIC_BASE_URL") or "").strip().rstrip("/") or None,
        # Cookies: HttpOnly and SameSite=Lax always; Secure when served over HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("CIVIC_SECURE_COOKIES"), env.get("CIVIC_URL_SCHEME") == "https"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("CIVIC_SECURE_COOKIES"), env.get("CIVIC_URL_SCHEME") == "https"),
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "MAX_CONTENT_LENGTH": _int("CIVIC_MAX_UPLOAD_BYTES", 8 * 1024 * 1024),
        "WTF_CSRF_TIME_LIMIT": None,
        "BEHIND_PROXY": _bool(env.get("CIVIC_BEHIND_PROXY")),
        # Mail: SMTP when CIVIC_SMTP_HOST is set, otherwise .eml files under instance/mail/.
        "MAIL_FROM": env.get("CIVIC_MAIL_FROM", "Civic Westminster <no-reply@civic.localhost>"),
        "SMTP_HOST": env.get("CIVIC_SMTP_HOST") or None,
        "SMTP_PORT": _int("CIVIC_SMTP_PORT", 25),
        "SMTP_USERNAME": env.get("CIVIC_SMTP_USERNAME") or None,
        "SMTP_PASSWORD": env.get("CIVIC_SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _bool(env.get("CIVIC_SMTP_STARTTLS")),
        "SMTP_SSL": _bool(env.get("CIVIC_SMTP_SSL")),
        "MAIL_DIR": env.get("CIVIC_MAIL_DIR") or str(instance / "mail"),
        # OpenID Connect: any provider by issuer URL.
        "OIDC_ISSUER": env.get("CIVIC_OIDC_ISSUER") or None,
        "OIDC_CLIENT_ID": env.get("CIVIC_OIDC_CLIENT_ID") or None,
        "OIDC_CLIENT_SECRET": env.get("CIVIC_OIDC_CLIENT_SECRET") or None,
        "OIDC_PROVIDER_NAME": env.get("CIVIC_OIDC_PROVIDER_NAME", "your council account"),
        "OIDC_SCOPE": env.get("CIVIC_OIDC_SCOPE", "openid email profile"),
        # Background jobs (mail): "rq" (Redis) when CIVIC_REDIS_URL is set, else "thread" (in-process);
        # "sync" runs each job at once (tests, scripts). See docs/jobs.md.
        "REDIS_URL": env.get("CIVIC_REDIS_URL") or None,
        "JOB_QUEUE": env.get("CIVIC_JOB_QUEUE") or None,
        "JOB_QUEUE_NAME": env.get("CIVIC_JOB_QUEUE_NAME", "civic"),
        "JOB_RETRY_DELAYS": _seconds("CIVIC_JOB_RETRY_DELAYS", (10, 60, 300, 1800)),
        # Services used later on.
        "MQTT_URL": env.get("CIVIC_MQTT_URL") or None,
        # Map tiles (e.g. a council's own tile server): without them maps show points on a plain ground.
        "MAP_TILE_URL": env.get("CIVIC_MAP_TILE_URL", ""),
        "MAP_TILE_ATTRIBUTION": env.get("CIVIC_MAP_TILE_ATTRIBUTION", ""),
        "RATELIMIT_STORAGE_URI": env.get("CIVIC_REDIS_URL") or "memory://",
        # Redis down must not take the site down: each process counts in memory until Redis answers again
        # (Flask-Limiter checks it with a growing interval), and any other storage error lets the request pass.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}
        if env.get("CIVIC_REDIS_URL") else {},
        # Accounts.
        "PASSWORD_HASH_PROFILE": env.get("CIVIC_PASSWORD_HASH_PROFILE", "owasp"),
        "TOKEN_MAX_AGE_SECONDS": _int("CIVIC_TOKEN_MAX_AGE_SECONDS", 60 * 60 * 24),
        "SIGNIN_MAX_FAILURES": _int("CIVIC_SIGNIN_MAX_FAILURES", 10),
        "SIGNIN_WINDOW_MINUTES": _int("CIVIC_SIGNIN_WINDOW_MINUTES", 15),
        "VERIFY_MAX_ATTEMPTS_PER_DAY": _int("CIVIC_VERIFY_MAX_ATTEMPTS_PER_DAY", 5),
        "REGISTER_PEPPER": env.get("CIVIC_REGISTER_PEPPER") or None,
        "PAGE_SIZE": _int("CIVIC_PAGE_SIZE", 20),
        "MODERATION_HIDE_THRESHOLD": _int("CIVIC_MODERATION_HIDE_THRESHOLD", 3),
        "SIMILAR_CACHE_SECONDS": _int("CIVIC_SIMILAR_CACHE_SECONDS", 300),
        # Search (docs/search.md): the Whoosh index's directory; when changes reach it: "thread" (a background
        # thread in each process, the default), "request" (before the response, e.g. tests) or "off".
        "SEARCH_DIR": env.get("CIVIC_SEARCH_DIR") or None,  # None: instance/search
        "SEARCH_DRAIN": env.get("CIVIC_SEARCH_DRAIN", "thread"),
        "SEARCH_DRAIN_INTERVAL": _int("CIVIC_SEARCH_DRAIN_INTERVAL", 60),
        # Citizen sensing (docs/citizen-sensing.md): requests a device token may make to the ingest.
        "SENSING_INGEST_RATE_LIMIT": env.get("CIVIC_SENSING_INGEST_RATE_LIMIT", "60 per minute"),
        "BABEL_DEFAULT_LOCALE": "en_GB",
        "BABEL_DEFAULT_TIMEZONE": "Europe/London",
    }
