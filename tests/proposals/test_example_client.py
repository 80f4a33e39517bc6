"""Issue #13, "Done when": a script written from docs/api.md alone (docs/examples/list_proposals.py, standard
library only) lists every proposal of a process with its supports against a real server (gunicorn), following
``next`` while comments are being added, with no repeats or gaps; and posts a comment twice with one
Idempotency-Key, which makes one comment."""

from __future__ import annotations

import ast
import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.server import live_server

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "list_proposals.py"
PROPOSALS = 42

SETUP = f"""
from civic.accounts import roles
from civic.accounts.api_tokens import create_token
from civic.db import db
from tests import factories
from tests.proposals import factories as proposals

process = proposals.process(phases=[factories.open_phase()])
author, *people = factories.people(5, prefix="commenter", roles=[roles.VERIFIED])
made = [proposals.proposal(process, author, title=f"Idea {{n}} for the ward", supports_count=(n * 7) % 11,
                           commit=False) for n in range({PROPOSALS})]
tokens = [create_token(person, "example", None, recently_signed_in=True)[1] for person in people]
db.session.commit()
print(json.dumps({{"slug": process.slug, "proposals": [p.id for p in made], "tokens": tokens}}))
"""


def run(site, *args: str, token: str | None = None) -> subprocess.Popen:
    env = {"PATH": "/usr/bin:/bin", **({"CIVIC_TOKEN": token} if token else {})}
    return subprocess.Popen([sys.executable, str(SCRIPT), site.url, site.made["slug"], "--json", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def lines(process: subprocess.Popen) -> list[dict]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_the_script_uses_the_standard_library_only():
    tree = ast.parse(SCRIPT.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names), imported


def test_the_example_lists_every_proposal_once_while_comments_arrive_and_comments_once(tmp_path):
    with live_server(tmp_path, setup=SETUP) as site:
        ids, tokens = site.made["proposals"], site.made["tokens"]
        listing = run(site, "--per-page", "4", "--pause", "0.15")  # 11 pages, about two seconds
        chooser = random.Random(13)
        added = 0
        while listing.poll() is None and added < 120:  # comments arrive, all over the list, while it pages
            target = chooser.choice(ids)
            answer = requests.post(f"{site.url}/api/v1/proposals/{target}/comments", timeout=30,
                                   headers={"Authorization": f"Bearer {tokens[added % 3]}"},
                                   json={"body": f"Comment {added} while the script pages."})
            assert answer.status_code == 201, answer.text
            added += 1
            time.sleep(0.02)
        listed = lines(listing)
        commenting = run(site, "--per-page", "100", "--comment-on", str(ids[5]), "--body", "Safely, once.",
                         token=tokens[3])
        second = lines(commenting)
    assert added >= 5, "the comments did not arrive while the script was paging"
    listed_ids = [p["id"] for p in listed]
    assert listed_ids == sorted(ids)  # every proposal, each once, in id order: no repeats, no gaps
    con = sqlite3.connect(site.database)
    try:
        supports = dict(con.execute("SELECT id, supports_count FROM proposals").fetchall())
        once = con.execute("SELECT count(*) FROM comments WHERE body = 'Safely, once.'").fetchone()[0]
        total = con.execute("SELECT count(*) FROM comments").fetchone()[0]
    finally:
        con.close()
    assert {p["id"]: p["supports_count"] for p in listed} == supports
    commented = second[-1]["commented"]
    assert commented["statuses"] == [201, 201] and commented["replayed"] is True
    assert commented["comment"] == commented["again"] and commented["url"].endswith(f"#comment-{commented['comment']}")
    assert once == 1 and total == added + 1
