"""Ideas in the platform's search: visible ones, with their process as parent."""

from __future__ import annotations

from civic import search
from tests.support.ideas.models import Idea


def _document(idea: Idea) -> search.Document | None:
    if idea.hidden_at is not None:
        return None
    return search.Document(title=idea.title, body=search.plain(idea.body), date=idea.created_at,
                           parent=f"process:{idea.process_id}")


IDEAS = search.SearchType(name="idea", label="Idea", plural="Ideas", model=Idea, to_document=_document,
                          indexed_columns=frozenset({"title", "body", "hidden_at"}), position=95)
