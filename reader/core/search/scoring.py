"""Bulk scoring: BM25F over whole posting lists, as Whoosh's matchers would score, several times faster.

:func:`_bulk_search` returns the total and the best ``(score, docnum)`` of a query, computed per segment
(:func:`_eval`) from whole posting lists with sets and dictionaries instead of Whoosh's per-document matcher
calls; the scores are Whoosh's BM25F scores, the same floating-point operations in the same order
(:func:`_bm25`, :func:`_tree_sum`). Query shapes it does not handle raise :class:`_UnsupportedError`
internally and :func:`_bulk_search` returns None: the caller then uses Whoosh's collector. Counting and
scoring happen in one pass (no block-quality skipping, no matcher replacement).
"""

from __future__ import annotations

import heapq
import logging
import math
from itertools import pairwise, repeat
from operator import sub
from typing import Any, ClassVar

from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from reader.core.search.analysis import _NATIVE_LE, _POSITION_CODE, _positions
from reader.core.search.damage import _describe
from reader.core.search.pairs import PAIR_FIELD, pair_text
from reader.core.search.pairs import SOURCE_FIELD as PAIR_SOURCE_FIELD
from reader.core.search.whoosh_private import (
    INT_SIZE,
    bm25_parameters,
    expanded_terms,
    field_length_bytes,
    read_whole_postings,
    reader_segment_id,
    term_matcher,
)

__all__ = ["_SegmentData", "_bulk_search", "_eval"]

log = logging.getLogger(__name__)


class _UnsupportedError(Exception):
    """Internal: a query shape :func:`_bulk_search` leaves to Whoosh's matchers."""


_LENGTH_TABLE = [byte_to_length(b) for b in range(256)]


#: The documents a part of a query is scored for (None: all of them).
Within = set[int] | None


class _SegmentData:
    """What bulk scoring reads from one segment: its deletions and, per field, each document's BM25 length
    normalisation (segments never change, so this is computed once per segment, field and average)."""

    _cache: ClassVar[dict[tuple[str, str], list[int]]] = {}
    _norms: ClassVar[dict[tuple[str, str, float, float, float], list[float]]] = {}

    def __init__(self, reader: Any, averages: dict[str, float] | None = None) -> None:
        self.reader = reader
        #: Average field lengths of the whole index, shared by the segments of one search.
        self.averages: dict[str, float] = {} if averages is None else averages
        self.deleted: frozenset[int] = reader.deleted_docs_set
        self.segid: str = reader_segment_id(reader) or str(id(reader))

    def lengths(self, fieldname: str) -> list[int]:
        key = (self.segid, fieldname)
        found = self._cache.get(key)
        if found is None:
            reader = self.reader
            count = reader.doc_count_all()
            raw = field_length_bytes(reader, fieldname, count)
            if raw is None:
                found = [0] * count
            else:
                table = _LENGTH_TABLE
                found = [table[b] for b in raw] + [0] * (count - len(raw))
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = found
        return found

    def norms(self, fieldname: str, b_param: float, k1: float, avgfl: float) -> list[float]:
        """Each document's BM25 length normalisation ``k1 * ((1 - B) + B * length / avgfl)``, the same
        floating-point operations as Whoosh's (computed once per segment, field and average length)."""
        key = (self.segid, fieldname, b_param, k1, avgfl)
        found = self._norms.get(key)
        if found is None:
            lengths = self.lengths(fieldname)
            one_minus_b = 1 - b_param
            by_length = {n: k1 * (one_minus_b + b_param * n / avgfl) for n in set(lengths)}
            found = [by_length[n] for n in lengths]
            if len(self._norms) > 64:
                self._norms.clear()
            self._norms[key] = found
        return found

    def postings(
        self, fieldname: str, btext: bytes, values: bool = False
    ) -> tuple[list[int], list[Any], list[Any]]:
        """Document numbers, weights (and raw values) of a term, deleted documents left out."""
        found = self.postings_if_indexed(fieldname, btext, values)
        return ([], [], []) if found is None else found

    def postings_if_indexed(
        self, fieldname: str, btext: bytes, values: bool = False
    ) -> tuple[list[int], list[Any], list[Any]] | None:
        """:meth:`postings`, or None when the segment does not have the term (one look-up of the term)."""
        reader = self.reader
        if fieldname not in reader.schema:
            return None
        try:
            m = term_matcher(reader, fieldname, btext)
        except TermNotFound:
            return None
        ids: list[int] = []
        weights: list[Any] = []
        vals: list[Any] = []
        if not read_whole_postings(m, ids, weights, vals if values else None):
            while m.is_active():
                ids.append(m.id())
                weights.append(m.weight())
                if values:
                    vals.append(m.value())
                m.next()
        deleted = self.deleted
        if deleted:
            keep = [i for i, d in enumerate(ids) if d not in deleted]
            ids = [ids[i] for i in keep]
            weights = [weights[i] for i in keep]
            vals = [vals[i] for i in keep] if values else vals
        return ids, weights, vals


def _bm25(
    top: Any, seg: _SegmentData, fieldname: str, btext: bytes, ids: list[int], weights: list[Any]
) -> list[float]:
    """Whoosh's BM25F score of each posting, the same floating-point operations in the same order."""
    weighting = top.weighting
    b_param, k1 = bm25_parameters(weighting, fieldname)
    idf = top.idf(fieldname, btext)
    avgfl = seg.averages.get(fieldname)
    if avgfl is None:
        avgfl = seg.averages[fieldname] = top.avg_field_length(fieldname) or 1
    norms = seg.norms(fieldname, b_param, k1, avgfl)
    k1p1 = k1 + 1
    return [idf * ((tf * k1p1) / (tf + norms[d])) for d, tf in zip(ids, weights, strict=True)]


def _term_scores(
    top: Any, seg: _SegmentData, fieldname: str, text: Any, boost: float, within: Within = None
) -> dict[int, float]:
    schema = seg.reader.schema
    if fieldname not in schema:
        return {}
    field = schema[fieldname]
    try:
        btext = text if isinstance(text, bytes) else field.to_bytes(text)
    except ValueError:
        return {}
    ids, weights, _ = seg.postings(fieldname, btext)
    if within is not None and ids:
        keep = [i for i, d in enumerate(ids) if d in within]
        ids, weights = [ids[i] for i in keep], [weights[i] for i in keep]
    if not ids:
        return {}
    if field.scorable:
        scores = _bm25(top, seg, fieldname, btext, ids, weights)
    else:  # keyword and ID fields: Whoosh scores the posting's weight
        scores = [float(w) for w in weights]
    if boost != 1.0:
        scores = [x * boost for x in scores]
    return dict(zip(ids, scores, strict=True))


def _tree_sums(columns: list[list[float]]) -> list[float]:
    """Element-wise sums of ``columns`` in the order of Whoosh's ``make_binary_tree`` (the intersections of
    a phrase's words): ``a + b``, ``a + (b + c)``, ``(a + b) + (c + d)``, ..."""
    if len(columns) == 1:
        return columns[0]
    half = len(columns) // 2
    left = _tree_sums(columns[:half])
    right = _tree_sums(columns[half:])
    return [x + y for x, y in zip(left, right, strict=True)]


def _phrase_scores(top: Any, seg: _SegmentData, q: Any, within: Within = None) -> dict[int, float]:
    fieldname = q.fieldname
    schema = seg.reader.schema
    if q.slop != 1 or fieldname not in schema or not schema[fieldname].format.supports("positions"):
        raise _UnsupportedError("phrase")
    if not schema[fieldname].scorable:
        raise _UnsupportedError(f"field {fieldname}")
    field = schema[fieldname]
    try:
        btexts = [field.to_bytes(word) for word in q.words]
    except ValueError:
        return {}
    pairs = _indexed_pairs(seg, fieldname, btexts)
    # Two words whose pair is indexed: its postings are the matches (no positions needed).
    exact = len(btexts) == 2 and len(pairs) == 1
    postings = []
    for btext in btexts:
        ids, weights, vals = seg.postings(fieldname, btext, values=not exact)
        if not ids:
            return {}
        postings.append((btext, ids, weights, vals))
    if within is not None:
        pairs = [*pairs, sorted(within)]
    matched = pairs[0] if exact else _phrase_matches(postings, pairs)
    if exact and within is not None:
        matched = [d for d in matched if d in within]
    if not matched:
        return {}
    word_scores = []
    for btext, ids, weights, _vals in postings:
        weight_of = dict(zip(ids, weights, strict=True))
        word_scores.append(_bm25(top, seg, fieldname, btext, matched, [weight_of[d] for d in matched]))
    totals = _tree_sums(word_scores)
    if q.boost != 1.0:
        totals = [x * q.boost for x in totals]
    return dict(zip(matched, totals, strict=True))


def _indexed_pairs(seg: _SegmentData, fieldname: str, btexts: list[bytes]) -> list[list[int]]:
    """The documents of each adjacent pair of the phrase's words that the segment indexes (a pair term is
    all of the segment's documents where the two words are adjacent; see :mod:`.pairs`)."""
    reader = seg.reader
    if fieldname != PAIR_SOURCE_FIELD or PAIR_FIELD not in reader.schema:
        return []
    found = []
    for first, second in pairwise(btexts):
        postings = seg.postings_if_indexed(PAIR_FIELD, pair_text(first, second))
        if postings is not None:
            found.append(postings[0])
    return found


def _phrase_matches(
    postings: list[tuple[bytes, list[int], list[Any], list[Any]]], pairs: list[list[int]]
) -> list[int]:
    """The documents where the words of ``postings`` (with their position values) are adjacent, in order;
    only documents in every one of ``pairs`` (indexed pairs of the phrase) can be."""
    candidates = set(postings[0][1])
    for _btext, ids, _w, _v in postings[1:]:
        candidates.intersection_update(ids)
    for ids in pairs:
        candidates.intersection_update(ids)
    if not candidates:
        return []
    values = [dict(zip(ids, vals, strict=True)) for _b, ids, _w, vals in postings]
    # Word k's positions shifted back by k: the phrase starts where all of them meet.
    first, middle, last = values[0], list(enumerate(values[1:-1], 1)), values[-1]
    k_last = len(values) - 1
    matched: list[int] = []
    skip = INT_SIZE  # each value: the count, then the positions
    if not _NATIVE_LE:
        read = _positions
        for d in candidates:
            starts = set(read(first[d]))
            for k, vmap in middle:
                starts.intersection_update(map(sub, read(vmap[d]), repeat(k)))
            # The last word only needs one start in common (isdisjoint stops at the first).
            if not starts.isdisjoint(map(sub, read(last[d]), repeat(k_last))):
                matched.append(d)
    elif not middle:  # two words on a little-endian machine (the usual case): reads inlined
        code = _POSITION_CODE
        matched = [
            d
            for d in candidates
            if not set(memoryview(first[d])[skip:].cast(code)).isdisjoint(  # type: ignore[call-overload]
                map(sub, memoryview(last[d])[skip:].cast(code), repeat(1))  # type: ignore[call-overload]
            )
        ]
    else:
        code = _POSITION_CODE
        for d in candidates:
            starts = set(memoryview(first[d])[skip:].cast(code))  # type: ignore[call-overload]
            for k, vmap in middle:
                starts.intersection_update(map(sub, memoryview(vmap[d])[skip:].cast(code), repeat(k)))  # type: ignore[call-overload]
                if not starts:
                    break
            else:
                if not starts.isdisjoint(map(sub, memoryview(last[d])[skip:].cast(code), repeat(k_last))):  # type: ignore[call-overload]
                    matched.append(d)
    return matched


def _multiterm_scores(top: Any, seg: _SegmentData, q: Any, within: Within = None) -> dict[int, float]:
    """Prefix and wildcard: the sum of the scores of the words they expand to in this segment, times the
    query's boost. (Whoosh's own matchers score these by the index's size: below 5,000 articles an array
    union whose skipping loses the title boost of an AndMaybe, and one word alone loses the boost.)"""
    words = [w for w in expanded_terms(q, seg.reader) if w]
    return _sum_union([_term_scores(top, seg, q.field(), w, 1.0, within) for w in words], q.boost)


def _sum_union(parts: list[dict[int, float]], boost: float) -> dict[int, float]:
    out: dict[int, float] = {}
    for part in parts:
        for d, x in part.items():
            out[d] = out[d] + x if d in out else x
    if boost != 1.0:
        out = {d: x * boost for d, x in out.items()}
    return out


def _eval(top: Any, seg: _SegmentData, q: Any, within: Within = None) -> dict[int, float]:
    """Document number -> score in one segment, as Whoosh's matchers would score them; with ``within``, only
    for those documents (an And scores its later parts only where its first ones matched)."""
    if isinstance(q, wq.AndMaybe):
        a = _eval(top, seg, q.a, within)
        if not a:
            return a
        b = _eval(top, seg, q.b, set(a))
        if len(b) * 4 < len(a):  # the usual title boost: few titles, many bodies
            for d, y in b.items():
                a[d] += y
            return a
        return {d: x + b[d] if d in b else x for d, x in a.items()}
    if isinstance(q, wq.AndNot):
        a = _eval(top, seg, q.a, within)
        if not a:
            return a
        b = _eval(top, seg, q.b, set(a))
        return {d: x for d, x in a.items() if d not in b}
    if isinstance(q, wq.And):
        subs = q.subqueries
        if len(subs) == 1:
            return _eval(top, seg, subs[0], within)
        positive = [s for s in subs if not isinstance(s, wq.Not)]
        negative = [s.query for s in subs if isinstance(s, wq.Not)]
        if not positive:
            raise _UnsupportedError("only negative terms")
        # The rarest word first; each next part is scored only where all before it matched.
        parts = []
        common = within
        for sub in sorted(positive, key=lambda s: _estimated_matches(seg, s)):
            part = _eval(top, seg, sub, common)
            if not part:
                return {}
            parts.append(part)
            common = set(part)
        assert common is not None
        parts.sort(key=len)
        for neg in negative:
            common.difference_update(_eval(top, seg, neg, common))
        # A Not inside an And is Whoosh's InverseMatcher, which adds a score of 1.0.
        extra = float(len(negative))
        out = {d: sum(part[d] for part in parts) + extra for d in common}
        if q.boost != 1.0:
            out = {d: x * q.boost for d, x in out.items()}
        return out
    if isinstance(q, wq.Or):
        subs = q.subqueries
        if any(isinstance(s, wq.Not) for s in subs) or q.scale or getattr(q, "minmatch", 0):
            raise _UnsupportedError("or")
        if len(subs) == 1:
            return _eval(top, seg, subs[0], within)
        return _sum_union([_eval(top, seg, s, within) for s in subs], q.boost)
    if isinstance(q, wq.Phrase):
        return _phrase_scores(top, seg, q, within)
    if type(q) is wq.Term:
        return _term_scores(top, seg, q.fieldname, q.text, q.boost, within)
    if type(q) in (wq.Prefix, wq.Wildcard):
        return _multiterm_scores(top, seg, q, within)
    if q is wq.NullQuery:
        return {}
    raise _UnsupportedError(type(q).__name__)


def _estimated_matches(seg: _SegmentData, q: Any) -> float:
    """How many documents of the segment a part of an And may match: a word's document frequency (the
    rarest is scored first); other parts after every word."""
    if type(q) is not wq.Term or q.fieldname not in seg.reader.schema:
        return math.inf
    try:
        btext = seg.reader.schema[q.fieldname].to_bytes(q.text) if not isinstance(q.text, bytes) else q.text
        return float(seg.reader.doc_frequency(q.fieldname, btext))
    except ValueError:
        return math.inf


def _bulk_search(searcher: Any, q: Any, limit: int) -> tuple[int, list[tuple[float, int]]] | None:
    """The total and the ``limit`` best ``(score, docnum)`` of ``q``, best first (ties: lower document
    number first, as Whoosh's collector), computed from whole posting lists with sets and dictionaries
    instead of Whoosh's per-document matcher calls. ``None`` for query shapes left to Whoosh."""
    if not isinstance(searcher.weighting, BM25F):
        return None
    if searcher.doc_count_all() == 0:
        return 0, []  # an index with no segment yet (a first build): nothing to score
    total = 0
    best: list[tuple[float, int]] = []
    averages: dict[str, float] = {}
    try:
        for sub, offset in searcher.leaf_searchers():
            seg = _SegmentData(sub.reader(), averages)
            scores = _eval(searcher, seg, q)
            total += len(scores)
            best.extend(_best_of(scores, offset, limit))
    except _UnsupportedError:
        return None
    except Exception as exc:  # noqa: BLE001 - Whoosh's matchers then answer (or report real damage)
        log.warning("bulk evaluation of %r failed (%s); using Whoosh's matchers", q, _describe(exc))
        return None
    best.sort(key=_rank_key)
    return total, best[:limit]


def _rank_key(item: tuple[float, int]) -> tuple[float, int]:
    return -item[0], item[1]


def _best_of(scores: dict[int, float], offset: int, limit: int) -> list[tuple[float, int]]:
    """The ``limit`` best ``(score, offset + docnum)`` of one segment, and every other one with the same
    score as the last of them (the order among equal scores is decided across segments)."""
    if limit <= 0:
        return []
    if len(scores) > limit:
        floor = heapq.nlargest(limit, scores.values())[-1]
        return [(x, offset + d) for d, x in scores.items() if x >= floor]
    return [(x, offset + d) for d, x in scores.items()]
