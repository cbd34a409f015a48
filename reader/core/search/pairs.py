"""Word pairs: each segment indexes its frequent adjacent word pairs, so that a phrase of common words is
one posting list instead of a position check in thousands of documents.

A two-word phrase of common words (``"standard library"`` in a library of PEPs) is found in every document
that has both words; checking their positions costs about a microsecond a document, most of such a search.
When a segment is written, the adjacent pairs of its frequent words (each in :func:`pair_threshold`
documents) are counted in every document of the ``all`` field (:class:`PairCounter`), and each pair adjacent
in :func:`pair_adjacent_threshold` documents is indexed in :data:`PAIR_FIELD` as the term ``"first second"``
(the stems, a space between), with every document of the segment where the two words are adjacent. A pair
term present in a segment therefore lists all of that segment's matches (the bulk scorer uses it instead of
the positions); a pair absent (rarer, or a segment written without pairs) is checked by positions as
before. Pairs never join two parts of the field: they are :data:`~reader.core.search.analysis.FIELD_GAP`
positions apart.

The words come in order from the documents themselves for a build's new segments
(:class:`~reader.core.search.segment_writing.TermBufferWriter`), and back from the frequent words' positions
for merges and Whoosh's writer (:func:`pairs_from_positions`, :func:`with_pairs` on the sorted postings a
Whoosh flush writes). Only pairs of frequent words are counted, to keep the build within a few percent.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby, repeat
from operator import itemgetter
from typing import Any

__all__ = [
    "PAIR_ADJACENT_FRACTION",
    "PAIR_FIELD",
    "PAIR_FRACTION",
    "PAIR_MIN_DOCS",
    "PairCounter",
    "pair_adjacent_threshold",
    "pair_text",
    "pair_threshold",
    "pairs_from_positions",
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
#: Documents whose positions are mapped at a time when the pairs are counted (bounds the memory).
DOCS_AT_A_TIME = 64

Posting = tuple[str, bytes, int, float, Any]
Positions = Callable[[bytes], Iterable[int]]
#: The postings of a frequent word of the paired field: (term, documents, position values).
Frequent = tuple[str, list[int], list[Any]]


def pair_text(first: bytes, second: bytes) -> bytes:
    """The pair term of two adjacent words (their index terms as bytes)."""
    return first + b" " + second


#: A pair of two words each in
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
    """The sorted postings of a segment being written by Whoosh's writer, with the frequent pairs' postings
    added in their place (after the ``all`` field's) and any pair postings of the input left out (a merge
    computes them anew). ``positions`` reads the positions of an ``all`` posting's value."""
    threshold = pair_threshold(doc_count)
    frequent: list[Frequent] = []
    done = doc_count < threshold
    for fieldname, group in groupby(postings, key=itemgetter(0)):
        if fieldname == PAIR_FIELD:
            continue
        if not done and fieldname > SOURCE_FIELD:
            done = True
            yield from _pair_postings(frequent, doc_count, positions)
        if fieldname == SOURCE_FIELD and not done:
            for btext, term_postings in groupby(group, key=itemgetter(1)):
                found = list(term_postings)
                yield from found
                if len(found) >= threshold:
                    frequent.append((btext.decode("utf-8"), [p[2] for p in found], [p[4] for p in found]))
        else:
            yield from group
    if not done:
        yield from _pair_postings(frequent, doc_count, positions)


def _pair_postings(frequent: list[Frequent], doc_count: int, positions: Positions) -> Iterator[Posting]:
    for btext, docs in pairs_from_positions(frequent, doc_count, positions):
        for docnum in docs:
            yield (PAIR_FIELD, btext, docnum, 1.0, b"")


#: The frequent words of a segment are numbered as 2-byte integers (at most 65,535 of them, from 1)...
_PAIR_CODE = "H"
#: ... and a pair's key is the 4-byte integer made of the bytes of its two numbers.
_KEY_CODE = next(code for code in "IL" if array(code).itemsize == 4)
_KEY_SIZE = 4


class PairCounter:
    """The adjacent word pairs of one field over a segment's documents: each document's words are kept in
    order as numbers (:meth:`add`, four bytes a word); when the segment is written, the pairs of its frequent
    words are counted in every document and those found in enough documents get their postings
    (:meth:`postings`). A pair of two words is in no more documents than either word, so only words in at
    least the threshold's documents are paired: counting every pair of a segment cost more than the rest of
    its indexing."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._words: list[str] = [""]
        self._documents: list[tuple[int, list[array[int]]]] = []

    def add(self, docnum: int, part_terms: list[list[str]], distinct: Iterable[str]) -> None:
        """Keep a document's words (``part_terms``, per part; ``distinct``: its terms, each once)."""
        numbers = self._numbers
        words = self._words
        for term in distinct:
            if term not in numbers:
                numbers[term] = len(words)
                words.append(term)
        number_of = numbers.__getitem__
        parts = [array("I", map(number_of, terms)) for terms in part_terms if len(terms) > 1]
        self._documents.append((docnum, parts))

    def postings(self, doc_count: int, doc_frequency: Callable[[str], int]) -> list[tuple[bytes, list[int]]]:
        """``(pair term, documents)`` of each pair of two words each found in :func:`pair_threshold` of the
        ``doc_count`` documents and adjacent in :func:`pair_adjacent_threshold` of them, sorted by term
        (none when the segment is smaller than the first). ``doc_frequency`` gives a word's number of
        documents."""
        threshold = pair_threshold(doc_count)
        if doc_count < threshold:
            return []
        frequent = [w for w in self._words[1:] if doc_frequency(w) >= threshold]
        threshold = pair_adjacent_threshold(doc_count)
        if len(frequent) > 65_535:
            frequent = sorted(frequent, key=doc_frequency, reverse=True)[:65_535]
        # Each word's number among the frequent ones (from 1), 0 for the others.
        renumber = [0] * len(self._words)
        for i, word in enumerate(frequent, 1):
            renumber[self._numbers[word]] = i
        to_frequent = renumber.__getitem__
        # the keys of a frequent word next to another word (0): not pairs
        unpaired = set(_pair_keys([array(_PAIR_CODE, [0, i, 0]) for i in range(len(frequent) + 1)]))
        counts: Counter[int] = Counter()
        # each document's pair keys, as 4 bytes a key (a set of them took ~60 KB a document)
        keys_of: list[tuple[int, array[int]]] = []
        for docnum, parts in self._documents:
            keys = _pair_keys([array(_PAIR_CODE, map(to_frequent, numbers)) for numbers in parts])
            keys.difference_update(unpaired)
            counts.update(keys)
            keys_of.append((docnum, array(_KEY_CODE, keys)))
        self._documents = []
        docs_of: dict[int, list[int]] = {key: [] for key, n in counts.items() if n >= threshold}
        if not docs_of:
            return []
        found_in = set(docs_of)
        for docnum, doc_keys in keys_of:
            for key in found_in.intersection(doc_keys):
                docs_of[key].append(docnum)
        words = [b"", *(w.encode("utf-8") for w in frequent)]
        found = []
        for key, docs in docs_of.items():
            first, second = array(_PAIR_CODE, array(_KEY_CODE, [key]).tobytes())
            found.append((pair_text(words[first], words[second]), docs))
        found.sort()
        return found


def _pair_keys(parts: list[array[int]]) -> set[int]:
    """The keys of the adjacent words of each part (never across two parts): the bytes of two consecutive
    numbers (:data:`_PAIR_CODE`) read as one :data:`_KEY_CODE` integer, at even and at odd offsets."""
    keys: set[int] = set()
    for numbers in parts:
        data = memoryview(numbers.tobytes())
        size = _KEY_SIZE
        for offset in (0, size // 2):
            usable = (len(data) - offset) // size * size
            keys.update(data[offset : offset + usable].cast(_KEY_CODE))  # type: ignore[call-overload]
    return keys


def pairs_from_positions(
    frequent: list[Frequent], doc_count: int, positions: Any
) -> list[tuple[bytes, list[int]]]:
    """The word pairs of a segment from the postings of its frequent words (each ``(term, documents, position
    values)``, documents in order): each document's frequent words in position order, cut where positions
    are not consecutive, counted by :class:`PairCounter` as a build's documents are."""
    if not frequent:
        return []
    doc_frequency = {term: len(ids) for term, ids, _values in frequent}
    counter = PairCounter()
    cursors = [0] * len(frequent)
    last = max(ids[-1] for _term, ids, _values in frequent)
    first = min(ids[0] for _term, ids, _values in frequent)
    for start in range(first, last + 1, DOCS_AT_A_TIME):
        end = start + DOCS_AT_A_TIME
        word_at: dict[int, dict[int, str]] = {}
        for w, (term, ids, values) in enumerate(frequent):
            i = cursors[w]
            j = bisect_left(ids, end, i)
            for docnum, value in zip(ids[i:j], values[i:j], strict=True):
                at = word_at.get(docnum)
                if at is None:
                    at = word_at[docnum] = {}
                at.update(zip(positions(value), repeat(term)))
            cursors[w] = j
        for docnum in sorted(word_at):
            at = word_at[docnum]
            runs: list[list[str]] = []
            run: list[str] = []
            previous = -2
            for pos in sorted(at):
                if pos != previous + 1 and run:
                    runs.append(run)
                    run = []
                run.append(at[pos])
                previous = pos
            runs.append(run)
            counter.add(docnum, runs, set(at.values()))
    return counter.postings(doc_count, doc_frequency.__getitem__)
