"""Query evaluation on sets of document numbers, for the Whoosh backend.

Whoosh walks its matchers one posting at a time in Python: intersecting a common word with a filter, or
checking a phrase, steps through thousands of postings with a few method calls each. Here a posting list is
read a block at a time (one ``zlib``/``pickle`` call per block of ids, weights and positions) into Python
sets and dicts, and queries become set operations done in C:

- the words' documents are intersected/united/subtracted as the query says;
- filters (type, ward, programme, state, parent, dates) and the hidden documents are sets kept per searcher
  (:class:`SearcherState`, built once per index generation: a searcher is only reopened when the index changed);
- a phrase's positions are only read for the documents that have all its words and pass the filters;
- counts per type come from one ``Counter`` over a docnum -> type table, in one pass, whatever the types;
- only the documents that will be ranked are scored, with the same scores as Whoosh's (``WEIGHTING``).

Anything this module does not know (a query node it has no rule for, a phrase with slop) raises
:class:`Unsupported`; the backend then asks Whoosh itself.
"""

from __future__ import annotations

import heapq
import operator
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable
from itertools import accumulate
from pickle import loads  # noqa: S403 - Whoosh's own posting values, written by this app
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.formats import Positions

#: Filter sets kept per searcher (wards, programmes, states, parents, types...).
MAX_FILTERS = 256


class Unsupported(Exception):
    """A query this module cannot evaluate exactly: Whoosh answers it."""


def _positions(value: bytes) -> list[int]:
    """``Positions.decode_positions`` without its checks: a count, then a pickled list of deltas."""
    if not value.endswith(b"."):
        value += b"."
    return list(accumulate(loads(value[4:])))  # noqa: S301 - posting values this app wrote


class Postings:
    """One term's postings over the whole index: global docnums, weights and (lazily) position values."""

    __slots__ = ("ids", "weights", "values", "_set", "_weights_by_doc", "_values_by_doc")

    def __init__(self, ids: list[int], weights: list[float], values: list[Any]) -> None:
        self.ids, self.weights, self.values = ids, weights, values
        self._set: set[int] | None = None
        self._weights_by_doc: dict[int, float] | None = None
        self._values_by_doc: dict[int, Any] | None = None

    def docs(self) -> set[int]:
        if self._set is None:
            self._set = set(self.ids)
        return self._set

    def weight_of(self) -> dict[int, float]:
        if self._weights_by_doc is None:
            self._weights_by_doc = dict(zip(self.ids, self.weights, strict=True))
        return self._weights_by_doc

    def value_of(self) -> dict[int, Any]:
        if self._values_by_doc is None:
            self._values_by_doc = dict(zip(self.ids, self.values, strict=True))
        return self._values_by_doc


def _read_leaf(reader, fieldname: str, btext: bytes, offset: int, ids: list[int], weights: list[float],
               values: list[Any]) -> None:
    """Append one segment's postings of a term (deleted documents included: the caller removes them)."""
    fmt = reader.schema[fieldname].format
    m = reader._terms.matcher(fieldname, btext, fmt)  # noqa: SLF001 - the raw postings, without a wrapper
    if isinstance(m, W3LeafMatcher) and not m._byteids and m._fixedsize is None:  # noqa: SLF001
        while True:
            if m._blocklength:  # noqa: SLF001
                m._read_data()  # noqa: SLF001
                data = m._data  # noqa: SLF001
                raw = data[0]  # ids are stored as deltas (as array bytes: whoosh_backend._packed_blocks)
                block = accumulate(array("I", raw) if isinstance(raw, bytes) else raw)
                ids.extend(map(offset.__add__, block) if offset else block)
                m._read_weights()  # noqa: SLF001
                weights.extend(m._weights)  # noqa: SLF001
                values.extend(data[2] if data[2] is not None else (None,) * m._blocklength)  # noqa: SLF001
            if m._lastblock:  # noqa: SLF001
                break
            m._goto(m._nextoffset)  # noqa: SLF001
        return
    while m.is_active():  # small (inlined) posting lists and anything else: Whoosh's own walk
        ids.append(offset + m.id())
        weights.append(m.weight())
        values.append(m.value() if m.supports("positions") else None)
        m.next()


class SearcherState:
    """What a searcher's queries share: the live documents, docnum -> type, filter sets, hidden sets."""

    def __init__(self, searcher, type_field: str = "type") -> None:
        self.searcher = searcher
        self.leaves = [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]
        self.doc_count_all = searcher.doc_count_all()
        dead: set[int] = set()
        for reader, offset in self.leaves:
            deleted = getattr(reader, "deleted_docs_set", None)
            if deleted:
                dead.update(offset + d for d in deleted)
        self.dead = frozenset(dead)
        self._universe: frozenset[int] | None = None
        self.type_names: list[str] = []
        self.types = bytearray(self.doc_count_all)  # 0: no type; i + 1: type_names[i]
        for raw in searcher.lexicon(type_field):
            name = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            self.type_names.append(name)
            code = len(self.type_names)
            if code > 255:
                raise Unsupported("more than 255 types")
            for d in self.postings(type_field, raw).ids:
                self.types[d] = code
        self._filters: OrderedDict[Any, frozenset[int]] = OrderedDict()
        self._hidden: dict[frozenset[str], frozenset[int]] = {}

    def universe(self) -> frozenset[int]:
        if self._universe is None:
            self._universe = frozenset(range(self.doc_count_all)) - self.dead
        return self._universe

    def postings(self, fieldname: str, text: str | bytes) -> Postings:
        btext = text if isinstance(text, bytes) else self.searcher.schema[fieldname].to_bytes(text)
        ids: list[int] = []
        weights: list[float] = []
        values: list[Any] = []
        for reader, offset in self.leaves:
            if (fieldname, btext) in reader:
                _read_leaf(reader, fieldname, btext, offset, ids, weights, values)
        return Postings(ids, weights, values)

    def filter_set(self, q: wq.Query) -> frozenset[int]:
        """The documents a filter query matches (kept, except for date ranges, whose ``now`` moves)."""
        found = self._filters.get(q)
        if found is not None:
            self._filters.move_to_end(q)
            return found
        if isinstance(q, wq.Term):
            found = frozenset(self.postings(q.fieldname, q.text).docs())
        elif isinstance(q, wq.Or) and all(isinstance(s, wq.Term) for s in q.subqueries):
            found = frozenset().union(*(self.filter_set(s) for s in q.subqueries))
        elif isinstance(q, wq.TermRange):
            reader = self.searcher.reader()
            found = frozenset().union(*(self.postings(q.fieldname, t).docs() for t in q._btexts(reader)))  # noqa: SLF001
        else:
            return frozenset(q.docs(self.searcher))
        self._filters[q] = found
        while len(self._filters) > MAX_FILTERS:
            self._filters.popitem(last=False)
        return found

    def hidden(self, audiences: frozenset[str], field: str = "restricted") -> frozenset[int]:
        """Documents of an audience not in ``audiences``."""
        found = self._hidden.get(audiences)
        if found is None:
            parts = []
            for raw in self.searcher.lexicon(field):
                audience = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                if audience not in audiences:
                    parts.append(self.filter_set(wq.Term(field, audience)))
            found = frozenset().union(*parts)
            if len(self._hidden) > 64:
                self._hidden.clear()
            self._hidden[audiences] = found
        return found

    def count_types(self, docs: Iterable[int]) -> dict[str, int]:
        counted = Counter(map(self.types.__getitem__, docs))
        return {self.type_names[code - 1]: n for code, n in counted.items() if code}

    def of_types(self, names: Iterable[str], type_field: str = "type") -> frozenset[int]:
        return frozenset().union(*(self.filter_set(wq.Term(type_field, n)) for n in names))


class Evaluation:
    """One query's evaluation: the documents of each node (within ``restrict`` for phrases: every set
    operation commutes with intersecting by the restriction), then scores for the ranked candidates."""

    def __init__(self, state: SearcherState, weighting, restrict: frozenset[int] | set[int] | None) -> None:
        self.state = state
        self.searcher = state.searcher
        self.weighting = weighting
        self.restrict = restrict
        self._postings: dict[tuple[str, bytes], Postings | None] = {}
        self._docs: dict[int, set[int] | frozenset[int]] = {}
        self._keep: list[wq.Query] = []  # the nodes memoised by id() stay alive
        self._scorers: dict[tuple[str, bytes], Any] = {}

    # Documents ----------------------------------------------------------------------------------------------

    def _term(self, fieldname: str, text: str | bytes) -> Postings | None:
        schema = self.searcher.schema
        if fieldname not in schema:
            return None
        try:
            btext = text if isinstance(text, bytes) else schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        key = (fieldname, btext)
        if key not in self._postings:
            self._postings[key] = self.state.postings(fieldname, btext) if key in self.searcher.reader() else None
        return self._postings[key]

    def _expansions(self, q: wq.MultiTerm) -> list[bytes]:
        return [t for t in q._btexts(self.searcher.reader()) if t]  # noqa: SLF001

    def docs(self, q: wq.Query) -> set[int] | frozenset[int]:
        found = self._docs.get(id(q))
        if found is None:
            found = self._evaluate(q)
            self._docs[id(q)] = found
            self._keep.append(q)
        return found

    def _evaluate(self, q: wq.Query) -> set[int] | frozenset[int]:
        if q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__):
            return set()
        kind = type(q)
        if kind is wq.Term:
            p = self._term(q.fieldname, q.text)
            return p.docs() if p is not None else set()
        if kind is wq.Phrase:
            return self._phrase(q)
        if kind in (wq.Prefix, wq.Wildcard, wq.TermRange):
            sets = [p.docs() for t in self._expansions(q) if (p := self._term(q.fieldname, t)) is not None]
            return set().union(*sets)
        if isinstance(q, wq.And) and kind is not wq.Ordered:
            positive = [self.docs(s) for s in q.subqueries if not isinstance(s, wq.Not)]
            negative = [self.docs(s.query) for s in q.subqueries if isinstance(s, wq.Not)]
            if positive:
                positive.sort(key=len)
                found = set(positive[0]).intersection(*positive[1:])
            else:
                found = set(self.state.universe())
            return found.difference(*negative) if negative else found
        if isinstance(q, wq.Or) and not q.minmatch and not q.scale:
            return set().union(*(self.docs(s) for s in q.subqueries))
        if kind is wq.Not:
            return self.state.universe() - self.docs(q.query)
        if kind is wq.AndNot:
            return self.docs(q.a) - self.docs(q.b)
        if kind is wq.Require:
            return self.docs(q.a) & self.docs(q.b)
        if kind is wq.AndMaybe:
            return self.docs(q.a)
        raise Unsupported(type(q).__name__)

    def _phrase(self, q: wq.Phrase) -> set[int]:
        if q.slop != 1:
            raise Unsupported("phrase with slop")
        postings = []
        for word in q.words:
            p = self._term(q.fieldname, word)
            if p is None:
                return set()
            postings.append(p)
        if not postings:
            return set()
        sets = sorted((p.docs() for p in postings), key=len)
        candidates = set(sets[0]).intersection(*sets[1:])
        if self.restrict is not None:
            candidates &= self.restrict
        if len(postings) == 1 or not candidates:
            return candidates
        decode = _positions if isinstance(self.searcher.schema[q.fieldname].format, Positions) else \
            self.searcher.schema[q.fieldname].format.decode_positions
        first, rest = postings[0].value_of(), [p.value_of() for p in postings[1:]]
        found = set()
        for d in candidates:
            following = [set(decode(values[d])) for values in rest]
            for start in decode(first[d]):
                if all(start + i in positions for i, positions in enumerate(following, 1)):
                    found.add(d)
                    break
        return found

    # Scores -------------------------------------------------------------------------------------------------
    #
    # Scores are lists aligned with a sorted list of candidates, built with map/zip over C functions (no Python
    # loop per document): a node's list holds its score for the candidates it matches, 0.0 for the others.

    def _term_vector(self, fieldname: str, text: str | bytes, cands: list[int], mul: float) -> list[float]:
        p = self._term(fieldname, text)
        if p is None:
            return [0.0] * len(cands)
        btext = text if isinstance(text, bytes) else self.searcher.schema[fieldname].to_bytes(text)
        scorer = self._scorers.get((fieldname, btext))
        if scorer is None:
            scorer = self._scorers[(fieldname, btext)] = self.weighting.scorer(self.searcher, fieldname, btext)
        f = getattr(scorer, "_f", None)
        table = {w: (f(w) if f is not None else w) * mul for w in set(p.weights)}
        table[None] = 0.0
        return list(map(table.__getitem__, map(p.weight_of().get, cands)))

    @staticmethod
    def _sum(vectors: list[list[float]], size: int) -> list[float]:
        if not vectors:
            return [0.0] * size
        if len(vectors) == 1:
            return vectors[0]
        return list(map(sum, zip(*vectors, strict=True)))

    @staticmethod
    def _masked(vector: list[float], docs: set[int] | frozenset[int], cands: list[int]) -> list[float]:
        return list(map(operator.mul, vector, map(docs.__contains__, cands)))

    def vector(self, q: wq.Query, cands: list[int], members: bool, mul: float = 1.0) -> list[float]:
        """``q``'s score for each of ``cands`` (0.0 where it does not match), as Whoosh's matchers score:
        sums over the matching parts, a NOT counts 1, a prefix or wildcard scores its words. ``members``: every
        candidate matches ``q`` (no masking needed)."""
        kind = type(q)
        if q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__):
            return [0.0] * len(cands)
        if kind is wq.Term:
            return self._term_vector(q.fieldname, q.text, cands, mul * q.boost)
        if kind is wq.Phrase:
            found = self._sum([self._term_vector(q.fieldname, w, cands, mul * q.boost) for w in q.words],
                              len(cands))
            return found if members else self._masked(found, self.docs(q), cands)
        if kind in (wq.Prefix, wq.Wildcard, wq.TermRange):
            terms = self._expansions(q)
            inner = mul if len(terms) == 1 else mul * q.boost
            return self._sum([self._term_vector(q.fieldname, t, cands, inner) for t in terms], len(cands))
        if isinstance(q, wq.Or):
            return self._sum([self.vector(s, cands, False, mul * q.boost) for s in q.subqueries], len(cands))
        if kind is wq.Not:
            inverse = self.docs(q)
            return [mul] * len(cands) if members else list(map(mul.__mul__, map(inverse.__contains__, cands)))
        if isinstance(q, wq.And):
            found = self._sum([self.vector(s, cands, members, mul * q.boost) for s in q.subqueries], len(cands))
        elif kind in (wq.AndNot, wq.Require):
            found = self.vector(q.a, cands, members, mul)
        elif kind is wq.AndMaybe:
            found = self._sum([self.vector(q.a, cands, members, mul), self.vector(q.b, cands, False, mul)],
                              len(cands))
        else:
            raise Unsupported(type(q).__name__)
        return found if members else self._masked(found, self.docs(q), cands)

    def top(self, q: wq.Query, cands: set[int] | frozenset[int], limit: int) -> list[tuple[int, float]]:
        """The ``limit`` best of ``cands`` (which all match ``q``) as (docnum, score): highest score first,
        then lowest docnum (Whoosh's order)."""
        ordered = sorted(cands)
        scores = self.vector(q, ordered, True)
        best = heapq.nlargest(limit, range(len(ordered)), key=scores.__getitem__)  # stable: low docnum first
        return [(ordered[i], scores[i]) for i in best]
