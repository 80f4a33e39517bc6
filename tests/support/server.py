"""A real Civic served by gunicorn (as ``make run``: 2 workers x 4 threads) on a free loopback port, on a fresh
SQLite instance in a temporary directory, for tests that need real HTTP and real processes.

    with live_server(tmp_path, setup=SCRIPT) as site:
        site.url, site.database, site.made   # base URL, the SQLite file, what the setup script printed (JSON)

``setup`` is Python run once after ``flask civic migrate`` (with ``app = create_app()`` and an app context
already made); it ends with ``print(json.dumps(...))``. The server is stopped when the block ends, whatever
happens in it.
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


@contextmanager
def live_server(directory: Path, *, setup: str = "", env: dict[str, str] | None = None) -> Iterator[Site]:
    database = directory / "civic.sqlite3"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
    environment.update({"CIVIC_INSTANCE_PATH": str(directory), "CIVIC_DATABASE_URL": f"sqlite:///{database}",
                        "CIVIC_MAIL_DIR": str(directory / "mail"), "CIVIC_PASSWORD_HASH_PROFILE": "test",
                        **(env or {})})
    subprocess.run([_bin("flask"), "--app", "wsgi", "civic", "migrate"], cwd=ROOT, env=environment, check=True,
                   capture_output=True, timeout=120)
    made = None
    if setup:
        script = ("import json\nfrom civic.app import create_app\napp = create_app()\nwith app.app_context():\n"
                  + textwrap.indent(textwrap.dedent(setup), "    "))
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, check=True,
                              capture_output=True, text=True, timeout=120)
        made = json.loads(done.stdout.strip().splitlines()[-1])
    port = _free_port()
    log = directory / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [_bin("gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(port, server, log)
        yield Site(url=f"http://127.0.0.1:{port}", database=database, made=made, log=log)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
