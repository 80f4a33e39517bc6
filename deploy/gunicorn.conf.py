"""gunicorn's settings for Civic behind nginx (deploy/nginx/civic.conf): ``gunicorn -c deploy/gunicorn.conf.py``.

Every value can be changed from the environment (deploy/civic.env.example), so two instances on one machine differ
only there: each has its own bind address and its own control socket (gunicorn's default, one per user, was
shared by both).
"""

import os

from civic.logs import gunicorn_logconfig

bind = os.environ.get("GUNICORN_BIND", "unix:/run/civic/gunicorn.sock")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
wsgi_app = "wsgi:app"
# One control socket per instance: named after the bind address unless set.
_name = "".join(c if c.isalnum() else "-" for c in bind.split(":", 1)[-1]).strip("-") or "civic"
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or f"/run/civic/gunicorn-{_name[-60:]}.ctl"
# The app writes the access log itself (logger civic.access, with the request id); gunicorn's own lines are in
# the same format (CIVIC_LOG_FORMAT: plain or json).
accesslog = None
logconfig_dict = gunicorn_logconfig(os.environ.get("CIVIC_LOG_FORMAT", "plain").strip())
# nginx on this machine is the proxy whose X-Forwarded-* headers count (CIVIC_BEHIND_PROXY=1 for the app).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
