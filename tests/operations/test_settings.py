"""Item 1: a production start refuses wrong settings, one plain sentence per problem and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from civic import config
from civic.app import create_app

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "CIVIC_DATABASE_URL": "postgresql://civic@127.0.0.1:1/civic",
    "CIVIC_SECRET_KEY": "k" * 48,
    "CIVIC_BASE_URL": "https://civic.example.org",
    "CIVIC_URL_SCHEME": "https",
    "CIVIC_TRUSTED_HOSTS": "civic.example.org",
    "CIVIC_SMTP_HOST": "mail.example.org",
    "CIVIC_REGISTER_PEPPER": "p" * 48,
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A clean CIVIC_* environment with every production setting right; tests spoil one at a time."""
    for name in list(os.environ):
        if name.startswith("CIVIC_") or name == "FLASK_DEBUG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("CIVIC_INSTANCE_PATH", str(tmp_path))
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def found() -> list[str]:
    return config.problems(config.from_environment())


def test_a_complete_production_environment_has_no_problem(environment):
    assert found() == []
    assert config.is_production(config.from_environment())


@pytest.mark.parametrize(("name", "value", "sentence"), [
    ("CIVIC_SECRET_KEY", None, "Set CIVIC_SECRET_KEY"),
    ("CIVIC_SECRET_KEY", "short", "CIVIC_SECRET_KEY is too short"),
    ("CIVIC_BASE_URL", None, "Set CIVIC_BASE_URL"),
    ("CIVIC_BASE_URL", "http://civic.example.org", "must start with https://"),
    ("CIVIC_TRUSTED_HOSTS", None, "Set CIVIC_TRUSTED_HOSTS"),
    ("CIVIC_SMTP_HOST", None, "or CIVIC_NO_MAIL=1"),
    ("CIVIC_REGISTER_PEPPER", None, "Set CIVIC_REGISTER_PEPPER"),
    ("CIVIC_REGISTER_PEPPER", "k" * 48, "must differ from CIVIC_SECRET_KEY"),
    ("CIVIC_URL_SCHEME", "HTTPS", "CIVIC_URL_SCHEME must be http or https"),
    ("CIVIC_URL_SCHEME", "htps", "CIVIC_URL_SCHEME must be http or https"),
    ("CIVIC_DATABASE_URL", "postgres://civic@127.0.0.1/civic", "write postgresql://"),
    ("CIVIC_SMTP_PORT", "twentyfive", "CIVIC_SMTP_PORT must be a whole number"),
    ("CIVIC_BEHIND_PROXY", "perhaps", "CIVIC_BEHIND_PROXY must be on or off"),
    ("CIVIC_JOB_RETRY_DELAYS", "soon", "CIVIC_JOB_RETRY_DELAYS must be seconds"),
    ("CIVIC_LOG_FORMAT", "xml", "CIVIC_LOG_FORMAT must be plain or json"),
])
def test_each_problem_is_one_sentence(environment, name, value, sentence):
    if value is None:
        environment.delenv(name)
    else:
        environment.setenv(name, value)
    problems = found()
    assert len([p for p in problems if sentence in p]) == 1, problems
    assert all("\n" not in p and p.endswith(".") for p in problems)


def test_no_mail_said_out_loud_is_accepted(environment):
    environment.delenv("CIVIC_SMTP_HOST")
    environment.setenv("CIVIC_NO_MAIL", "1")
    assert found() == []


def test_a_wrong_job_queue_is_refused_at_start(environment):
    environment.setenv("CIVIC_JOB_QUEUE", "celery")
    with pytest.raises(config.ConfigurationError, match="CIVIC_JOB_QUEUE must be one of"):
        create_app()


def test_every_problem_is_listed_at_once(environment):
    for name in ("CIVIC_SECRET_KEY", "CIVIC_TRUSTED_HOSTS", "CIVIC_SMTP_HOST"):
        environment.delenv(name)
    with pytest.raises(config.ConfigurationError) as refused:
        create_app()
    assert len(str(refused.value).splitlines()) == 3


def test_the_embedded_mode_needs_none_of_it(environment):
    for name in GOOD:
        environment.delenv(name)
    settings = config.from_environment()
    assert not config.is_production(settings) and config.problems(settings) == []
    environment.setenv("CIVIC_PRODUCTION", "1")  # production on SQLite, said out loud: the same rules
    assert any("CIVIC_SECRET_KEY" in p for p in found())


def test_the_cookie_is_secure_whenever_the_site_is_https(environment):
    environment.delenv("CIVIC_URL_SCHEME")
    assert config.from_environment()["SESSION_COOKIE_SECURE"]


def test_gunicorn_refuses_to_start_with_sentences_and_no_traceback(environment, tmp_path):
    env = {k: v for k, v in os.environ.items()}
    env.update({"CIVIC_SMTP_PORT": "twentyfive", "CIVIC_URL_SCHEME": "htps"})
    del env["CIVIC_TRUSTED_HOSTS"]
    done = subprocess.run([str(Path(sys.executable).parent / "gunicorn"), "--bind", "127.0.0.1:0", "wsgi:app"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "Civic cannot start:" in done.stderr
    assert "CIVIC_SMTP_PORT must be a whole number, like 25, not 'twentyfive'." in done.stderr
    assert "CIVIC_URL_SCHEME must be http or https" in done.stderr
    assert "Set CIVIC_TRUSTED_HOSTS" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_flask_command_says_the_same_without_a_traceback(environment):
    environment.delenv("CIVIC_SECRET_KEY")
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "civic", "check"],
                          cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Set CIVIC_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr
