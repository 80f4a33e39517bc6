"""Any query string gives a page of results or a clear message, never an error: the corpus in
fuzz_queries.txt (quotes, brackets, operators, wildcards, field:value, injections, scripts, every kind of
Unicode) plus a 10,000-character string and every control character, on the page and on the JSON endpoint."""

from __future__ import annotations

import codecs
from pathlib import Path
from urllib.parse import quote

import pytest

from civic.db import db
from civic.groups.models import Group

CORPUS = Path(__file__).with_name("fuzz_queries.txt")


def corpus() -> list[str]:
    lines = [codecs.decode(line, "unicode_escape") for line in CORPUS.read_text(encoding="ascii").splitlines()
             if line and not line.startswith("#")]
    lines.append("cycle " * 1667)  # 10,002 characters
    lines.append("x" * 10_000)
    lines.append('"' * 5000 + "(" * 5000)
    lines.append(" ".join(f"word{i}" for i in range(1500)))
    lines.append(" OR ".join(f"w{i}*" for i in range(500)))
    lines.append("".join(chr(c) for c in range(32)) + "damp")
    lines += [chr(c) for c in range(32)] + ["\x7f"]
    return lines


QUERIES = corpus()


@pytest.fixture
def some_content(make_user, search_index):
    owner = make_user("resident")
    db.session.add_all([Group(slug="damp-busters", name="Damp busters", description="Damp and mould.",
                              created_by_id=owner.id),
                        Group(slug="cycle-club", name="Cycle club", description="Cycle lanes for all.",
                              created_by_id=owner.id)])
    db.session.commit()
    from civic.search import services

    services.drain()


def test_the_corpus_is_long_and_varied():
    assert len(QUERIES) > 150
    assert any(len(q) >= 10_000 for q in QUERIES)
    assert {chr(c) for c in range(32)} <= {q for q in QUERIES}


@pytest.mark.parametrize("q", QUERIES, ids=[f"q{i}" for i in range(len(QUERIES))])
def test_every_query_gives_results_or_a_message(client, some_content, q):
    page = client.get(f"/search?q={quote(q, safe='')}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="search-results"' in html or 'class="notice"' in html

    data = client.get(f"/api/v1/search?q={quote(q, safe='')}")
    assert data.status_code == 200
    body = data.get_json()
    assert body["results"] or body["messages"]
    assert len(body["query"]) <= 200
    assert not any(0 <= ord(c) < 32 and c not in "\t\n\r" for c in body["query"])
