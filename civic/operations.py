"""Running Civic in production: the Host guard, request ids and the access log, the proxy warning, the health
endpoints (``/healthz``, ``/readyz``) and the dependency checks they share with ``flask civic check``.

See docs/operations.md.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.sansio.utils import host_is_trusted

from civic import logs
from civic.db import db, utcnow

log = logging.getLogger("civic")
access_log = logging.getLogger("civic.access")
bp = Blueprint("operations", __name__)

#: Paths a load balancer calls by the machine's address: they answer whatever the Host header says.
HEALTH_PATHS = ("/healthz", "/readyz")
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_FORWARDED")
BAD_HOST_PAGE = (b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Unknown site</title>"
                 b"</head><body><main><h1>Unknown site</h1><p>This server does not serve the site you asked for. "
                 b"Check the address.</p></main></body></html>")


class HostGuard:
    """WSGI middleware in front of the app: a request for a host not in ``TRUSTED_HOSTS`` gets a short 400 page
    (Flask's own check left the error page without a URL adapter: a 500 with a long traceback). The health
    endpoints are answered whatever the Host, since a load balancer calls them by IP address."""

    def __init__(self, wsgi_app: Callable, trusted: Iterable[str]) -> None:
        self.wsgi_app = wsgi_app
        self.trusted = list(trusted)

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if not host_is_trusted(host, self.trusted):
            if environ.get("PATH_INFO") in HEALTH_PATHS:
                environ["HTTP_HOST"] = self.trusted[0].lstrip(".")
            else:
                start_response("400 Bad Request", [("Content-Type", "text/html; charset=utf-8"),
                                                   ("Content-Length", str(len(BAD_HOST_PAGE))),
                                                   ("Cache-Control", "no-store")])
                return [BAD_HOST_PAGE]
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    cfg = app.config
    logs.configure(cfg.get("LOG_FORMAT", "plain"), cfg.get("LOG_LEVEL", "INFO"), cfg["SECRET_KEY"])
    if cfg.get("TRUSTED_HOSTS"):
        app.wsgi_app = HostGuard(app.wsgi_app, cfg["TRUSTED_HOSTS"])  # type: ignore[method-assign]
        cfg["TRUSTED_HOSTS"] = None  # checked by the guard; the health endpoints pass it with another Host
    state = app.extensions.setdefault("civic.operations", {"proxy_warned": False})

    @app.before_request
    def _request_id() -> None:
        g.request_started = time.perf_counter()
        g.request_id = logs.new_request_id(request.headers.get("X-Request-ID"))
        g.request_id_token = logs.REQUEST_ID.set(g.request_id)
        if not cfg.get("BEHIND_PROXY") and not state["proxy_warned"] \
                and any(h in request.environ for h in PROXY_HEADERS):
            state["proxy_warned"] = True  # once per process
            log.warning("A request came with X-Forwarded-* headers but CIVIC_BEHIND_PROXY is off: every visitor "
                        "seems to come from the proxy's address, so one address's failed sign-ins can lock "
                        "everybody out. Set CIVIC_BEHIND_PROXY=1 when Civic is behind a reverse proxy.")

    @app.after_request
    def _access(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
            started = g.get("request_started") or time.perf_counter()
            ms = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %s %.0fms", request.method, request.path, response.status_code, ms,
                            extra={"fields": {"method": request.method, "path": request.path,
                                              "status": response.status_code, "ms": round(ms, 1)}})
        return response

    @app.teardown_request
    def _forget_request_id(exc) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            logs.REQUEST_ID.reset(token)

    app.register_blueprint(bp)


# The checks ----------------------------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    #: A failed check that is only a warning (the site serves pages; something else suffers).
    critical: bool = True


def _database() -> list[Check]:
    from civic import migrate  # noqa: PLC0415 - the migration scripts are read only when checking

    checks = []
    try:
        db.session.execute(text("SELECT 1"))
        checks.append(Check("database", True, "reachable"))
    except SQLAlchemyError as e:
        db.session.rollback()
        return [Check("database", False, f"not reachable: {_short(e)}. Check CIVIC_DATABASE_URL and that the "
                                         "database server runs.")]
    current, head = migrate.current_revision(db.session.connection()), migrate.head_revision()
    checks.append(Check("migrations", current == head,
                        f"at {current}" if current == head else
                        f"at {current or 'nothing'}, the code needs {head}: run flask civic migrate."))
    # A write that leaves nothing behind (a savepoint rolled back). Tried twice: a SQLite connection opened while
    # the file was read-only refuses for ever, and its refusal empties the pool (civic.db), so the second try
    # is on a fresh connection and tells whether the file is writable now.
    for attempt in (1, 2):
        try:
            with db.session.begin_nested() as nested:
                db.session.execute(text("UPDATE alembic_version SET version_num = version_num"))
                nested.rollback()
            checks.append(Check("database writes", True, "accepted"))
            break
        except SQLAlchemyError as e:
            db.session.rollback()
            if attempt == 2 or "readonly" not in str(e):
                checks.append(Check("database writes", False, f"refused: {_short(e)}. Check the database file's "
                                                              "or the role's rights and free disk space."))
                break
    return checks


def _redis_and_jobs() -> list[Check]:
    from civic import jobs  # noqa: PLC0415

    cfg = current_app.config
    name = jobs.backend_name(cfg)
    if name != "rq":
        redis_check = [Check("redis", True, "not used (CIVIC_REDIS_URL unset)")] if not cfg.get("REDIS_URL") else []
        return [*redis_check, Check("job queue", True, f"{name} backend: jobs run inside the web processes")]
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, Worker

    connection = Redis.from_url(cfg["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2)
    try:
        connection.ping()
        queue = Queue(cfg.get("JOB_QUEUE_NAME") or "civic", connection=connection)
        backlog = queue.count
        workers = Worker.all(queue=queue)
        beats = [w.last_heartbeat for w in workers if w.last_heartbeat]
    except RedisError as e:
        return [Check("redis", False, f"not reachable: {_short(e)}. Check CIVIC_REDIS_URL and that Redis runs.")]
    finally:
        connection.close()
    out = [Check("redis", True, "reachable")]
    limit = cfg.get("READY_MAX_BACKLOG", 1000)
    out.append(Check("job backlog", backlog <= limit, f"{backlog} waiting" if backlog <= limit else
                     f"{backlog} jobs waiting (more than {limit}): is the worker running and keeping up?"))
    silence = timedelta(seconds=cfg.get("READY_WORKER_SILENCE_SECONDS", 300))
    newest = max(beats, default=None)
    if newest is not None and newest.tzinfo is None:
        from datetime import UTC  # noqa: PLC0415

        newest = newest.replace(tzinfo=UTC)
    alive = newest is not None and utcnow() - newest <= silence
    out.append(Check("worker", alive, f"last heartbeat {newest:%Y-%m-%d %H:%M:%S} UTC" if alive else
                     "no worker has reported recently: start flask civic worker (deploy/systemd/civic-worker.service)"))
    return out


def _search() -> list[Check]:
    try:
        from civic.search import services  # noqa: PLC0415

        info = services.status()
        return [Check("search index", True, f"{info.get('documents', '?')} documents, {info.get('queued', 0)} "
                                            "changes queued")]
    except Exception as e:  # noqa: BLE001 - any failure of the index is reported, not raised
        db.session.rollback()
        return [Check("search index", False, f"cannot be read: {_short(e)}. Run flask civic reindex.")]


def _mail() -> list[Check]:
    import smtplib  # noqa: PLC0415

    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        why = "CIVIC_NO_MAIL is on" if cfg.get("NO_MAIL") else "no CIVIC_SMTP_HOST"
        return [Check("mail", True, f"saved as files in {cfg['MAIL_DIR']} ({why})", critical=False)]
    try:
        cls = smtplib.SMTP_SSL if cfg.get("SMTP_SSL") else smtplib.SMTP
        with cls(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=5) as smtp:
            smtp.noop()
        return [Check("mail", True, f"SMTP server {cfg['SMTP_HOST']}:{cfg['SMTP_PORT']} answers")]
    except (OSError, smtplib.SMTPException) as e:
        return [Check("mail", False, f"SMTP server {cfg['SMTP_HOST']}:{cfg['SMTP_PORT']} does not answer: "
                                     f"{_short(e)}. Check CIVIC_SMTP_HOST and CIVIC_SMTP_PORT.")]


def _disk() -> list[Check]:
    folder = Path(current_app.instance_path)
    want = current_app.config.get("MIN_FREE_DISK_MB", 500)
    free = shutil.disk_usage(folder).free // (1024 * 1024)
    return [Check("disk", free >= want, f"{free} MB free in {folder}" if free >= want else
                  f"only {free} MB free in {folder} (uploads and the search index live there; want {want} MB)")]


def _short(e: BaseException) -> str:
    return str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__


def readiness() -> list[Check]:
    """What /readyz answers: the database (reachable, at the migration head, writable), Redis, the job backlog
    and the worker's heartbeat, the search index."""
    return [*_database(), *_redis_and_jobs(), *_search()]


def all_checks() -> list[Check]:
    """What ``flask civic check`` reports: readiness, the mail server and disk space."""
    return [*readiness(), *_mail(), *_disk()]


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers (the database is /readyz's concern)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = readiness()
    ready = all(c.ok or not c.critical for c in checks)
    body = {"status": "ready" if ready else "not ready",
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
