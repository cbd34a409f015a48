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
for :class:`~reader.core.search.pairs.PairCounter`. (An idle merge streams its segments' postings instead:
:mod:`reader.core.search.segment_merging`.)

The word pairs are counted exactly, in every document (:mod:`reader.core.search.pairs`). The cyclic garbage
collector is off while a worker fills a writer (``building._worker_build``): the buffers are hundreds of
thousands of lists it would walk again and again.
``add_reader`` (Whoosh's merging) is left to Whoosh's writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import repeat
from typing import Any

from reader.core.search.analysis import MixedTokenizer, _MixedPositions, positions_value, term_positions
from reader.core.search.pairs import PAIR_FIELD, SOURCE_FIELD, PairCounter
from reader.core.search.whoosh_private import (
    SegmentWriterWithHooks,
    check_writer_open,
    mark_documents_added,
    rounded_length,
    write_term_postings,
)

__all__ = ["TermBufferWriter"]


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
        #: the posting value of a list of positions (text fields): ``positions_value`` when the format's
        #: encode is :class:`_MixedPositions`' (the same bytes, one call fewer a posting)
        self.encode: Callable[[list[int]], bytes] | None = None
        if self.mixed:
            own = getattr(type(fmt), "encode", None) is not _MixedPositions.encode
            self.encode = fmt.encode if own else positions_value
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
