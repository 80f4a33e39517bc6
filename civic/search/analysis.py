"""The text analysis shared by indexing, query parsing and highlighting: words, folded to lower case without
accents, common English words dropped, each word stemmed (Snowball English, "Porter2"), so "Cycling" and
"cycles" meet at "cycl".

One fused tokenizer instead of Whoosh's chain of filters: indexing spends most of its time here, and a
single pass with a stem cache is about twice as fast as the generic chain. A document's title and body are
indexed as one field: the title's words carry a higher weight (``TITLE_BOOST``), so one posting list per word
serves both, which halves the work of every query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import STOP_WORDS, Token, Tokenizer
from whoosh.lang.porter2 import stem as snowball_stem

#: Words: letters and digits (any script); an apostrophe inside a word ends it ("Queen's" -> "queen").
WORD_RE = re.compile(r"\w+", re.UNICODE)
TITLE_BOOST = 3.0
#: Positions left empty between the title and the body, so a phrase never spans the two.
TITLE_GAP = 100
MIN_LENGTH = 2
MAX_LENGTH = 40
STOP = frozenset(STOP_WORDS) | {"i", "me", "my", "our", "near", "please", "there", "their", "they", "what",
                                 "which", "who", "how", "about", "so", "do", "does"}
#: Between a title and a body in the indexed text (control characters are removed from what people write).
SEPARATOR = "\x1f"
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str | None) -> str:
    """What people wrote, without control characters (which never mean anything in a search)."""
    return CONTROL_RE.sub(" ", text or "")


_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP_RE = re.compile(r"[*_`~]+|^\s*(?:#+|>+|[-+]|\d+\.)\s+", re.MULTILINE)


def plain(markdown: str | None) -> str:
    """Markdown as plain words, for indexing and snippets: ``[text](url)`` keeps its text, emphasis, headings,
    quotes, list marks and code marks go. Cheap (no rendering): a reindex reads every text."""
    text = _LINK_RE.sub(r"\1", markdown or "")
    return " ".join(_MARKUP_RE.sub(" ", text).split())


def joined(title: str | None, body: str | None) -> str:
    """The value of the indexed text field: the title, then the body."""
    return f"{clean(title)}{SEPARATOR}{clean(body)}"


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case without accents ("Café" -> "cafe"); words without accents are returned as they are."""
    word = word.lower()
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of a folded word (digits and non-Latin words are kept as they are)."""
    if not word.isascii() or not word.isalpha():
        return word
    return snowball_stem(word)


def terms(text: str) -> list[str]:
    """The index terms of a text, in order (for tests and for the query side)."""
    return [t.text for t in ANALYZER(text)]


class CivicAnalyzer(Tokenizer):
    """Tokenizes a string; in ``joined(title, body)`` the title's words weigh ``TITLE_BOOST``."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CivicAnalyzer)

    def __hash__(self) -> int:
        return hash(CivicAnalyzer)

    def __call__(self, value, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        value = value or ""
        if SEPARATOR in value:
            title, body = value.split(SEPARATOR, 1)
            parts = ((title, TITLE_BOOST, 0), (body, 1.0, len(title) + 1))
        else:
            parts = ((value, 1.0, 0),)
        pos = start_pos
        for text, boost, offset in parts:
            if offset:
                pos += TITLE_GAP
            for match in WORD_RE.finditer(text):
                word = fold(match.group())
                stopped = len(word) < MIN_LENGTH or len(word) > MAX_LENGTH or word in STOP
                if stopped and removestops:
                    continue
                token.stopped = stopped
                token.text = word if stopped else stem(word)
                if keeporiginal:
                    token.original = match.group()
                token.boost = boost
                token.pos = pos
                token.startchar = start_char + offset + match.start()
                token.endchar = start_char + offset + match.end()
                pos += 1
                yield token


ANALYZER = CivicAnalyzer()


def index_words(value: str) -> dict[str, list]:
    """What ``CivicAnalyzer`` gives for indexing (same words, boosts and positions), without making a token
    per word: stem -> [weight, [positions]]. The reindex spends much of its time here."""
    if SEPARATOR in value:
        title, body = value.split(SEPARATOR, 1)
        parts: tuple[tuple[str, float], ...] = ((title, TITLE_BOOST), (body, 1.0))
    else:
        parts = ((value, 1.0),)
    words: dict[str, list] = {}
    pos = 0
    for i, (text, boost) in enumerate(parts):
        if i:
            pos += TITLE_GAP
        for raw in WORD_RE.findall(text):
            word = fold(raw)
            if len(word) < MIN_LENGTH or len(word) > MAX_LENGTH or word in STOP:
                continue
            entry = words.get(stemmed := stem(word))
            if entry is None:
                words[stemmed] = [boost, [pos]]
            else:
                entry[0] += boost
                entry[1].append(pos)
            pos += 1
    return words


#: PostgreSQL keeps positions 1 to 16,383 and at most 256 positions per word of a ``tsvector``.
PG_MAX_POSITION = 16383
PG_MAX_POSITIONS = 256


def tsvector(title: str, body: str) -> str:
    """The words of a title (weight ``A``) and a body (``B``) as a PostgreSQL ``tsvector`` literal: the same
    stems and positions as :func:`index_words` (title, a gap of ``TITLE_GAP``, body), so phrases and stemming
    behave alike on both backends. Positions start at 1."""
    words: dict[str, list[str]] = {}
    pos = 1
    for i, (text, label) in enumerate(((clean(title), "A"), (clean(body), "B"))):
        if i:
            pos += TITLE_GAP
        for raw in WORD_RE.findall(text):
            word = fold(raw)
            if len(word) < MIN_LENGTH or len(word) > MAX_LENGTH or word in STOP:
                continue
            found = words.setdefault(stem(word), [])
            if len(found) < PG_MAX_POSITIONS:
                found.append(f"{min(pos, PG_MAX_POSITION)}{label}")
            pos += 1
    return " ".join(f"{lexeme(w)}:{','.join(p)}" for w, p in words.items())


def lexeme(word: str) -> str:
    """A word quoted for a ``tsvector`` or ``tsquery`` literal."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
