"""Word pairs: each segment indexes its frequent adjacent word pairs, so that a phrase of common words is
one posting list instead of a position check in thousands of documents.

A two-word phrase of common words (``"standard library"`` in a library of PEPs) is found in every document
that has both words; checking their positions costs about a microsecond a document, most of such a search.
When a segment is written (a new segment or a merge, :func:`with_pairs` on the sorted postings the writer
flushes), the adjacent pairs of words of the ``all`` field that look frequent on a sample of its documents
(every :data:`SAMPLE_STRIDE`-th) are checked in all of them, and each one found in at least
:func:`pair_threshold` documents is indexed in :data:`PAIR_FIELD` as the term ``"first second"`` (the stems,
a space between), with every document of the segment where the two words are adjacent. A pair term present
in a segment therefore lists all of that segment's matches (the bulk scorer uses it instead of the
positions); a pair absent (rarer, missed by the sample, or a segment written without pairs) is checked by
positions as before. Pairs never join two parts of the field: they are
:data:`~reader.core.search.analysis.FIELD_GAP` positions apart.

Only frequent pairs are indexed, to keep the build within a few percent (see :data:`PAIR_FRACTION`).

This module's :func:`with_pairs` finds them from the positions of the sorted postings (a merge, or Whoosh's
writer); a build's new segments are written by
:class:`~reader.core.search.segment_writing.TermBufferWriter`, which counts the pairs of the segment's
frequent words in every document (no sample) and indexes each one found in :func:`pair_threshold`
documents. Either way a pair term present in a segment lists every document of it where the pair occurs.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby, repeat
from operator import add, itemgetter, mul, sub
from typing import Any

__all__ = [
    "PAIR_ADJACENT_FRACTION",
    "PAIR_FIELD",
    "PAIR_FRACTION",
    "PAIR_MIN_DOCS",
    "pair_adjacent_threshold",
    "pair_text",
    "pair_threshold",
    "with_pairs",
]

#: The field of the pair terms (not a field of the query language). It sorts right after ``all``.
PAIR_FIELD = "all_pairs"
#: The field whose adjacent words are paired.
SOURCE_FIELD = "all"
#: A pair is indexed in a segment when it is found in at least this share of the segment's documents...
#: (Measured on segments of 2,700 articles of the test corpus: 0.15 indexes ~280 pairs, ~185,000 postings
#: next to ~1.1 million word postings, for ~1.6 s of a worker's time; 0.1 would index 530 pairs for 2.9 s,
#: 0.2 140 pairs for 1 s. Phrases of rarer pairs are checked by positions, in fewer documents.)
PAIR_FRACTION = 0.15
#: ... and in at least this many (small segments have no pairs: their checks are cheap).
PAIR_MIN_DOCS = 64
#: The pairs worth checking are counted in every SAMPLE_STRIDE-th document; those found in the threshold's
#: share of them are checked in every document.
SAMPLE_STRIDE = 8
#: Documents whose positions are mapped at a time (bounds the memory of a flush).
_DOCS_AT_A_TIME = 128

Posting = tuple[str, bytes, int, float, Any]
Positions = Callable[[bytes], Iterable[int]]


def pair_text(first: bytes, second: bytes) -> bytes:
    """The pair term of two adjacent words (their index terms as bytes)."""
    return first + b" " + second


#: Where a segment's pairs are counted exactly (its new segments and idle merges,
#: :class:`~reader.core.search.segment_writing.PairCounter`), a pair of two words each in
#: :func:`pair_threshold` documents is indexed once it is adjacent in this share of the documents (and at
#: least PAIR_ADJACENT_MIN_DOCS): a phrase of two common words costs a position check in every document that
#: has both, however few are matches (``"abstract base"`` is in 3% of the PEPs, its two words together in
#: half of them).
PAIR_ADJACENT_FRACTION = 0.03
PAIR_ADJACENT_MIN_DOCS = 16


def pair_adjacent_threshold(doc_count: int) -> int:
    """In how many of a segment's ``doc_count`` documents a pair of frequent words must be adjacent to be
    indexed, where pairs are counted exactly."""
    return max(PAIR_ADJACENT_MIN_DOCS, math.ceil(PAIR_ADJACENT_FRACTION * doc_count))


def pair_threshold(doc_count: int) -> int:
    """In how many of a segment's ``doc_count`` documents a pair must be found to be indexed."""
    return max(PAIR_MIN_DOCS, math.ceil(PAIR_FRACTION * doc_count))


def with_pairs(postings: Iterable[Posting], doc_count: int, positions: Positions) -> Iterator[Posting]:
    """The sorted postings of a segment being written, with the frequent pairs' postings added in their place
    (after the ``all`` field's) and any pair postings of the input left out (a merge computes them anew).
    ``positions`` reads the positions of an ``all`` posting's value (the field format's)."""
    threshold = pair_threshold(doc_count)
    frequent: list[tuple[bytes, list[int], list[Any]]] = []
    done = doc_count < threshold
    for fieldname, group in groupby(postings, key=itemgetter(0)):
        if fieldname == PAIR_FIELD:
            continue
        if not done and fieldname > SOURCE_FIELD:
            done = True
            yield from _pair_postings(frequent, threshold, positions)
        if fieldname == SOURCE_FIELD and not done:
            for btext, term_postings in groupby(group, key=itemgetter(1)):
                found = list(term_postings)
                yield from found
                if len(found) >= threshold:
                    frequent.append((btext, [p[2] for p in found], [p[4] for p in found]))
        else:
            yield from group
    if not done:
        yield from _pair_postings(frequent, threshold, positions)


def _pair_postings(
    frequent: list[tuple[bytes, list[int], list[Any]]], threshold: int, positions: Positions
) -> Iterator[Posting]:
    """The postings of the pairs of ``frequent`` words (each with its documents and position values) found
    adjacent in at least ``threshold`` documents, sorted by term and document.

    The pairs worth checking are estimated on every :data:`SAMPLE_STRIDE`-th document (pairing all positions
    of the frequent words cost more than the rest of a build); each of them is then checked in every document
    that has both words, so that an indexed pair lists all of its documents (a pair the sample missed is not
    indexed: its phrase is checked by positions)."""
    if not frequent:
        return
    base = len(frequent) + 1  # pair key: first * base + second (words numbered from 1; 0: none)
    counts: Counter[int] = Counter()
    for keys in _pair_keys_by_document(frequent, base, positions, SAMPLE_STRIDE):
        counts.update(keys)
    likely = sorted(key for key, n in counts.items() if n * SAMPLE_STRIDE >= threshold)
    values_of: dict[int, dict[int, Any]] = {}
    words = [term for term, _ids, _values in frequent]
    found = []
    for key in likely:
        first, second = key // base, key % base
        docs = _adjacent_in(
            _values_of(values_of, frequent, first),
            _values_of(values_of, frequent, second),
            threshold,
            positions,
        )
        if docs:
            found.append((pair_text(words[first - 1], words[second - 1]), docs))
    found.sort()
    for btext, docs in found:
        for docnum in docs:
            yield (PAIR_FIELD, btext, docnum, 1.0, b"")


def _values_of(
    cache: dict[int, dict[int, Any]], frequent: list[tuple[bytes, list[int], list[Any]]], w: int
) -> dict[int, Any]:
    found = cache.get(w)
    if found is None:
        _term, ids, values = frequent[w - 1]
        found = cache[w] = dict(zip(ids, values, strict=True))
    return found


def _adjacent_in(
    first: dict[int, Any], second: dict[int, Any], threshold: int, positions: Positions
) -> list[int]:
    """The documents (sorted) where a position of the second word follows one of the first; none if they are
    fewer than ``threshold``."""
    candidates = first.keys() & second.keys()
    if len(candidates) < threshold:
        return []
    docs = [
        d
        for d in sorted(candidates)
        if not set(positions(first[d])).isdisjoint(map(sub, positions(second[d]), repeat(1)))
    ]
    return docs if len(docs) >= threshold else []


def _pair_keys_by_document(
    frequent: list[tuple[bytes, list[int], list[Any]]], base: int, positions: Positions, stride: int
) -> Iterator[set[int]]:
    """The set of pair keys ``first * base + second`` of adjacent frequent words (numbered from 1 in
    ``frequent``) of every ``stride``-th document, a few hundred documents at a time (bounding the memory)."""
    last = max(ids[-1] for _term, ids, _values in frequent)
    cursors = [0] * len(frequent)
    unpaired = {w * base for w in range(1, base)}  # a frequent word followed by another word
    for start in range(0, last + 1, _DOCS_AT_A_TIME):
        end = start + _DOCS_AT_A_TIME
        word_at: dict[int, dict[int, int]] = {}
        for w, (_term, ids, values) in enumerate(frequent, 1):
            i = cursors[w - 1]
            j = bisect_left(ids, end, i)
            for docnum, value in zip(ids[i:j], values[i:j], strict=True):
                if docnum % stride:
                    continue
                found = word_at.get(docnum)
                if found is None:
                    found = word_at[docnum] = {}
                found.update(zip(positions(value), repeat(w)))
            cursors[w - 1] = j
        for at in word_at.values():
            # the word at p times base, plus the word at p + 1 (0 if it is not frequent)
            following = map(at.get, map(add, at, repeat(1)), repeat(0))
            keys = set(map(add, map(mul, at.values(), repeat(base)), following))
            keys.difference_update(unpaired)
            yield keys
