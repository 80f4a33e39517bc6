"""Page latency: the home page and the sign-in page served by gunicorn on loopback, on SQLite.

A fresh instance (SQLite file, migrated, demo data) in a temporary directory; gunicorn with 2 workers
(and 4 threads each, as ``make run``) on a free loopback port; a warm-up; then N sequential requests per page
on one kept-alive ``http.client`` connection. Prints p50 and p95 beside the budget.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/", "/sign-in")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
WARMUP = 30
BUDGET_P95_MS = 20.0
TIME_LIMIT_S = 60.0  # per page: the run stops measuring a page after this long, whatever N says
STARTUP_LIMIT_S = 30.0


def _bin(name: str) -> str:
    """The tool from the virtualenv running this (normally .venv/bin/<name>)."""
    for candidate in (Path(sys.executable).parent / name, ROOT / ".venv" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    raise SystemExit(f"{name} not found; run `make install` first")


def start_gunicorn(env: dict[str, str], data: Path, port: int, app: str) -> subprocess.Popen:
    """gunicorn as ``make run`` starts it (2 workers x 4 threads) on loopback, logging to ``data``."""
    with (data / "gunicorn.log").open("w") as log:  # the child keeps its own copy of the handle
        return subprocess.Popen(
            [_bin("gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
             "--log-level", "warning", app],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL when it has not exited within ``timeout`` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def print_gunicorn_errors(data: Path, limit: int = 3000) -> None:
    """What gunicorn logged in ``data`` beyond the access log (which is no error), its last ``limit`` characters."""
    errors = "\n".join(line for line in (data / "gunicorn.log").read_text(errors="replace").splitlines()
                       if line.strip() and " civic.access " not in line)
    if errors:
        print("gunicorn said:\n" + errors[-limit:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(env: dict[str, str]) -> None:
    """Migrate and seed the temporary instance with the same commands a person runs."""
    flask = _bin("flask")
    for args in (["civic", "migrate"], ["civic", "seed-demo", "--password", "benchmark demo password"]):
        subprocess.run([flask, "--app", "wsgi", *args], cwd=ROOT, env=env, check=True, capture_output=True,
                       timeout=120)


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {STARTUP_LIMIT_S:.0f} s")


def _measure(port: int, path: str, n: int) -> tuple[list[float], int, int]:
    """Timings in ms of up to ``n`` sequential GETs on one kept-alive connection, the count of non-200s and
    the number of TCP connections opened while measuring (1 when keep-alive works)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Accept": "text/html", "Connection": "keep-alive"}
    timings: list[float] = []
    bad = connections = 0
    try:
        for _ in range(WARMUP):
            conn.request("GET", path, headers=headers)
            conn.getresponse().read()
        stop_at = time.monotonic() + TIME_LIMIT_S
        for _ in range(n):
            connections += conn.sock is None  # http.client reconnects by itself when the server closed
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            timings.append((time.perf_counter() - started) * 1000)
            bad += response.status != 200
            if time.monotonic() > stop_at:
                break
    finally:
        conn.close()
    return timings, bad, connections


def main() -> bool:
    with tempfile.TemporaryDirectory(prefix="civic-bench-") as tmp:
        data = Path(tmp)
        port = _free_port()
        env = {
            **os.environ,
            "CIVIC_INSTANCE_PATH": str(data),
            "CIVIC_DATABASE_URL": f"sqlite:///{data / 'civic.sqlite3'}",
            "CIVIC_MAIL_DIR": str(data / "mail"),
        }
        env.pop("CIVIC_SMTP_HOST", None)
        _prepare(env)
        server = start_gunicorn(env, data, port, "wsgi:app")
        try:
            _wait_until_up(port, server)
            print(f"gunicorn, 2 workers x 4 threads, SQLite, {REQUESTS} sequential keep-alive requests per page "
                  f"after {WARMUP} to warm up")
            print(f"{'page':<10} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}   budget")
            within = True
            for path in PAGES:
                timings, bad, connections = _measure(port, path, REQUESTS)
                p50 = statistics.median(timings)
                p95 = statistics.quantiles(timings, n=100, method="inclusive")[94]
                ok = p95 <= BUDGET_P95_MS and bad == 0
                within &= ok
                note = f"  ({bad} responses were not 200)" if bad else ""
                note += f"  ({connections} connections: keep-alive failed)" if connections > 1 else ""
                print(f"{path:<10} {len(timings):>8} {p50:>8.2f} {p95:>8.2f}   p95 <= {BUDGET_P95_MS:.0f} ms (SQLite)"
                      f"  {'PASS' if ok else 'OVER'}{note}")
            return within
        finally:
            stop(server)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
