"""Segment writing for builds: a segment writer that keeps each term's postings in memory and writes them
term by term, instead of Whoosh's posting pool.

Whoosh's writer turns every posting into a tuple in a pool (spilled to disk and read back when large),
sorts them all when the segment is flushed, and writes them one ``add`` at a time; a worker of a first open
spent about three quarters of its time there and in the word-pair pass. :class:`TermBufferWriter` writes
the same segment files (same bytes: ``tests/unit/test_segment_writing.py`` compares them with Whoosh's)
from a dictionary per field of term -> postings (flat lists), which needs only the terms sorted, and
writes each term's blocks whole (:func:`~reader.core.search.whoosh_private.write_term_postings`).

A build's new segment (:meth:`TermBufferWriter.add_document`): text fields of
:class:`~reader.core.search.analysis._MixedPositions` are analysed once per document
(:func:`~reader.core.search.analysis.term_positions`), which also gives the ``all`` field's words in order
for :class:`PairCounter`. (An idle merge streams its segments' postings instead:
:mod:`reader.core.search.segment_merging`.)

The word pairs (:mod:`reader.core.search.pairs`) are counted exactly, in every document: a pair
of two words each in :func:`~reader.core.search.pairs.pair_threshold` documents is indexed when it is
adjacent in :func:`~reader.core.search.pairs.pair_adjacent_threshold` documents (such phrases are the
costly ones to check by positions). The cyclic garbage collector is off while a worker fills a writer
(``building._worker_build``): the buffers are hundreds of thousands of lists it would walk again and again.
``add_reader`` (Whoosh's merging) is left to Whoosh's writer.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat
from typing import Any

from reader.core.search.analysis import MixedTokenizer, _MixedPositions, positions_value, term_positions
from reader.core.search.pairs import (
    PAIR_FIELD,
    SOURCE_FIELD,
    pair_adjacent_threshold,
    pair_text,
    pair_threshold,
)
from reader.core.search.whoosh_private import (
    SegmentWriterWithHooks,
    check_writer_open,
    mark_documents_added,
    rounded_length,
    write_term_postings,
)

__all__ = ["PairCounter", "TermBufferWriter"]

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


class TermBufferWriter(SegmentWriterWithHooks):
    """A segment writer for new segments whose postings are kept per term in memory and written term by term
    (same files as Whoosh's writer; see the module). Schemas with vectors, columns or spelling fields, and
    ``add_reader``, are left to Whoosh's writer."""

    def __init__(self, ix: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(ix, *args, **kwargs)
        schema = self.schema
        self._buffered = all(
            not (field.vector or field.column_type or field.separate_spelling())
            for _n, field in schema.items()
        )
        self._buffers: dict[str, _FieldBuffer] = {}
        #: fieldname -> rounded length of each document (scorable fields)
        self._lengths: dict[str, list[int]] = {}
        self._pairs = PairCounter() if PAIR_FIELD in schema and SOURCE_FIELD in schema else None
        self._with_buffers = False

    def add_document(self, **fields: Any) -> None:
        if not self._buffered:
            super().add_document(**fields)
            return
        check_writer_open(self)
        schema = self.schema
        names = sorted(name for name in fields if not name.startswith("_"))
        unknown = [name for name in names if name not in schema]
        if unknown:
            super().add_document(**fields)  # Whoosh's error for an unknown field
            return
        perdoc = self.perdocwriter
        docnum = self.docnum
        docboost = float(fields.get("_boost", 1.0))
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    boost = float(fields.get(f"_{name}_boost", docboost))
                    length = self._index_field(name, field, value, boost, docnum)
                    if not field.scorable:
                        length = 0
                    if length:
                        lengths = self._lengths.setdefault(name, [])
                        lengths.extend(repeat(0, docnum - self.docbase - len(lengths)))
                        lengths.append(rounded_length(length))
                stored = fields.get(f"_stored_{name}", value)
                perdoc.add_field(name, field, stored if field.stored else None, length)
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._with_buffers = True
        mark_documents_added(self)
        self.docnum += 1

    def _index_field(self, name: str, field: Any, value: Any, boost: float, docnum: int) -> int:
        """Add one field's postings to the buffers; returns its length (the number of its terms)."""
        buffer = self._buffers.get(name)
        if buffer is None:
            buffer = self._buffers[name] = _FieldBuffer(field)
        terms = buffer.terms
        if not buffer.mixed:
            length = 0
            for btext, freq, weight, vbytes in field.index(value):
                length += freq
                terms.setdefault(btext, []).extend((docnum, weight * boost, vbytes))
            return length
        if value == "":  # an empty field: no terms
            return 0
        parts = value if isinstance(value, (list, tuple)) else [value]
        if not all(isinstance(p, str) for p in parts):
            raise ValueError(f"{value!r} is not unicode or sequence")
        poses, part_terms = term_positions(parts)
        if name == SOURCE_FIELD and self._pairs is not None:
            self._pairs.add(docnum - self.docbase, part_terms, poses)
        if boost != 1.0:
            buffer.boosts[docnum] = boost
        encode = buffer.encode
        assert encode is not None
        if type(field.format).encode is _MixedPositions.encode:
            encode = positions_value  # the same bytes, one call fewer a posting
        get = terms.get
        for term, poslist in poses.items():
            found = get(term)
            if found is None:
                terms[term] = [docnum, len(poslist), encode(poslist)]
            else:
                found += (docnum, len(poslist), encode(poslist))
        return sum(len(t) for t in part_terms)

    def add_reader(self, reader: Any) -> None:
        if self._with_buffers:
            raise RuntimeError("TermBufferWriter writes new segments only: add_reader is not supported")
        self._buffered = False
        super().add_reader(reader)

    def _flush_segment(self) -> None:
        if not self._with_buffers:
            super()._flush_segment()
            return
        self.perdocwriter.close()
        doc_count = self.docnum - self.docbase
        buffers = dict(self._buffers)
        source = buffers.get(SOURCE_FIELD)
        if self._pairs is not None and source is not None and source.mixed:
            terms = source.terms
            pairs = self._pairs.postings(doc_count, lambda term: len(terms[term]) // 3)
            if pairs:
                buffers[PAIR_FIELD] = _FieldBuffer(self.schema[PAIR_FIELD], pairs)
        fieldwriter = self.fieldwriter
        for name in sorted(buffers):
            buffer = buffers[name]
            if not buffer.terms:
                continue
            fieldwriter.start_field(name, self.schema[name])
            doc_lengths = self._lengths.get(name)
            if doc_lengths is not None:
                doc_lengths.extend(repeat(0, doc_count - len(doc_lengths)))
            for btext, ids, weights, values in buffer.sorted_postings():
                if doc_lengths:
                    lengths = (
                        [doc_lengths[d - self.docbase] for d in ids]
                        if self.docbase
                        else list(map(doc_lengths.__getitem__, ids))
                    )
                else:
                    lengths = [0] * len(ids)
                write_term_postings(fieldwriter, btext, ids, weights, values, lengths)
            fieldwriter.finish_field()
        self._buffers.clear()
        fieldwriter.close()


class _FieldBuffer:
    """The postings of one field of a segment being written, per term, as flat lists: ``[docnum, number of
    positions, value, …]`` for text fields of :class:`~reader.core.search.analysis._MixedPositions`
    (``mixed``; the weight, the number of positions times the boosts, is worked out when written),
    ``[docnum, weight, value, …]`` for the others (keyed by the term's bytes). A flat list takes about half
    the memory of a tuple a posting."""

    def __init__(self, field: Any, pairs: list[tuple[bytes, list[int]]] | None = None) -> None:
        fmt = field.format
        self.mixed = isinstance(fmt, _MixedPositions) and isinstance(field.analyzer, MixedTokenizer)
        self.encode: Callable[[list[int]], bytes] | None = fmt.encode if self.mixed else None
        self.field_boost: float = fmt.field_boost
        self.terms: dict[Any, list[Any]] = {}
        #: document -> field boost, for the documents whose boost is not 1
        self.boosts: dict[int, float] = {}
        if pairs is not None:  # word pairs: weight 1, no value
            self.terms = {btext: [x for d in docs for x in (d, 1.0, b"")] for btext, docs in pairs}

    def sorted_postings(self) -> Iterator[tuple[bytes, list[int], list[float], list[bytes]]]:
        """``(term, documents, weights, values)`` of each term, in the order of the terms' bytes."""
        if not self.mixed:
            for btext, flat in sorted(self.terms.items()):
                yield btext, flat[0::3], flat[1::3], flat[2::3]
            return
        fb, boosts = self.field_boost, self.boosts
        # UTF-8 keeps the order of code points: the terms sort as their bytes do.
        for term, flat in sorted(self.terms.items()):
            ids = flat[0::3]
            weights = list(map(float, flat[1::3]))
            if fb != 1.0:
                weights = [w * fb for w in weights]
            if boosts:
                weights = [w * boosts.get(d, 1.0) for d, w in zip(ids, weights, strict=True)]
            yield term.encode("utf-8"), ids, weights, flat[2::3]
