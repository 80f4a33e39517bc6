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


#: Malformed values met while reading the environment, one sentence each (see problems()).
_MALFORMED: list[str] = []
TRUE, FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


def _bool(value: str | None, default: bool = False, name: str = "") -> bool:
    if value is None or value == "":
        return default
    word = value.strip().lower()
    if name and word not in TRUE | FALSE:
        _MALFORMED.append(f"{name} must be on or off (1/0, true/false, yes/no), not {value!r}.")
    return word in TRUE


def _int(name: str, default: int) -> int:
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        _MALFORMED.append(f"{name} must be a whole number, like {default}, not {raw!r}.")
        return default
    return int(raw)


def _seconds(name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    """A comma-separated list of seconds, e.g. ``10,60,300``; ``none`` for an empty list."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if raw.lower() == "none":
        return ()
    try:
        return tuple(float(part) for part in raw.split(","))
    except ValueError:
        _MALFORMED.append(f"{name} must be seconds separated by commas, like 10,60,300 (or none), not {raw!r}.")
        return default


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
    if not is_production(settings, debug):  # SQLite, tests and debug runs, unless CIVIC_PRODUCTION says otherwise
        return EMBEDDED_BASE_URL
    raise ConfigurationError(
        "Civic will not start without its public address: set CIVIC_BASE_URL (for example "
        "CIVIC_BASE_URL=https://civic.example.org). Every link in mail (confirmation, password reset, "
        "notifications) is built from it, never from the request's Host header.")


def from_environment() -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ
    _MALFORMED.clear()
    instance = Path(env.get("CIVIC_INSTANCE_PATH") or DEFAULT_INSTANCE).resolve()
    database_url = env.get("CIVIC_DATABASE_URL") or f"sqlite:///{instance / 'civic.sqlite3'}"
    scheme = (env.get("CIVIC_URL_SCHEME") or "http").strip()
    https = scheme == "https" or (env.get("CIVIC_BASE_URL") or "").strip().startswith("https://")
    settings = {
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": _secret_key(instance),
        "DATABASE_URL": database_url,
        "SITE_NAME": env.get("CIVIC_SITE_NAME", "Civic Westminster"),
        "SERVER_NAME": env.get("CIVIC_SERVER_NAME") or None,
        "PREFERRED_URL_SCHEME": scheme,
        # Requests for any other Host are refused (400): links built from the request stay ours.
        "TRUSTED_HOSTS": [h.strip() for h in (env.get("CIVIC_TRUSTED_HOSTS") or env.get("CIVIC_SERVER_NAME") or "")
                          .split(",") if h.strip()] or None,
        # Every link in mail: the site's public address, never the request's Host header. None when unset:
        # create_app derives it from SERVER_NAME, or (embedded mode only) uses EMBEDDED_BASE_URL; see base_url().
        "BASE_URL": (env.get("CIVIC_BASE_URL") or "").strip().rstrip("/") or None,
        # Cookies: HttpOnly and SameSite=Lax always; Secure when served over HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("CIVIC_SECURE_COOKIES"), https, "CIVIC_SECURE_COOKIES"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("CIVIC_SECURE_COOKIES"), https),
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "MAX_CONTENT_LENGTH": _int("CIVIC_MAX_UPLOAD_BYTES", 8 * 1024 * 1024),
        "WTF_CSRF_TIME_LIMIT": None,
        "BEHIND_PROXY": _bool(env.get("CIVIC_BEHIND_PROXY"), name="CIVIC_BEHIND_PROXY"),
        # Mail: SMTP when CIVIC_SMTP_HOST is set, otherwise .eml files under instance/mail/.
        "MAIL_FROM": env.get("CIVIC_MAIL_FROM", "Civic Westminster <no-reply@civic.localhost>"),
        "SMTP_HOST": env.get("CIVIC_SMTP_HOST") or None,
        "SMTP_PORT": _int("CIVIC_SMTP_PORT", 25),
        "SMTP_USERNAME": env.get("CIVIC_SMTP_USERNAME") or None,
        "SMTP_PASSWORD": env.get("CIVIC_SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _bool(env.get("CIVIC_SMTP_STARTTLS"), name="CIVIC_SMTP_STARTTLS"),
        "SMTP_SSL": _bool(env.get("CIVIC_SMTP_SSL"), name="CIVIC_SMTP_SSL"),
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
        # The JSON API (docs/api.md, "Rate limits"): every /api/v1 request counts against this limit, per person
        # (token or session) or, signed out, per address, in the limiter's storage above (Redis: one count for
        # every worker and server). Keys start with the prefix, so two sites may share one Redis.
        "API_RATE_LIMIT": env.get("CIVIC_API_RATE_LIMIT", "300 per minute"),
        "RATELIMIT_KEY_PREFIX": env.get("CIVIC_RATELIMIT_KEY_PREFIX", "civic"),
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
        # More than one app server (issue 22; docs/search.md, docs/uploads.md). The search backend: "postgres"
        # (a table in the database, written in each request's transaction) or "whoosh" (files under SEARCH_DIR);
        # None: postgres when the database is PostgreSQL, whoosh on SQLite. The synonyms searched alike (a text
        # file; None: instance/search-synonyms.txt when it exists, else the built-in list). Uploaded images:
        # "folder" (UPLOADS_DIR, default instance/uploads; a shared volume for several servers) or "database".
        "SEARCH_BACKEND": env.get("CIVIC_SEARCH_BACKEND") or None,
        "SEARCH_SYNONYMS": env.get("CIVIC_SEARCH_SYNONYMS") or None,
        "UPLOADS_STORE": env.get("CIVIC_UPLOADS_STORE") or "folder",
        "UPLOADS_DIR": env.get("CIVIC_UPLOADS_DIR") or None,
        # Urban Data School (docs/skills-school.md): how long a place offered from a waitlist is held.
        "SCHOOL_OFFER_HOURS": _int("CIVIC_SCHOOL_OFFER_HOURS", 48),
        # Citizen sensing (docs/citizen-sensing.md): requests a device token may make to the ingest.
        "SENSING_INGEST_RATE_LIMIT": env.get("CIVIC_SENSING_INGEST_RATE_LIMIT", "60 per minute"),
        "BABEL_DEFAULT_LOCALE": "en_GB",
        "BABEL_DEFAULT_TIMEZONE": "Europe/London",
    }
    # Production operations (docs/operations.md) ----------------------------------------------------------------
    production = (env.get("CIVIC_PRODUCTION") or "").strip()
    settings.update({
        # On, off, or None: implied by a database other than SQLite (outside tests and debug runs); see problems().
        "PRODUCTION": _bool(production, name="CIVIC_PRODUCTION") if production else None,
        # Where the secret key came from: "environment", or "generated" (instance/secret_key; embedded mode only).
        "SECRET_KEY_SOURCE": "environment" if env.get("CIVIC_SECRET_KEY") else "generated",
        # Earlier secret keys, still accepted for signatures (sessions, links in mail already sent); comma-separated.
        "SECRET_KEY_FALLBACKS": [k.strip() for k in (env.get("CIVIC_SECRET_KEY_FALLBACKS") or "").split(",")
                                 if k.strip()],
        # "No mail at all" said out loud: a production site without CIVIC_SMTP_HOST refuses to start otherwise.
        "NO_MAIL": _bool(env.get("CIVIC_NO_MAIL"), name="CIVIC_NO_MAIL"),
        # Log lines: "plain" (the default) or "json" (one object a line); the same for gunicorn (deploy/).
        "LOG_FORMAT": (env.get("CIVIC_LOG_FORMAT") or "plain").strip(),
        "LOG_LEVEL": (env.get("CIVIC_LOG_LEVEL") or "INFO").strip().upper(),
        # /readyz: jobs waiting longer than this, or a worker silent longer than this, is "not ready".
        "READY_MAX_BACKLOG": _int("CIVIC_READY_MAX_BACKLOG", 1000),
        "READY_WORKER_SILENCE_SECONDS": _int("CIVIC_READY_WORKER_SILENCE_SECONDS", 300),
        # flask civic check and /readyz: free space wanted where uploads are kept.
        "MIN_FREE_DISK_MB": _int("CIVIC_MIN_FREE_DISK_MB", 500),
        "CONFIG_PROBLEMS": list(_MALFORMED) + _raw_problems(env),
    })
    return settings


SCHEMES = ("http", "https")
LOG_FORMATS = ("plain", "json")


def _raw_problems(env) -> list[str]:
    """Values that are wrong in any mode: one sentence each."""
    found = []
    scheme = env.get("CIVIC_URL_SCHEME")
    if scheme is not None and scheme.strip() not in SCHEMES:
        found.append(f"CIVIC_URL_SCHEME must be http or https, in small letters, not {scheme!r} (with anything else "
                     "the cookies lose their Secure flag).")
    url = (env.get("CIVIC_DATABASE_URL") or "").strip()
    if url:
        head = url.split("://", 1)[0] if "://" in url else ""
        if head in ("postgres", "postgresql+psycopg2"):
            found.append(f"CIVIC_DATABASE_URL starts with {head}://; write postgresql:// (Civic uses psycopg 3), "
                         "like postgresql://civic@127.0.0.1/civic.")
        elif not head.startswith(("postgresql", "sqlite")):
            found.append("CIVIC_DATABASE_URL must be a postgresql:// or sqlite:/// address, like "
                         "postgresql://civic@127.0.0.1/civic.")
    log_format = (env.get("CIVIC_LOG_FORMAT") or "plain").strip()
    if log_format not in LOG_FORMATS:
        found.append(f"CIVIC_LOG_FORMAT must be plain or json, not {log_format!r}.")
    return found


def is_production(settings, debug: bool = False) -> bool:
    """Production mode: CIVIC_PRODUCTION when set; otherwise implied by a database that is not SQLite (tests and
    debug runs excepted)."""
    if settings.get("PRODUCTION") is not None:
        return bool(settings["PRODUCTION"])
    embedded = str(settings.get("DATABASE_URL") or "").startswith("sqlite")
    return not (embedded or settings.get("TESTING") or debug)


def problems(settings, debug: bool = False) -> list[str]:
    """Everything wrong with the settings, one plain sentence each: malformed values always, and in production
    whatever a public site cannot do without. Empty when the app may start."""
    found = list(settings.get("CONFIG_PROBLEMS") or [])
    if not is_production(settings, debug):
        return found
    if settings.get("SECRET_KEY_SOURCE") == "generated" or not settings.get("SECRET_KEY"):
        found.append("Set CIVIC_SECRET_KEY to a long random value (python3 -c 'import secrets; "
                     "print(secrets.token_urlsafe(48))'); a production site does not use a generated key file.")
    elif len(str(settings["SECRET_KEY"])) < 32:
        found.append("CIVIC_SECRET_KEY is too short: use at least 32 random characters.")
    if not (settings.get("BASE_URL") or settings.get("SERVER_NAME")):
        found.append("Set CIVIC_BASE_URL to the site's public address, like https://civic.example.org: every link "
                     "in mail is built from it.")
    elif str(settings.get("BASE_URL") or "").startswith("http://"):
        found.append("CIVIC_BASE_URL must start with https:// in production (cookies are Secure only over HTTPS).")
    if not settings.get("TRUSTED_HOSTS"):
        found.append("Set CIVIC_TRUSTED_HOSTS to the host names the site answers to, like civic.example.org.")
    if not settings.get("SMTP_HOST") and not settings.get("NO_MAIL"):
        found.append("Set CIVIC_SMTP_HOST to your mail server, or CIVIC_NO_MAIL=1 to run without sending mail "
                     "(nobody could confirm an account or reset a password).")
    pepper = settings.get("REGISTER_PEPPER")
    if not pepper:
        found.append("Set CIVIC_REGISTER_PEPPER, the key of the residents register's fingerprints, to a random value "
                     "of its own (not the secret key), and keep it.")
    elif pepper == settings.get("SECRET_KEY"):  # an old key kept as a fallback is fine: that is the upgrade path
        found.append("CIVIC_REGISTER_PEPPER must differ from CIVIC_SECRET_KEY, so the secret key can be rotated "
                     "without losing the register.")
    return found
