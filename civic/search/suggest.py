""""Did you mean ...?": a near-miss spelling replaced by the closest word of the index's own terms.

Asked only when a search found nothing, or nothing with all of its words. A word of the query is *unknown*
when neither its stem nor a synonym's is in a document the person may see (``Backend.known_terms``: live
documents only, never a removed one's leftover terms). For each unknown word, every spelling one edit away
(a letter left out, added, changed, or two neighbouring letters swapped: "bicylce" -> "bicycle") is stemmed
like the index, and the stems the index holds are the candidates; the one in most documents wins. The
suggestion is the query with those words replaced by the spelling that led to the winning stem, so the link
runs a query that finds something. Words with wildcards, operators, numbers and stop words are left alone.

The index holds only what may be found (a hidden or unpublished thing has no document, and a document only
some people may see is left out of others' vocabulary), so a suggestion never reveals other text.
"""

from __future__ import annotations

import re
import string

from whoosh.lang.porter2 import stem as snowball_stem

from civic.search import analysis
from civic.search.backend import Backend, Query

#: A word as typed, wildcards included (a word with ``*`` or ``?`` is not corrected).
_TOKEN_RE = re.compile(r"[\w*?]+", re.UNICODE)
OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})
#: Words shorter than this are not corrected (one edit away from too much).
MIN_WORD = 4
#: At most this many words of one query are corrected.
MAX_WORDS = 4


def edits(word: str) -> set[str]:
    """Every spelling one edit away: a letter deleted, swapped with the next, replaced or inserted."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in string.ascii_lowercase}
    found |= {a + c + b for a, b in splits for c in string.ascii_lowercase}
    found.discard(word)
    return found


def _stem(word: str) -> str:
    # Not analysis.stem: its cache is for the index's words, not hundreds of misspellings per query.
    return snowball_stem(word)


def suggestion(text: str, query: Query, backend: Backend) -> str | None:
    """``text`` with its unknown words replaced by the closest known ones, or None when there is none."""
    words: list[tuple[re.Match[str], str, str]] = []
    for match in _TOKEN_RE.finditer(text):
        raw = match.group()
        if raw in OPERATORS or "*" in raw or "?" in raw:
            continue
        word = analysis.fold(raw)
        if not (word.isascii() and word.isalpha()) or len(word) < MIN_WORD or word in analysis.STOP:
            continue
        words.append((match, word, analysis.stem(word)))
    if not words:
        return None
    related = {s: {s} | set(query.synonyms.of(s)) for _m, _w, s in words}
    known = backend.known_terms(set().union(*related.values()), query.audiences)
    unknown = [(m, w) for m, w, s in words if not related[s] & known.keys()][:MAX_WORDS]
    if not unknown:
        return None
    options: list[dict[str, list[str]]] = []
    for _m, word in unknown:
        by_stem: dict[str, list[str]] = {}
        for spelling in edits(word):
            if len(spelling) >= analysis.MIN_LENGTH and spelling not in analysis.STOP:
                by_stem.setdefault(_stem(spelling), []).append(spelling)
        options.append(by_stem)
    counts = backend.known_terms(set().union(*options), query.audiences)
    replaced: list[tuple[int, int, str]] = []
    for (match, word), by_stem in zip(unknown, options, strict=True):
        found = [s for s in by_stem if s in counts]
        if not found:
            continue
        best = max(found, key=lambda s: (counts[s], s))
        # Of the spellings that lead there: a swap or a change rather than a letter more or less ("tandme":
        # "tandem", not "tandeme"), then not the bare stem ("bicycle", not "bicycl").
        spelling = min(by_stem[best], key=lambda w: (len(w) != len(word), w == best, w))
        if match.group()[:1].isupper():
            spelling = spelling.capitalize()
        replaced.append((match.start(), match.end(), spelling))
    if not replaced:
        return None
    for start, end, spelling in reversed(replaced):
        text = text[:start] + spelling + text[end:]
    return text
