"""Word pairs: each segment indexes its frequent adjacent word pairs, so that a phrase of common words is
one posting list instead of a position check in thousands of documents.

A two-word phrase of common words (``"standard library"`` in a library of PEPs) is found in every document
that has both words; checking their positions costs about a microsecond a document, most of such a search.
When a segment is written (a new segment or a merge, :func:`with_pairs` on the sorted postings the writer
flushes), every pair of adjacent words of the ``all`` field found in at least :func:`pair_threshold` of its
documents is indexed in :data:`PAIR_FIELD` as the term ``"first second"`` (the stems, a space between), with
every document of the segment where the two words are adjacent. A pair term present in a segment therefore
lists all of that segment's matches (the bulk scorer uses it instead of the positions); a pair absent
(rarer, or a segment written without pairs) is checked by positions as before. Pairs of the field's parts
never join: the parts are :data:`~reader.core.search.analysis.FIELD_GAP` positions apart.

Only frequent pairs are indexed (with their words' postings, most of a frequent pair's cost is in the
check): the threshold keeps the extra postings to about a quarter of the word postings' count, and the build
within a few percent (see :data:`PAIR_FRACTION`).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby, repeat
from operator import add, itemgetter, mul
from typing import Any

__all__ = ["PAIR_FIELD", "PAIR_FRACTION", "PAIR_MIN_DOCS", "pair_text", "pair_threshold", "with_pairs"]

#: The field of the pair terms (not a field of the query language). It sorts right after ``all``.
PAIR_FIELD = "all_pairs"
#: The field whose adjacent words are paired.
SOURCE_FIELD = "all"
#: A pair is indexed in a segment when it is found in at least this share of the segment's documents...
#: (0.1: ~140,000 pair postings for the 1,350 articles of the test corpus, next to ~560,000 word postings;
#: 0.05 would index 250,000 and 0.02 425,000, for phrases that are cheap to check anyway)
PAIR_FRACTION = 0.1
#: ... and in at least this many (small segments have no pairs: their checks are cheap).
PAIR_MIN_DOCS = 64
#: Documents whose positions are mapped at a time (bounds the memory of a flush).
_DOCS_AT_A_TIME = 128

Posting = tuple[str, bytes, int, float, Any]
Positions = Callable[[bytes], Iterable[int]]


def pair_text(first: bytes, second: bytes) -> bytes:
    """The pair term of two adjacent words (their index terms as bytes)."""
    return first + b" " + second


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
    adjacent in at least ``threshold`` documents, sorted by term and document."""
    if not frequent:
        return
    base = len(frequent) + 1  # pair key: first * base + second (words numbered from 1; 0: none)
    counts: Counter[int] = Counter()
    pairs_of: list[tuple[int, array[int]]] = []
    for docnum, keys in _pair_keys_by_document(frequent, base, positions):
        counts.update(keys)
        pairs_of.append((docnum, array("q", keys)))
    common = {key for key, n in counts.items() if n >= threshold}
    if not common:
        return
    docs_of: dict[int, list[int]] = {key: [] for key in common}
    for docnum, stored in sorted(pairs_of, key=itemgetter(0)):
        for key in common.intersection(stored):
            docs_of[key].append(docnum)
    words = [term for term, _ids, _values in frequent]
    terms = sorted(
        (pair_text(words[k // base - 1], words[k % base - 1]), docs) for k, docs in docs_of.items()
    )
    for btext, docs in terms:
        for docnum in docs:
            yield (PAIR_FIELD, btext, docnum, 1.0, b"")


def _pair_keys_by_document(
    frequent: list[tuple[bytes, list[int], list[Any]]], base: int, positions: Positions
) -> Iterator[tuple[int, set[int]]]:
    """Each document's set of pair keys ``first * base + second`` of adjacent frequent words (numbered from
    1 in ``frequent``), a few hundred documents at a time (bounding the memory)."""
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
                found = word_at.get(docnum)
                if found is None:
                    found = word_at[docnum] = {}
                found.update(zip(positions(value), repeat(w)))
            cursors[w - 1] = j
        for docnum, at in word_at.items():
            # the word at p times base, plus the word at p + 1 (0 if it is not frequent)
            following = map(at.get, map(add, at, repeat(1)), repeat(0))
            keys = set(map(add, map(mul, at.values(), repeat(base)), following))
            keys.difference_update(unpaired)
            yield docnum, keys
