"""The vocabulary of "Did you mean ...?" (``Backend.known_terms``) on both backends: only documents the person's
audiences may see. (What residents see is in tests/proposals/test_search_suggestions.py.)"""

from __future__ import annotations

from civic.search.backend import IndexedDocument, Query
from civic.search.registry import PUBLIC
from civic.search.suggest import suggestion


def test_a_restricted_documents_words_are_only_its_audiences(search_index):
    with search_index.writer(wait=5.0) as writer:
        writer.index([
            IndexedDocument(key="group:1", type="group", title="Velodrome friends", body="Track racing."),
            IndexedDocument(key="group:2", type="group", title="Tandem circle", body="Private plans.",
                            audience="group:2"),
        ])
        writer.commit()
    public = frozenset({PUBLIC})
    members = frozenset({PUBLIC, "group:2"})
    assert search_index.known_terms(["velodrom", "tandem", "nothing"], public) == {"velodrom": 1}
    assert search_index.known_terms(["velodrom", "tandem"], members) == {"velodrom": 1, "tandem": 1}
    assert suggestion("velodrme", Query(text="velodrme"), search_index) == "velodrome"
    assert suggestion("tandme", Query(text="tandme"), search_index) is None
    assert suggestion("tandme", Query(text="tandme", audiences=members), search_index) == "tandem"
