"""Item 6: the production layout in deploy/ — every setting documented, systemd units that systemd accepts, each
carrying the environment, and one gunicorn control socket per instance."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())


def variables_read() -> set[str]:
    return set(re.findall(r"\b(CIVIC_[A-Z0-9_]*[A-Z0-9])\b", (ROOT / "civic" / "config.py").read_text()))


def test_config_reads_the_variables_we_think():
    assert {"CIVIC_SECRET_KEY", "CIVIC_SECURE_COOKIES", "CIVIC_PAGE_SIZE", "CIVIC_OIDC_SCOPE"} <= variables_read()


@pytest.mark.parametrize("document", ["README.md", "deploy/civic.env.example"])
def test_every_variable_config_reads_is_documented(document):
    text = (ROOT / document).read_text()
    missing = sorted(v for v in variables_read() if not re.search(rf"\b{v}\b", text))
    assert not missing, f"{document} does not name {', '.join(missing)}"


def test_every_unit_carries_the_environment_and_the_working_directory():
    services = [u for u in UNITS if u.suffix == ".service"]
    assert {u.name for u in services} == {"civic-web.service", "civic-worker.service", "civic-tick.service",
                                          "civic-digests.service", "civic-mqtt.service"}
    for unit in services:
        text = unit.read_text()
        assert "EnvironmentFile=/etc/civic/civic.env" in text and "WorkingDirectory=/srv/civic" in text, unit.name
    for timer in ("civic-tick.timer", "civic-digests.timer"):
        assert (DEPLOY / "systemd" / timer).exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    for unit in UNITS:  # the paths made real (systemd checks that each command exists)
        (tmp_path / unit.name).write_text(unit.read_text().replace("/srv/civic", str(ROOT)))
    done = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True, timeout=60)
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if "civic-" in line]
    assert done.returncode == 0 and not complaints, complaints


def gunicorn_settings(env: dict[str, str]) -> dict:
    import os
    import sys

    script = ("import runpy, json; s = runpy.run_path('deploy/gunicorn.conf.py'); "
              "print(json.dumps({k: s[k] for k in ('bind', 'control_socket', 'accesslog')}))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, **env})
    import json

    return json.loads(done.stdout)


def test_two_instances_have_two_control_sockets():
    one = gunicorn_settings({"GUNICORN_BIND": "127.0.0.1:8001"})
    two = gunicorn_settings({"GUNICORN_BIND": "127.0.0.1:8002"})
    assert one["control_socket"] != two["control_socket"]
    assert one["accesslog"] is None  # the app's access log (civic.access) has the request id


def test_the_cron_line_of_the_docs_loads_the_environment():
    seen = 0
    for doc in ("docs/scheduled-tasks.md", "docs/notifications.md", "docs/operations.md"):
        for line in (ROOT / doc).read_text().splitlines():
            if re.match(r"^([0-9*/,-]+ ){5}\s*.*flask", line):  # a crontab line
                assert ". /etc/civic/civic.env" in line, f"{doc}: {line}"
                seen += 1
    assert seen >= 3
