"""Item 12: the lock files pin every dependency setup.cfg names, each with hashes, and make installs from them."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def declared(extra: str | None = None) -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    raw = cfg["options.extras_require"][extra] if extra else cfg["options"]["install_requires"]
    lines = [line.strip() for line in raw.splitlines() if line.strip() and not line.strip().startswith("#")]
    return {canonicalize_name(Requirement(line).name) for line in lines}


def pinned(lock: str) -> dict[str, list[str]]:
    """{package: its hashes} from a lock file."""
    found: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / lock).read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_.-]+)==\S+", line):
            current = canonicalize_name(match.group(1))
            found[current] = []
        elif current and (digest := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            found[current].append(digest.group(1))
    return found


@pytest.mark.parametrize(("lock", "extra"), [("requirements.lock", None), ("requirements-test.lock", "test")])
def test_every_dependency_is_pinned_with_hashes(lock, extra):
    packages = pinned(lock)
    wanted = declared() | (declared(extra) if extra else set())
    missing = sorted(wanted - set(packages))
    assert not missing, f"{lock} lacks {', '.join(missing)}: run make lock"
    assert all(packages.values()), [name for name, hashes in packages.items() if not hashes]


def test_make_installs_from_the_locks_with_hashes_required():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install -q --require-hashes -r requirements.lock" in makefile
    assert "pip install -q --require-hashes -r requirements-test.lock" in makefile
    assert not re.search(r"file://|--find-links|--extra-index-url", (ROOT / "requirements-test.lock").read_text())
