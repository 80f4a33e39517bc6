"""Similar proposals: published proposals of the same process most like a given one, by their words.

A small text-similarity engine (Jaccard on title and body words, stop words removed, plain plurals folded) with
a per-worker cache for published proposals. The proposal page shows them, and the draft preview shows them
before publishing, so authors see what is proposed already.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, func, or_, select

from civic.db import db
from proposals.models import Proposal

_STOP_WORDS = """
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers him his how i if in into is it its itself just let me more most my no nor not now of off on
once only or other our ours out over own please propose proposal proposals same she should so some such
than that the their theirs them then there these they this those through to too under until up upon us very
was we were what when where which while who whom why will with would you your yours
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
SIMILAR_LIMIT = 5
SIMILAR_THRESHOLD = 0.12
#: At most this many candidates (those sharing most words of the title) are scored, on the start of their
#: body, so the page stays fast with 20,000 proposals in a process (scoring one takes ~50 µs).
SIMILAR_CANDIDATES = 200
SIMILAR_BODY_CHARS = 600
_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> set[str]:
    """Lower-cased words minus stop words and very short words, with a plain plural folded (trees -> tree)."""
    out = set()
    for word in _WORD.findall((text or "").lower()):
        if len(word) < 3 or word in STOP_WORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.add(word)
    return out


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass
class SimilarProposal:
    id: int
    title: str
    supports_count: int
    answer_state: str
    score: float


def similar(proposal: Proposal, limit: int = SIMILAR_LIMIT, threshold: float = SIMILAR_THRESHOLD
            ) -> list[SimilarProposal]:
    """Published proposals of the same process most like this one (Jaccard on title and body words).

    One query: the candidates are the process's visible published proposals sharing a word of this one's
    title (at most ``SIMILAR_CANDIDATES``, those sharing most words first); each is scored on its title and
    the start of its body.
    """
    mine = tokens(f"{proposal.title} {proposal.body}")
    keys = sorted(tokens(proposal.title), key=lambda w: (-len(w), w))[:8]
    if not mine or not keys:
        return []
    title = func.lower(Proposal.title)
    hits = [title.contains(k, autoescape=True) for k in keys]
    shared = sum((case((hit, 1), else_=0) for hit in hits[1:]), case((hits[0], 1), else_=0))
    rows = db.session.execute(
        select(Proposal.id, Proposal.title, func.substr(Proposal.body, 1, SIMILAR_BODY_CHARS),
               Proposal.supports_count, Proposal.answer_state)
        .where(Proposal.process_id == proposal.process_id, Proposal.id != proposal.id,
               Proposal.state == "published", Proposal.hidden_at.is_(None), or_(*hits))
        .order_by(shared.desc(), Proposal.published_at.desc(), Proposal.id.desc())
        .limit(SIMILAR_CANDIDATES)).all()
    scored = []
    for pid, ptitle, pbody, supports, answer in rows:
        score = jaccard(mine, tokens(f"{ptitle} {pbody}"))
        if score >= threshold:
            scored.append(SimilarProposal(pid, ptitle, supports, answer, round(score, 3)))
    scored.sort(key=lambda s: (-s.score, -s.supports_count, s.id))
    return scored[:limit]


#: Similar proposals of a published proposal, kept per worker for a few minutes: the scoring is the
#: costly part of the proposal page, and what is similar changes slowly. Draft previews are never cached.
#: ``CIVIC_SIMILAR_CACHE_SECONDS`` (app config ``SIMILAR_CACHE_SECONDS``), 300 by default; 0 turns it off.
_similar_cache: dict[int, tuple[float, list[SimilarProposal]]] = {}


def similar_cached(proposal: Proposal) -> list[SimilarProposal]:
    ttl = current_app.config.get("SIMILAR_CACHE_SECONDS", 300)
    if not ttl:
        return similar(proposal)
    now = time.monotonic()
    hit = _similar_cache.get(proposal.id)
    if hit is not None and hit[0] > now:
        # The scores may be a few minutes old, but what is shown must not be: drop anything hidden or
        # withdrawn since (one small query on primary keys).
        ids = [s.id for s in hit[1]]
        if not ids:
            return []
        still = set(db.session.scalars(select(Proposal.id).where(
            Proposal.id.in_(ids), Proposal.state == "published", Proposal.hidden_at.is_(None))))
        return [s for s in hit[1] if s.id in still]
    if len(_similar_cache) > 4096:
        _similar_cache.clear()
    found = similar(proposal)
    _similar_cache[proposal.id] = (now + ttl, found)
    return found
