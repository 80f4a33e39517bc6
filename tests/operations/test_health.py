"""Items 2 and 4: the Host guard, /healthz and /readyz (the truth about each dependency), and a SQLite file
made writable again recovering without a restart."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import text

from civic.db import db

ROOT = Path(__file__).resolve().parents[2]


def test_readyz_lists_each_dependency_and_is_ready(client):
    r = client.get("/readyz")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "ready"
    assert {"database", "migrations", "database writes", "job queue", "search index"} <= set(body["checks"])
    assert all(c["ok"] for c in body["checks"].values())
    assert r.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_when_the_database_is_behind_the_code(client):
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))  # rolled back with the test
    r = client.get("/readyz")
    assert r.status_code == 503
    migrations = r.get_json()["checks"]["migrations"]
    assert not migrations["ok"] and "run flask civic migrate" in migrations["detail"]


def test_healthz_is_liveness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz", headers={"X-Request-ID": "nginx-0123456789"})
    assert len(first.headers["X-Request-ID"]) == 32
    assert second.headers["X-Request-ID"] == "nginx-0123456789"
    assert client.get("/healthz", headers={"X-Request-ID": "a b; forged=1"}).headers["X-Request-ID"] != "a b; forged=1"


PROBE = """
import json, sys
from pathlib import Path
from sqlalchemy import event
from civic import migrate
from civic.app import create_app
from civic.db import db, make_engine

folder = Path(sys.argv[1])
url = f"sqlite:///{folder}/civic.sqlite3"
engine = make_engine(url)
migrate.upgrade(engine)
engine.dispose()
app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "x" * 40, "TESTING": True,
                  "SEARCH_DRAIN": "off", "JOB_QUEUE": "sync", "TRUSTED_HOSTS": ["civic.example.org"]})
flag = folder / "read-only"

@event.listens_for(db.engine, "do_connect")
def _connect(dialect, record, cargs, cparams):
    # What SQLite does when the file is not writable when a connection opens: the connection is read-only for
    # the rest of its life (here by a flag file, since root may write any file whatever its mode).
    if flag.exists():
        cargs[:] = [f"file:{folder}/civic.sqlite3?mode=ro"]
        cparams["uri"] = True

client = app.test_client()
out = {}
out["untrusted"] = client.get("/", headers={"Host": "evil.example"})
out["by_ip_live"] = client.get("/healthz", headers={"Host": "10.1.2.3:8000"})
out["by_ip_ready"] = client.get("/readyz", headers={"Host": "10.1.2.3:8000"})
out["trusted"] = client.get("/", headers={"Host": "civic.example.org"})
flag.touch()
db.engine.dispose()
out["read_only"] = client.get("/readyz", headers={"Host": "civic.example.org"})
flag.unlink()
out["writable_again"] = client.get("/readyz", headers={"Host": "civic.example.org"})
print(json.dumps({k: [r.status_code, r.get_data(as_text=True)] for k, r in out.items()}))
"""


def test_hosts_and_a_sqlite_file_made_writable_again(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(PROBE), str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    status, page = out["untrusted"]
    assert status == 400 and "Unknown site" in page and "Traceback" not in page and len(page) < 400
    assert out["by_ip_live"][0] == 200 and out["by_ip_ready"][0] == 200
    assert out["trusted"][0] == 200
    status, page = out["read_only"]
    assert status == 503 and json.loads(page)["checks"]["database writes"]["ok"] is False
    status, page = out["writable_again"]
    assert status == 200, page


def test_forwarded_headers_without_behind_proxy_warn_once(app, client, caplog, monkeypatch):
    monkeypatch.setitem(app.extensions["civic.operations"], "proxy_warned", False)
    caplog.set_level(logging.WARNING, logger="civic")
    client.get("/healthz")
    assert not [r for r in caplog.records if "CIVIC_BEHIND_PROXY" in r.getMessage()]
    for _ in range(3):
        client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    warnings = [r for r in caplog.records if "CIVIC_BEHIND_PROXY is off" in r.getMessage()]
    assert len(warnings) == 1 and "lock everybody out" in warnings[0].getMessage()


def test_no_warning_when_behind_proxy_is_on(app, client, caplog, monkeypatch):
    monkeypatch.setitem(app.extensions["civic.operations"], "proxy_warned", False)
    monkeypatch.setitem(app.config, "BEHIND_PROXY", True)
    caplog.set_level(logging.WARNING, logger="civic")
    client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert not [r for r in caplog.records if "CIVIC_BEHIND_PROXY" in r.getMessage()]


def test_flask_civic_check_reports_each_dependency(app):
    done = app.test_cli_runner().invoke(args=["civic", "check"])
    assert done.exit_code == 0, done.output
    for line in ("OK   database: reachable", "OK   migrations: at", "OK   database writes: accepted",
                 "OK   job queue:", "OK   search index:", "OK   mail: SMTP server 127.0.0.1:", "OK   disk:"):
        assert line in done.output, done.output


def test_flask_civic_check_says_what_to_do_and_fails(app, monkeypatch):
    from tests.conftest import free_port

    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "MIN_FREE_DISK_MB", 10**12)
    done = app.test_cli_runner().invoke(args=["civic", "check"])
    assert done.exit_code == 1
    assert "FAIL mail: SMTP server 127.0.0.1:" in done.output and "Check CIVIC_SMTP_HOST" in done.output
    assert "FAIL disk: only" in done.output
