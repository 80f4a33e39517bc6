"""Item 7: nginx from the deploy/ layout in front of gunicorn (deploy/gunicorn.conf.py) keeps serving pages while
50 slow clients send their headers a byte at a time; gunicorn alone, under the same clients, stalls.

Marked ``nginx``: deselected with a note when nginx is not installed, a failure under CIVIC_REQUIRE_ALL (CI).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.conftest import NGINX_PATH, free_port

pytestmark = pytest.mark.nginx

ROOT = Path(__file__).resolve().parents[2]
HOST = "civic.example.org"
SLOW_CLIENTS = 50
ATTACK_SECONDS = 6.0


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _wait_for(port: int, what: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {seconds} s: {log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def gunicorn(tmp: Path) -> Iterator[int]:
    """gunicorn with deploy/gunicorn.conf.py on a fresh SQLite instance: one worker of four threads."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CIVIC_", "GUNICORN_"))}
    env.update({"CIVIC_INSTANCE_PATH": str(tmp), "CIVIC_DATABASE_URL": f"sqlite:///{tmp}/civic.sqlite3",
                "CIVIC_TRUSTED_HOSTS": HOST, "CIVIC_BEHIND_PROXY": "1", "CIVIC_PASSWORD_HASH_PROFILE": "test",
                "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "4",
                "GUNICORN_CONTROL_SOCKET": str(tmp / "gunicorn.ctl"), "GUNICORN_TIMEOUT": "120"})
    subprocess.run([_bin("flask"), "--app", "wsgi", "civic", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    log = tmp / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen([_bin("gunicorn"), "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(port, "gunicorn", process, log)
        deadline = time.monotonic() + 60
        while fetch(port, "/healthz") != 200 and time.monotonic() < deadline:  # the worker has loaded the app
            time.sleep(0.2)
        assert fetch(port, "/", timeout=60) == 200  # and rendered its first page (templates compiled)
        yield port
    finally:
        _stop(process)


def render_layout(tmp: Path, upstream: int, http_port: int, https_port: int) -> Path:
    """deploy/nginx/ made runnable here: loopback ports, a self-signed certificate, this checkout's paths."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
                    "-keyout", str(tmp / "privkey.pem"), "-out", str(tmp / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    proxy = tmp / "nginx-proxy.conf"
    shutil.copy(ROOT / "deploy" / "nginx" / "proxy.conf", proxy)
    site = (ROOT / "deploy" / "nginx" / "civic.conf").read_text()
    for old, new in {"unix:/run/civic/gunicorn.sock": f"127.0.0.1:{upstream}",
                     "    listen [::]:80;\n": "", "    listen [::]:443 ssl http2;\n": "",
                     "listen 80;": f"listen 127.0.0.1:{http_port};",
                     "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
                     "/etc/ssl/civic/": f"{tmp}/", "/srv/civic/static/": f"{ROOT}/static/",
                     "/etc/civic/nginx-proxy.conf": str(proxy)}.items():
        assert old in site, f"deploy/nginx/civic.conf no longer has {old!r}: update this test"
        site = site.replace(old, new)
    (tmp / "civic.conf").write_text(site)
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / folder).mkdir()
    main = tmp / "nginx.conf"
    main.write_text(f"""{'user root;' if os.geteuid() == 0 else ''}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    include {tmp}/civic.conf;
}}
""")
    return main


@contextmanager
def nginx(tmp: Path, upstream: int) -> Iterator[tuple[int, int]]:
    http_port, https_port = free_port(), free_port()
    main = render_layout(tmp, upstream, http_port, https_port)
    binary = shutil.which("nginx", path=NGINX_PATH)
    assert binary, "nginx is not installed (apt-get install nginx-light)"
    checked = subprocess.run([binary, "-t", "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(main)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    log = tmp / "nginx.out"
    with log.open("w") as out:
        process = subprocess.Popen([binary, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(main)],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(https_port, "nginx", process, log)
        yield http_port, https_port
    finally:
        _stop(process)


@contextmanager
def slow_clients(port: int, count: int = SLOW_CLIENTS) -> Iterator[None]:
    """``count`` connections sending a request's headers a byte every 0.2 s (never finishing while they last)."""
    request = f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: slow-{'x' * 80}\r\n\r\n".encode()
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    stop = threading.Event()

    def trickle() -> None:
        for position in range(len(request)):
            if stop.is_set():
                return
            for s in sockets:
                with suppress(OSError):
                    s.send(request[position:position + 1])
            stop.wait(0.2)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    time.sleep(0.5)  # every slow client has begun
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        for s in sockets:
            s.close()


def fetch(port: int, path: str = "/", *, tls: bool = False, timeout: float = 3.0) -> int | str:
    """The status of one ordinary request, or why it failed."""
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn: http.client.HTTPConnection = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout,
                                                                      context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": HOST})
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError as e:
        return type(e).__name__
    finally:
        conn.close()


def during_attack(port: int, **kwargs) -> list[int | str]:
    results = []
    deadline = time.monotonic() + ATTACK_SECONDS
    while time.monotonic() < deadline:
        results.append(fetch(port, **kwargs))
        time.sleep(0.2)
    return results


def test_nginx_keeps_serving_while_slow_clients_trickle_and_bare_gunicorn_stalls(tmp_path):
    with gunicorn(tmp_path) as upstream, nginx(tmp_path, upstream) as (http_port, https_port):
        assert fetch(https_port, tls=True) == 200
        assert fetch(http_port, "/healthz") == 200  # the load balancer's plain-HTTP probe
        assert fetch(http_port, "/") == 301  # everything else moves to HTTPS
        with slow_clients(http_port):
            behind_nginx = during_attack(https_port, tls=True)
        assert behind_nginx and set(behind_nginx) == {200}, behind_nginx
        with slow_clients(upstream):
            bare = during_attack(upstream, path="/healthz")
        assert any(r != 200 for r in bare), f"gunicorn alone kept up with slow clients: {bare}"
    access = (tmp_path / "gunicorn.log").read_text()
    assert "civic.access" in access and "GET / 200" in access  # the app's own access log, through the layout
