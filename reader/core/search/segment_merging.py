"""Segment merging for idle merges: one pass over the segments' sorted term lists, each term written as soon
as it is read, instead of Whoosh's posting pool.

Whoosh's ``add_reader`` puts every posting of every merged segment into its pool (a tuple each, spilled to
disk and read back), sorts them, and writes them one ``add`` at a time: a merge of 2,800 articles took 19 s.
:meth:`MergingSegmentWriter.merge_segments` writes the live documents' stored fields and lengths as Whoosh
does, then walks the segments' term lists together (they are sorted: a heap merge), reads each term's
postings a block at a time from every segment that has it, renumbers them (deleted documents left out) and
writes them whole (:func:`~reader.core.search.whoosh_private.write_term_postings`): the same segment files
as Whoosh's merge (``tests/unit/test_segment_writing.py`` compares the bytes), in memory one term at a time
plus the positions of the frequent words of the paired field.

The word pairs of the merged segment are counted again, exactly: each document's frequent words come back
in order from their positions (runs of consecutive positions) and go through
:class:`~reader.core.search.pairs.PairCounter`, as a build's documents do
(:func:`~reader.core.search.pairs.pairs_from_positions`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

from reader.core.search.pairs import PAIR_FIELD, SOURCE_FIELD, Frequent, pair_threshold, pairs_from_positions
from reader.core.search.whoosh_private import (
    SegmentWriterWithHooks,
    check_writer_open,
    mark_documents_added,
    read_postings,
    rounded_length,
    write_term_postings,
)

__all__ = ["MergingSegmentWriter"]


class MergingSegmentWriter(SegmentWriterWithHooks):
    """A segment writer that merges whole segments into its new segment (:meth:`merge_segments`, once)."""

    def __init__(self, ix: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(ix, *args, **kwargs)
        self._merged = False

    def merge_segments(self, readers: list[Any]) -> None:
        """Write the live documents of ``readers`` (segment readers, in this order) into the new segment."""
        check_writer_open(self)
        if self._merged:
            raise RuntimeError("merge_segments writes a new segment once")
        schema = self.schema
        base = self.docbase
        renumbered: list[dict[int, int]] = []
        names: set[str] = set()
        for reader in readers:
            start = self.docnum
            indexed = {n for n in reader.indexed_field_names() if n in schema}
            names |= indexed
            docmap = self.write_per_doc(set(schema.names()) | indexed, reader)
            if docmap is None:  # no deletions
                docmap = dict(zip(range(reader.doc_count_all()), range(start, self.docnum), strict=True))
            renumbered.append(docmap)
        doc_count = self.docnum - base
        threshold = pair_threshold(doc_count)
        with_pairs = PAIR_FIELD in schema and SOURCE_FIELD in names and doc_count >= threshold
        frequent: list[Frequent] = []
        for name in sorted(names - {PAIR_FIELD}):
            if with_pairs and name > PAIR_FIELD:
                self._write_pairs(frequent, doc_count)
                with_pairs = False
            lengths = self._lengths(name, readers, renumbered, doc_count)
            wanted = frequent if with_pairs and name == SOURCE_FIELD else None
            self._merge_field(name, readers, renumbered, lengths, wanted, threshold)
        if with_pairs:
            self._write_pairs(frequent, doc_count)
        self._merged = True
        mark_documents_added(self)

    def _lengths(
        self, name: str, readers: list[Any], renumbered: list[dict[int, int]], doc_count: int
    ) -> list[int] | None:
        """Each new document's length of a scorable field, as a flush reads it back (None: not scorable)."""
        if not self.schema[name].scorable:
            return None
        lengths = [0] * doc_count
        base = self.docbase
        for reader, docmap in zip(readers, renumbered, strict=True):
            for old, new in docmap.items():
                lengths[new - base] = rounded_length(reader.doc_field_length(old, name) or 0)
        return lengths

    def _merge_field(
        self,
        name: str,
        readers: list[Any],
        renumbered: list[dict[int, int]],
        lengths: list[int] | None,
        frequent: list[Frequent] | None,
        threshold: int,
    ) -> None:
        """Write one field's terms, in order, each with the postings of every segment that has it; keep the
        postings of the words in ``threshold`` documents in ``frequent`` (when given)."""
        field = self.schema[name]
        keep_values = field.format.fixed_value_size() != 0
        base = self.docbase
        fieldwriter = self.fieldwriter
        started = False
        tagged = (_tagged_terms(reader, name, i) for i, reader in enumerate(readers))
        for btext, group in groupby(heapq.merge(*tagged), itemgetter(0)):
            ids: list[int] = []
            weights: list[float] = []
            values: list[Any] = []
            for _btext, i in group:
                read_ids: list[int] = []
                read_weights: list[float] = []
                read_values: list[Any] | None = [] if keep_values else None
                read_postings(readers[i], name, btext, read_ids, read_weights, read_values)
                docmap = renumbered[i]
                for k, old in enumerate(read_ids):
                    new = docmap.get(old)
                    if new is not None:
                        ids.append(new)
                        weights.append(read_weights[k])
                        values.append(read_values[k] if read_values is not None else b"")
            if not ids:  # only deleted documents had it
                continue
            if not started:
                fieldwriter.start_field(name, field)
                started = True
            doc_lengths = [lengths[d - base] for d in ids] if lengths is not None else [0] * len(ids)
            write_term_postings(fieldwriter, btext, ids, weights, values, doc_lengths)
            if frequent is not None and len(ids) >= threshold:
                frequent.append((btext.decode("utf-8"), ids, values))
        if started:
            fieldwriter.finish_field()

    def _write_pairs(self, frequent: list[Frequent], doc_count: int) -> None:
        fmt = self.schema[SOURCE_FIELD].format
        pairs = pairs_from_positions(
            frequent, doc_count, getattr(fmt, "positions_view", fmt.decode_positions)
        )
        frequent.clear()
        if not pairs:
            return
        fieldwriter = self.fieldwriter
        fieldwriter.start_field(PAIR_FIELD, self.schema[PAIR_FIELD])
        for btext, docs in pairs:
            count = len(docs)
            write_term_postings(fieldwriter, btext, docs, [1.0] * count, [b""] * count, [0] * count)
        fieldwriter.finish_field()

    def _flush_segment(self) -> None:
        if not self._merged:
            super()._flush_segment()
            return
        self.perdocwriter.close()
        self.fieldwriter.close()


def _tagged_terms(reader: Any, name: str, index: int) -> Iterator[tuple[bytes, int]]:
    """``(term, index)`` for each term of a reader's field, in term order (for the heap merge)."""
    return ((btext, index) for btext in reader.lexicon(name))
