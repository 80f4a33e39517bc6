"""The Whoosh backend: one index on local disk, under ``CIVIC_SEARCH_DIR`` (default ``instance/search``).

Layout of the directory::

    CURRENT           "<format> <name>": the live index, replaced in one rename by a rebuild
    index-<time>-<x>  the indexes (the live one, and the one before it for readers still on it)
    writer.lock       the single writer (flock): queue drains and rebuilds take it, never wait for it long

Every process and thread searches the index named in ``CURRENT`` with a searcher of its own, refreshed when
the index changed. Only the holder of ``writer.lock`` changes the index; Whoosh's own lock inside the index
is then never contended. ``flock`` locks belong to an open file, so threads of one process exclude each
other too, and a crashed process leaves no stale lock behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import pickle
import re
import secrets
import shutil
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import accumulate, islice, product
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from whoosh import fields, formats, index, qparser, scoring, writing
from whoosh import query as wq
from whoosh.analysis import IDTokenizer
from whoosh.codec import whoosh3
from whoosh.index import LockError
from whoosh.system import pack_uint

from civic.search.analysis import (
    ANALYZER,
    MAX_LENGTH,
    MIN_LENGTH,
    SEPARATOR,
    STOP,
    WORD_RE,
    fold,
    index_words,
    joined,
    stem,
)
from civic.search.backend import KNOWN_LIMIT, Hit, IndexedDocument, Query, Results
from civic.search.registry import PERIOD_STATES, PUBLIC, WHOLE_CITY
from civic.search.sets import Evaluation, SearcherState, Unsupported
from civic.search.synonyms import NONE, Synonyms

log = logging.getLogger("civic.search")


def _cache_missing_columns() -> None:
    """Whoosh asks, for every posting it writes, for the document's field length; for a field that keeps no
    lengths (all of ours) it looks for the column file on disk each time: a ``stat`` per posting, a third of
    the indexing time. Remember that the file is missing, as it remembers one that exists (a segment's
    files never change)."""
    original = whoosh3.W3PerDocReader._cached_reader
    if getattr(original, "civic_patched", False):
        return

    def cached_reader(self, fieldname, column):
        if fieldname not in self._readers:
            self._readers[fieldname] = original(self, fieldname, column)
        return self._readers[fieldname]

    cached_reader.civic_patched = True  # type: ignore[attr-defined]
    whoosh3.W3PerDocReader._cached_reader = cached_reader


_cache_missing_columns()


def _packed_blocks() -> None:
    """Whoosh pickles a posting block's ids and weights as tuples of Python numbers: reading a block of 128
    postings makes some 400 objects, most of a search's time. Write them as the bytes of an ``array`` instead
    (unsigned 32-bit id deltas, 32-bit float weights; native byte order: the index lives on this machine), and
    read either kind back: a block then loads several times faster, and is written faster. An index written
    this way needs this patch to be read (hence ``FORMAT``)."""
    writer, reader = whoosh3.W3PostingsWriter, whoosh3.W3LeafMatcher
    if getattr(writer._mini_ids, "civic_patched", False):
        return
    original_ids, original_weights = writer._mini_ids, writer._mini_weights
    original_read_ids, original_read_weights = reader._read_ids, reader._read_weights

    def mini_ids(self):
        if self._byteids:
            return original_ids(self)
        ids = self._ids
        return array("I", [ids[0], *(b - a for a, b in zip(ids, ids[1:], strict=False))]).tobytes()

    def mini_weights(self):
        found = original_weights(self)
        return array("f", found).tobytes() if isinstance(found, tuple) else found

    def read_ids(self):
        if self._data is None:
            self._read_data()
        if isinstance(self._data[0], bytes) and not self._byteids:
            self._ids = tuple(accumulate(array("I", self._data[0])))
        else:
            original_read_ids(self)

    def read_weights(self):
        if self._data is None:
            self._read_data()
        if isinstance(self._data[1], bytes):
            self._weights = array("f", self._data[1])
        else:
            original_read_weights(self)

    def add_posting(self, id_, weight, vbytes, length=None):
        """``W3PostingsWriter.add_posting`` without its type assertions (a third of the time of writing)."""
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    mini_ids.civic_patched = True  # type: ignore[attr-defined]
    writer._mini_ids, writer._mini_weights, writer.add_posting = mini_ids, mini_weights, add_posting
    reader._read_ids, reader._read_weights = read_ids, read_weights
    original_length = whoosh3.W3PerDocReader.doc_field_length

    def doc_field_length(self, docnum, fieldname, default=0):
        """Asked for every posting written; none of our fields keeps lengths: answer at once for those."""
        if self._readers.get(whoosh3._lenfield(fieldname), True) is None:  # known to have no lengths column
            return default
        return original_length(self, docnum, fieldname, default)

    whoosh3.W3PerDocReader.doc_field_length = doc_field_length

    def dumps(obj, protocol=2):
        """Whoosh pickles posting blocks with protocol 2, which has no opcode for bytes: each posting's
        positions is then rebuilt through ``_codecs.encode`` when read (a tenth of a millisecond per block).
        The newest protocol stores bytes as they are; ``pickle.loads`` reads either."""
        return pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)

    whoosh3.dumps = dumps

    def pool_add(self, item):
        """``PostingPool.add`` without its assertions, the same size estimate (150 bytes + the strings)."""
        self.fieldnames.add(item[0])
        self.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    writing.PostingPool.add = pool_add


_packed_blocks()


#: A rebuild writes posting blocks of 256 postings (Whoosh's default: 128), compressed by zlib at level 1
#: (default 3): fewer, cheaper blocks to write, and to read whole (:mod:`civic.search.sets`). (Whoosh's
#: ``inlinelimit`` above 1 fails: ``W3TermInfo.set_inline`` does not exist.)
REBUILD_CODEC = whoosh3.W3Codec(blocklimit=256, compression=1)
#: Bump when the schema or the analysis changes: an index of another format is not used (reindex).
FORMAT = "civic-2"
UK = ZoneInfo("Europe/London")
CURRENT = "CURRENT"
LOCK = "writer.lock"
CREATE_LOCK = "create.lock"
#: Wildcards need this many letters before the first ``*`` or ``?`` (fewer would expand to half the index).
MIN_PREFIX = 3
#: At most this many words of a query are used.
MAX_WORDS = 32
#: A phrase whose words have synonyms is searched in at most this many wordings.
MAX_PHRASE_VARIANTS = 16


class _Text(fields.TEXT):
    """Title and body in one field, with positions (phrases) and without stored lengths: the scoring
    below does not use them, and not writing them saves a fifth of the indexing time."""

    def __init__(self) -> None:
        super().__init__(analyzer=ANALYZER, phrase=True)
        self.scorable = False

    def index(self, value, **kwargs):
        """(word bytes, frequency, weight, positions) per word, as ``Positions.word_values`` makes them from
        the analyzer's tokens (a test checks they are the same), in one pass without tokens."""
        if kwargs or not isinstance(value, str) or type(self.format) is not formats.Positions:
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        for word, (weight, positions) in index_words(value).items():
            deltas = [positions[0], *(b - a for a, b in zip(positions, positions[1:], strict=False))]
            yield (word.encode("utf-8"), len(positions), weight * boost,
                   pack_uint(len(deltas)) + pickle.dumps(deltas, 2))


class _ID(fields.ID):
    """A whole value as one term: what Whoosh's ``IDTokenizer`` and ``Existence`` format make of a string, without
    going through them (six of these per document in a reindex; a test checks they are the same)."""

    def index(self, value, **kwargs):
        if kwargs or not isinstance(value, str) or not value or type(self.format) is not formats.Existence \
                or type(self.analyzer) is not IDTokenizer:
            yield from super().index(value, **kwargs)
            return
        yield (value.encode("utf-8"), 1, self.format.field_boost, b"")


def make_schema() -> fields.Schema:
    return fields.Schema(
        key=_ID(stored=True, unique=True),
        type=_ID(stored=True),
        text=_Text(),
        ward=fields.KEYWORD(),
        programme=_ID(),
        state=_ID(),
        date=_ID(),  # the UK day, "20261126": one term (a DATETIME costs 16 per document)
        starts=fields.DATETIME(),
        ends=fields.DATETIME(),
        restricted=fields.KEYWORD(),
        parent=_ID(stored=True),
        digest=fields.STORED(),
    )


class _Saturating(scoring.BaseScorer):
    """idf x saturated term weight (a title word weighs 3): cheap, and it lets Whoosh skip whole blocks of
    postings that cannot reach the top results."""

    K1 = 2.0

    def __init__(self, idf: float, max_weight: float) -> None:
        self.idf, self.max_weight = idf, max_weight

    def _f(self, weight: float) -> float:
        return self.idf * weight * (self.K1 + 1) / (weight + self.K1)

    def supports_block_quality(self) -> bool:
        return True

    def score(self, matcher) -> float:
        return self._f(matcher.weight())

    def max_quality(self) -> float:
        return self._f(self.max_weight)

    def block_quality(self, matcher) -> float:
        return self._f(matcher.block_max_weight())


class Weighting(scoring.WeightingModel):
    def scorer(self, searcher, fieldname, text, qf=1):
        info = searcher.term_info(fieldname, text)
        if fieldname != "text":
            return scoring.WeightScorer(info.max_weight())
        return _Saturating(self.idf(searcher, fieldname, text) * qf, info.max_weight())


WEIGHTING = Weighting()


def _naive(moment: datetime | None) -> datetime | None:
    """Whoosh stores naive datetimes: UTC, without the zone."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _day(day: date) -> str:
    """Sortable as text for every year (strftime gives "9990101" for the year 999)."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def digest(doc: IndexedDocument) -> str:
    parts = [doc.type, doc.title, doc.body, " ".join(doc.wards), doc.programme or "", doc.state or "",
             str(doc.date or ""), str(doc.starts or ""), str(doc.ends or ""), doc.audience, doc.parent or ""]
    return hashlib.blake2b("\x1e".join(parts).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _fields(doc: IndexedDocument) -> dict[str, Any]:
    values: dict[str, Any] = {
        "key": doc.key, "type": doc.type, "text": joined(doc.title, doc.body), "digest": doc.digest or digest(doc),
    }
    if doc.wards:
        values["ward"] = " ".join(doc.wards)
    for name in ("programme", "state", "parent"):
        if getattr(doc, name):
            values[name] = getattr(doc, name)
    if doc.date is not None:
        values["date"] = _day(doc.date.astimezone(UK).date() if doc.date.tzinfo else doc.date.date())
    for name in ("starts", "ends"):
        if getattr(doc, name) is not None:
            values[name] = _naive(getattr(doc, name))
    if doc.audience != PUBLIC:
        values["restricted"] = doc.audience
    return values


# Parsing ----------------------------------------------------------------------------------------------------

_OPERATOR_RE = re.compile(r'(\bAND\b|\bOR\b|\bNOT\b|["()]|(?:^|\s)[+-]\S)')


@dataclass
class Parsed:
    """A query text made into a Whoosh query, with what highlighting needs and notes for the person."""

    query: wq.Query | None
    relaxed: wq.Query | None = None  # any of the words, for when nothing has all of them
    terms: set[str] = field(default_factory=set)
    prefixes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _parser(group) -> qparser.QueryParser:
    parser = qparser.QueryParser("text", make_schema(), group=group)
    # Only plain words, "phrases", prefix* and wil?cards, (groups), AND OR NOT and +/-: no field:value,
    # ranges, boosts or 'single quotes' (an apostrophe is part of a name: Queen's Park).
    for plugin in (qparser.FieldsPlugin, qparser.RangePlugin, qparser.BoostPlugin, qparser.SingleQuotePlugin,
                   qparser.EveryPlugin):
        parser.remove_plugin_class(plugin)
    parser.add_plugin(qparser.PlusMinusPlugin())
    return parser


class _Rewriter:
    """Makes a parsed query safe and useful: wildcards need letters before them, a prefix also matches
    the stems of words it begins (``cycling*`` finds "cycle"), too many words are cut."""

    def __init__(self, synonyms: Synonyms = NONE) -> None:
        self.notes: list[str] = []
        self.terms: set[str] = set()
        self.prefixes: list[str] = []
        self.words = 0
        self.synonyms = synonyms

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def rewrite(self, q: wq.Query, negated: bool = False) -> wq.Query:
        if isinstance(q, wq.Prefix | wq.Wildcard):
            return self._pattern(q, negated)
        if isinstance(q, wq.Term):
            self.words += 1
            if self.words > MAX_WORDS:
                self.note(f"Only the first {MAX_WORDS} words of your search were used.")
                return wq.NullQuery
            others = self.synonyms.of(q.text)
            if not negated:
                self.terms.add(q.text)
                self.terms.update(others)
            if others:  # the word or any of its synonyms (``-bike`` leaves out bicycles too)
                return wq.Or([q, *(wq.Term(q.fieldname, o) for o in sorted(others))])
            return q
        if isinstance(q, wq.Phrase):
            self.words += len(q.words)
            choices = [[w, *sorted(self.synonyms.of(w))] for w in q.words]
            if not negated:
                self.terms.update(w for words in choices for w in words)
            if any(len(c) > 1 for c in choices):
                variants = list(islice(product(*choices), MAX_PHRASE_VARIANTS))
                return wq.Or([wq.Phrase(q.fieldname, list(v), slop=q.slop) for v in variants])
            return q
        if isinstance(q, wq.Not):
            return wq.Not(self.rewrite(q.query, not negated))
        if isinstance(q, wq.AndNot):
            return wq.AndNot(self.rewrite(q.a, negated), self.rewrite(q.b, not negated))
        if isinstance(q, wq.CompoundQuery):
            return q.__class__([self.rewrite(s, negated) for s in q.subqueries], boost=q.boost).normalize()
        if isinstance(q, wq.BinaryQuery):
            return q.__class__(self.rewrite(q.a, negated), self.rewrite(q.b, negated)).normalize()
        if isinstance(q, wq.WrappingQuery):
            return q.__class__(self.rewrite(q.child, negated))
        return q

    def _pattern(self, q: wq.PatternQuery, negated: bool) -> wq.Query:
        text = fold(q.text)
        literal = re.split(r"[*?]", text, maxsplit=1)[0]
        if len(literal) < MIN_PREFIX or not re.fullmatch(r"\w+", literal):
            self.note(f"A * or ? needs at least {MIN_PREFIX} letters before it, for example cyc*.")
            return wq.NullQuery
        self.words += 1
        if isinstance(q, wq.Prefix) or text == literal + "*":
            if not negated:
                self.prefixes.append(literal)
            stemmed = stem(literal)
            if stemmed != literal:
                return wq.Or([wq.Prefix("text", literal), wq.Prefix("text", stemmed)])
            return wq.Prefix("text", literal)
        if not negated:
            self.prefixes.append(literal)
        return wq.Wildcard("text", text)


def _positive(q: wq.Query, negated: bool = False) -> bool:
    """Whether the query asks for something (not only for things to leave out)."""
    if q is wq.NullQuery:
        return False
    if isinstance(q, wq.Not):
        return False
    if isinstance(q, wq.AndNot):
        return _positive(q.a, negated)
    if isinstance(q, wq.CompoundQuery):
        return any(_positive(s) for s in q.subqueries)
    if isinstance(q, wq.BinaryQuery):
        return _positive(q.a)
    if isinstance(q, wq.WrappingQuery):
        return _positive(q.child)
    return True


def parse(text: str, synonyms: Synonyms = NONE) -> Parsed:
    """Never raises: a query Whoosh cannot make sense of is searched as its plain words. Both backends read
    queries with it (the PostgreSQL backend turns the result into a ``tsquery``)."""
    rewriter = _Rewriter(synonyms)
    try:
        parsed = _parser(qparser.AndGroup).parse(text)
        q = rewriter.rewrite(parsed).normalize()
    except Exception:  # noqa: BLE001 - any text at all must give results or a message
        log.info("query not parsed, searching its words: %r", text[:200])
        rewriter = _Rewriter(synonyms)
        words = [wq.Term("text", t.text) for t in ANALYZER(text)]
        q = rewriter.rewrite(wq.And(words)).normalize()
        rewriter.note("We could not read your search as a query, so we searched for its words.")
    result = Parsed(query=q if _positive(q) else None, terms=rewriter.terms, prefixes=rewriter.prefixes,
                    notes=rewriter.notes)
    if result.query is None:
        if rewriter.words:
            result.notes.append("Say what you are looking for, not only what to leave out.")
        elif not result.notes:
            result.notes.append("There was nothing to search for in that: very common words such as “the” are "
                                "left out. Try words that say what you are looking for, such as cycle lane or damp.")
        return result
    # Plain words with nothing matching them all: any of them will do (the page says so).
    if isinstance(result.query, wq.And) and not _OPERATOR_RE.search(text):
        result.relaxed = wq.Or(list(result.query.subqueries)).normalize()
    return result


_parsed: OrderedDict[tuple[str, str], Parsed] = OrderedDict()
_parsed_guard = threading.Lock()


def parsed_query(query: Query) -> Parsed:
    """``parse`` of the query's text with its synonyms, remembered for the last 512 queries."""
    key = (query.text, query.synonyms.version)
    with _parsed_guard:
        found = _parsed.get(key)
        if found is not None:
            _parsed.move_to_end(key)
            return found
    found = parse(query.text, query.synonyms)
    with _parsed_guard:
        _parsed[key] = found
        while len(_parsed) > 512:
            _parsed.popitem(last=False)
    return found


def highlight(query: Query, text: str, limit: int = 0) -> Markup:
    """``text`` escaped, with the words the query matches (its terms, their synonyms, its prefixes) in
    ``<mark>``, cut to about ``limit`` characters around the first match: the same on both backends."""
    found = parsed_query(query)
    text = (text or "").replace(SEPARATOR, " ")
    spans: list[tuple[int, int]] = []
    if found.terms or found.prefixes:
        # The analyzer's words (as CivicAnalyzer, without making tokens); with a limit, only up to the end
        # of the longest snippet around the first match.
        terms, prefixes = found.terms, found.prefixes
        for match in WORD_RE.finditer(text):
            if spans and limit and match.start() > spans[0][0] + limit:
                break
            word = fold(match.group())
            if len(word) < MIN_LENGTH or len(word) > MAX_LENGTH or word in STOP:
                continue
            if stem(word) in terms or any(word.startswith(p) for p in prefixes):
                spans.append(match.span())
    start, end = 0, len(text)
    if limit and len(text) > limit:
        centre = spans[0][0] if spans else 0
        start = max(0, centre - limit // 3)
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < centre else start
        end = min(len(text), start + limit)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start else end
    out: list[str] = ["…" if start else ""]
    position = start
    for s, e in spans:
        if s < position or e > end:
            continue
        out.append(str(escape(text[position:s])))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        position = e
    out.append(str(escape(text[position:end])))
    out.append("…" if end < len(text) else "")
    return Markup("".join(out))  # noqa: S704 - every piece of text above was escaped


# The backend ------------------------------------------------------------------------------------------------


@dataclass
class _Lock:
    fd: int

    def release(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)


def _acquire(path: Path, wait: float) -> _Lock | None:
    """The lock file's exclusive flock, waiting up to ``wait`` seconds; None if another holder keeps it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return _Lock(fd)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.02)


class WhooshWriter:
    """Changes to the live index by the holder of the writer lock."""

    def __init__(self, ix: index.Index) -> None:
        self.ix = ix
        self._writer = None

    def _w(self):
        if self._writer is None:
            self._writer = self.ix.writer(timeout=10.0)
        return self._writer

    def digests(self, keys: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self.ix.searcher() as s:
            for key in keys:
                stored = s.document(key=key)
                if stored is not None:
                    found[key] = stored.get("digest", "")
        return found

    def index(self, docs: Iterable[IndexedDocument]) -> None:
        w = self._w()
        for doc in docs:
            w.update_document(**_fields(doc))

    def remove(self, keys: Iterable[str]) -> None:
        w = self._w()
        for key in keys:
            w.delete_by_term("key", key)

    def commit(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.commit()

    def cancel(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.cancel()


class WhooshBackend:
    def __init__(self, root: str | Path, *, reindex_memory_mb: int = 256) -> None:
        self.root = Path(root)
        self.reindex_memory_mb = reindex_memory_mb
        self._indexes: dict[str, index.Index] = {}
        self._local = threading.local()
        self._guard = threading.Lock()
        #: "sets" (civic.search.sets, Whoosh for what it cannot answer) or "whoosh" (Whoosh's matchers only).
        self.engine = "sets"

    # Where the live index is --------------------------------------------------------------------------------

    def _read_current(self) -> str | None:
        try:
            content = (self.root / CURRENT).read_text().split()
        except FileNotFoundError:
            return None
        if len(content) != 2 or content[0] != FORMAT or not (self.root / content[1]).is_dir():
            return None
        return content[1]

    def _write_current(self, name: str) -> None:
        tmp = self.root / f"{CURRENT}.{secrets.token_hex(4)}.tmp"
        tmp.write_text(f"{FORMAT} {name}\n")
        os.replace(tmp, self.root / CURRENT)

    def _new_dir(self) -> tuple[str, Path]:
        name = f"index-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
        path = self.root / name
        path.mkdir(parents=True)
        return name, path

    def _current(self) -> tuple[str, index.Index]:
        name = self._read_current()
        if name is None:
            name = self._create_empty()
        ix = self._indexes.get(name)
        if ix is None:
            with self._guard:
                ix = self._indexes.get(name)
                if ix is None:
                    ix = index.open_dir(str(self.root / name))
                    self._indexes = {name: ix}  # the one before is no longer live
        return name, ix

    def _create_empty(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = _acquire(self.root / CREATE_LOCK, 30.0)
        try:
            name = self._read_current()
            if name is None:
                if (self.root / CURRENT).exists():
                    log.warning("the search index in %s has another format: starting an empty one; "
                                "run `flask civic reindex` to fill it", self.root)
                name, path = self._new_dir()
                index.create_in(str(path), make_schema())
                self._write_current(name)
            return name
        finally:
            if lock is not None:
                lock.release()

    # Writing ------------------------------------------------------------------------------------------------

    @contextmanager
    def writer(self, wait: float = 0.0) -> Iterator[WhooshWriter | None]:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = _acquire(self.root / LOCK, wait)
        if lock is None:
            yield None
            return
        try:
            _name, ix = self._current()
            w = WhooshWriter(ix)
            try:
                yield w
                w.commit()
            except BaseException:
                w.cancel()
                raise
        finally:
            lock.release()

    def rebuild(self, docs: Iterable[IndexedDocument], wait: float = 300.0) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = _acquire(self.root / LOCK, wait)
        if lock is None:
            raise LockError("another process kept the search index's writer lock")
        try:
            previous = self._read_current()
            name, path = self._new_dir()
            try:
                ix = index.create_in(str(path), make_schema())
                w = ix.writer(limitmb=self.reindex_memory_mb, codec=REBUILD_CODEC)
                count = 0
                try:
                    for doc in docs:
                        w.add_document(**_fields(doc))
                        count += 1
                except BaseException:
                    w.cancel()
                    raise
                w.commit()
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
            self._write_current(name)
            # Still under the lock: a rebuild that starts next cannot lose the directory it is writing.
            self._remove_old(keep={name, previous})
        finally:
            lock.release()
        return count

    def _remove_old(self, keep: set[str | None]) -> None:
        for path in self.root.glob("index-*"):
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)

    def clear(self) -> None:
        self.rebuild(iter(()))

    # Reading ------------------------------------------------------------------------------------------------

    def _searcher(self):
        name, ix = self._current()
        cached = getattr(self._local, "searcher", None)
        if cached is not None and cached[0] == name and cached[1].up_to_date():
            return cached[1]
        if cached is not None:
            cached[1].close()  # this thread's own searcher (Whoosh's refresh() fails on an empty index)
        searcher = ix.searcher(weighting=WEIGHTING)
        self._local.searcher = (name, searcher)
        self._local.state = None
        return searcher

    def _state(self, searcher) -> SearcherState:
        """The sets this thread's searcher shares between queries (built once per index generation)."""
        state = getattr(self._local, "state", None)
        if state is None or state.searcher is not searcher:
            state = SearcherState(searcher)
            self._local.state = state
        return state

    def known_terms(self, terms: Iterable[str], audiences: frozenset[str]) -> dict[str, int]:
        """Terms of the text field in a live document the audiences may see. Whoosh keeps a removed
        document's terms in the term list until its segment is merged, so the postings are read and the
        removed (and restricted) documents taken out, never only the term list."""
        searcher = self._searcher()
        state = self._state(searcher)
        excluded = state.dead | state.hidden(audiences)
        found: dict[str, int] = {}
        for term in set(terms):
            n = len(state.postings("text", term).docs() - excluded)
            if n:
                found[term] = min(n, KNOWN_LIMIT)
        return found

    def _filters(self, q: Query) -> list[wq.Query]:
        """The query's filters, each a query (they restrict; they do not score)."""
        found: list[wq.Query] = []
        if q.ward:
            found.append(wq.Or([wq.Term("ward", q.ward), wq.Term("ward", WHOLE_CITY)]))
        if q.programme:
            found.append(wq.Term("programme", q.programme))
        if q.parent:
            found.append(wq.Term("parent", q.parent))
        if q.state in PERIOD_STATES:
            now = _naive(q.now or datetime.now(UTC))
            if q.state == "open":
                found.append(wq.DateRange("starts", None, now))
                found.append(wq.DateRange("ends", now, None, startexcl=True))
            elif q.state == "upcoming":
                found.append(wq.DateRange("starts", now, None, startexcl=True))
            else:
                found.append(wq.DateRange("ends", None, now))
        elif q.state:
            found.append(wq.Term("state", q.state))
        if q.date_from or q.date_to:
            found.append(wq.TermRange("date", _day(q.date_from) if q.date_from else None,
                                      _day(q.date_to) if q.date_to else None))
        return found

    def _mask(self, searcher, audiences: frozenset[str]) -> set[int] | None:
        """Documents this person may not see: those whose audience is not one of theirs."""
        hidden: set[int] = set()
        for raw in searcher.lexicon("restricted"):
            audience = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if audience not in audiences:
                hidden.update(wq.Term("restricted", audience).docs(searcher))
        return hidden or None

    def _count(self, searcher, q: wq.Query, mask: set[int] | None, limit: int) -> int:
        """Matching documents, up to ``limit``. Walks the matcher itself: its ``next()`` skips through the
        posting lists of an intersection, where Whoosh's ``all_ids()`` reads every id of one side."""
        try:
            matcher = q.matcher(searcher)
        except wq.QueryError:
            return 0
        n = 0
        while matcher.is_active():
            if mask is None or matcher.id() not in mask:
                n += 1
                if n >= limit:
                    break
            matcher.next()
        return n

    def query(self, query: Query) -> Results:
        parsed = parsed_query(query)
        results = Results(hits=[], counts={}, notes=list(parsed.notes))
        if parsed.query is None:
            return results
        searcher = self._searcher()
        if self.engine == "sets":
            try:
                return self._query_sets(searcher, query, parsed, results)
            except Unsupported as e:  # a query node without a rule here: Whoosh itself answers
                log.debug("search: %s, answered by Whoosh", e)
                results = Results(hits=[], counts={}, notes=list(parsed.notes))
        return self._query_whoosh(searcher, query, parsed, results)

    def _query_sets(self, searcher, query: Query, parsed: Parsed, results: Results) -> Results:
        """Counts per type in one pass over the matching set, then scores for the ranked candidates only
        (:mod:`civic.search.sets`)."""
        state = self._state(searcher)
        excluded = state.dead | state.hidden(query.audiences)
        filters = self._filters(query)
        restrict: set[int] | frozenset[int] | None = None
        if filters:
            sets = sorted((state.filter_set(f) for f in filters), key=len)
            restrict = sets[0].intersection(*sets[1:]) - excluded
        evaluation = Evaluation(state, WEIGHTING, restrict)

        def run(text_query: wq.Query) -> set[int] | frozenset[int]:
            found = evaluation.docs(text_query)
            found = found & restrict if restrict is not None else found - excluded
            for name, n in state.count_types(found).items():
                results.counts[name] = min(n, query.count_limit)
                if n >= query.count_limit:
                    results.capped.add(name)
            return found

        found = run(parsed.query)
        text_query = parsed.query
        if not results.counts and parsed.relaxed is not None and query.relax:
            found = run(parsed.relaxed)
            text_query = parsed.relaxed
            if results.counts:
                results.all_words = False
        if not results.counts:
            return results
        wanted = [t for t in query.types if t in results.counts] if query.types else []
        if query.types and not wanted:
            return results
        if wanted:
            found = found & state.of_types(wanted)
        start = (query.page - 1) * query.per_page
        best = evaluation.top(text_query, found, start + query.per_page)[start:]
        results.hits = [Hit(searcher.stored_fields(d)["key"], score) for d, score in best]
        return results

    def _query_whoosh(self, searcher, query: Query, parsed: Parsed, results: Results) -> Results:
        """Whoosh's own matchers: a walk per type for the counts, then its collector (queries the sets
        cannot answer, and tests comparing the two)."""
        filters = self._filters(query)
        mask = self._mask(searcher, query.audiences)
        types = [t.decode("utf-8") if isinstance(t, bytes) else t for t in searcher.lexicon("type")]

        def run(text_query: wq.Query) -> None:
            for name in types:
                restricted = wq.And([text_query, *filters, wq.Term("type", name)])
                n = self._count(searcher, restricted, mask, query.count_limit)
                if n:
                    results.counts[name] = n
                    if n >= query.count_limit:
                        results.capped.add(name)

        run(parsed.query)
        if not results.counts and parsed.relaxed is not None and query.relax:
            run(parsed.relaxed)
            if results.counts:
                results.all_words = False
        if not results.counts:
            return results
        text_query = parsed.query if results.all_words else parsed.relaxed
        wanted = [t for t in query.types if t in results.counts] if query.types else []
        if query.types and not wanted:
            return results
        restriction = list(filters)
        if wanted:
            restriction.append(wq.Or([wq.Term("type", t) for t in wanted]))
        final = wq.Require(text_query, wq.And(restriction)) if restriction else text_query
        start = (query.page - 1) * query.per_page
        try:
            found = searcher.search(final, limit=start + query.per_page, mask=mask, terms=False)
        except AssertionError:  # Whoosh's block skipping trips over some NOT queries: score every match instead
            found = searcher.search(final, limit=start + query.per_page, mask=mask, terms=False, optimize=False)
        results.hits = [Hit(found[i]["key"], found.score(i)) for i in range(start, min(len(found.top_n),
                                                                                      start + query.per_page))]
        return results

    # Highlighting -------------------------------------------------------------------------------------------

    def highlight(self, query: Query, text: str, limit: int = 0) -> Markup:
        return highlight(query, text, limit)

    def terms(self, text: str) -> Iterator[str]:
        return (t.text for t in ANALYZER(text))

    def stats(self) -> dict[str, object]:
        name, ix = self._current()
        with ix.searcher() as s:
            return {"backend": "whoosh", "directory": str(self.root / name), "documents": s.doc_count()}
