"""A real Civic served by gunicorn (as ``make run``: 2 workers x 4 threads) on a free loopback port, on a fresh
SQLite instance in a temporary directory, for tests that need real HTTP and real processes.

    with live_server(tmp_path, setup=SCRIPT) as site:
        site.url, site.database, site.made   # base URL, the SQLite file, what the setup script printed (JSON)

``setup`` is Python run once after ``flask civic migrate`` (with ``app = create_app()`` and an app context
already made); it ends with ``print(json.dumps(...))``. The server is stopped when the block ends, whatever
happens in it.

The parts, for tests with several servers on one database (tests/proposals/test_two_servers.py):
``environment(directory, env)``, ``prepare(environment, setup)`` (migrate, then the setup script),
``gunicorn(environment, log, workers=...)`` (yields the base URL) and ``background(args, environment, log)`` (any
other process of the site, such as ``flask civic worker``).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


@dataclass
class Site:
    url: str
    database: Path
    made: Any
    log: Path


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}: {log.read_text()[-2000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {STARTUP_SECONDS} s")


def environment(directory: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its ``CIVIC_*`` settings, with an instance in ``directory`` (a SQLite
    database there unless ``env`` names another) and ``env`` on top."""
    found = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
    database = directory / "civic.sqlite3"
    found.update({"CIVIC_INSTANCE_PATH": str(directory), "CIVIC_DATABASE_URL": f"sqlite:///{database}",
                  "CIVIC_MAIL_DIR": str(directory / "mail"), "CIVIC_PASSWORD_HASH_PROFILE": "test", **(env or {})})
    return found


def prepare(environment: dict[str, str], setup: str = "") -> Any:
    """``flask civic migrate``, then the setup script (see :func:`live_server`); returns what it printed (JSON)."""
    subprocess.run([_bin("flask"), "--app", "wsgi", "civic", "migrate"], cwd=ROOT, env=environment, check=True,
                   capture_output=True, timeout=120)
    if not setup:
        return None
    script = ("import json\nfrom civic.app import create_app\napp = create_app()\nwith app.app_context():\n"
              + textwrap.indent(textwrap.dedent(setup), "    "))
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, check=True,
                          capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def background(args: list[str], environment: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A process of ours (a gunicorn, an RQ worker) in its own session, stopped (SIGTERM, then SIGKILL) when the
    block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gunicorn(environment: dict[str, str], log: Path, *, workers: int = 2) -> Iterator[str]:
    """gunicorn serving Civic (``workers`` x 4 threads) on a free loopback port; yields its base URL."""
    port = _free_port()
    args = [_bin("gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "4",
            "--log-level", "warning", "wsgi:app"]
    with background(args, environment, log) as server:
        _wait_until_up(port, server, log)
        yield f"http://127.0.0.1:{port}"


@contextmanager
def live_server(directory: Path, *, setup: str = "", env: dict[str, str] | None = None) -> Iterator[Site]:
    database = directory / "civic.sqlite3"
    found = environment(directory, env)
    made = prepare(found, setup)
    log = directory / "gunicorn.log"
    with gunicorn(found, log) as url:
        yield Site(url=url, database=database, made=made, log=log)
