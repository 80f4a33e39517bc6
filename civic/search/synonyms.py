"""Synonyms applied at query time, the same on every backend: "bicycle storage" finds the "bike" proposals.

A group of words searched as one, one group per line of a text file (``civic/data/search-synonyms.txt`` is the
built-in list; ``instance/search-synonyms.txt`` or ``CIVIC_SEARCH_SYNONYMS`` replaces it). Words are matched
through the same analysis as the index (folded and stemmed), so a group works for every form of its words. A
query word with synonyms is searched as "this word OR any of its synonyms", inside phrases too; nothing is
reindexed when the list changes. Entries of more than one word ("play area") are ignored: only single words
can stand for one another (docs/search.md).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from civic.search.analysis import terms

log = logging.getLogger("civic.search")

BUILT_IN = Path(__file__).resolve().parent.parent / "data" / "search-synonyms.txt"  # (package data)
#: The file is looked at again (its modification time) at most this often.
CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Synonyms:
    """stem -> the other stems of its group; ``version`` tells one list from another (parse caches)."""

    groups: dict[str, frozenset[str]] = field(default_factory=dict, hash=False, compare=False)
    version: str = "none"
    #: stem -> the word as the list writes it (to tell a person what else was searched).
    words: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def of(self, stem: str) -> frozenset[str]:
        return self.groups.get(stem, frozenset())

    def also_searched(self, text: str) -> list[str]:
        """The list's words searched besides those of ``text`` (for the page: "Also searched for ...")."""
        typed = set(terms(text))
        return sorted({self.words.get(o, o) for t in typed for o in self.of(t)} - {self.words.get(t, t)
                                                                                 for t in typed})


NONE = Synonyms()


def parse(text: str, version: str = "") -> Synonyms:
    """The groups of a synonyms file's text (words analysed like the index's)."""
    groups: dict[str, set[str]] = {}
    words: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        stems = set()
        for entry in line.split(","):
            found = terms(entry)
            if len(found) == 1:
                stems.add(found[0])
                words.setdefault(found[0], entry.strip().lower())
        if len(stems) < 2:
            continue
        for stem in stems:  # a word in two groups has the synonyms of both
            groups.setdefault(stem, set()).update(stems - {stem})
    return Synonyms({k: frozenset(v) for k, v in groups.items()}, version or str(hash(text)), words)


def path() -> Path:
    """The file in use: the setting, else the instance folder's file when it exists, else the built-in list."""
    configured = current_app.config.get("SEARCH_SYNONYMS")
    if configured:
        return Path(configured)
    local = Path(current_app.instance_path) / "search-synonyms.txt"
    return local if local.exists() else BUILT_IN


_cache: dict[str, tuple[float, float, Synonyms]] = {}  # path -> (next check, mtime, synonyms)
_lock = threading.Lock()


def current() -> Synonyms:
    """The synonyms of the app's file, read again when it changed (checked at most every CHECK_SECONDS)."""
    where = path()
    key = str(where)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[2]
    try:
        mtime = os.stat(where).st_mtime_ns
    except OSError:
        log.warning("search: the synonyms file %s cannot be read; searching without synonyms", where)
        return NONE
    if cached is not None and cached[1] == mtime:
        with _lock:
            _cache[key] = (now + CHECK_SECONDS, mtime, cached[2])
        return cached[2]
    try:
        found = parse(where.read_text(encoding="utf-8"), f"{key}@{mtime}")
    except (OSError, UnicodeDecodeError):
        log.warning("search: the synonyms file %s cannot be read; searching without synonyms", where)
        return NONE
    with _lock:
        _cache[key] = (now + CHECK_SECONDS, mtime, found)
    return found
