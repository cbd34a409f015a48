"""Every private or undocumented Whoosh name the search package relies on, and nothing else.

whoosh-reloaded is pinned at 2.7.5: the speed-ups of this package reach into Whoosh's internals (names that
start with ``_``, attributes of its codec, writer, readers and matchers that its documentation does not
promise). They are all touched here, behind small functions and subclasses with hooks, so that the other
modules use only Whoosh's public API plus this module. :data:`RELIED_ON` lists each name with the modules that
depend on it; ``tests/unit/test_whoosh_private.py`` checks every one of them in the installed Whoosh and names
the module to adapt when an upgrade changes one.
"""

from __future__ import annotations

import copy
import pickle
import zlib
from array import array
from collections.abc import Collection, Iterator
from itertools import accumulate
from operator import sub
from typing import Any

from whoosh import qparser
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.index import TOC, clean_files
from whoosh.query.spans import SpanNear2
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from reader.core.search.view_stream import ViewStream

try:
    from whoosh.codec.whoosh3 import (
        LENGTHS_COLUMN,
        WHOOSH3_HEADER_MAGIC,
        W3Codec,
        W3LeafMatcher,
        W3PostingsWriter,
        W3TermInfo,
        _lenfield,
    )
    from whoosh.system import _INT_SIZE, pack_int, pack_long, pack_ushort
except ImportError as exc:  # pragma: no cover - only with another Whoosh
    raise ImportError(
        f"whoosh-reloaded changed {exc.name}: {exc}; the reader relies on it in reader/core/search/"
        "whoosh_private.py (for analysis.py and scoring.py); pin 2.7.5 or adapt"
    ) from exc

__all__ = [
    "BLOCK_PICKLE_PROTOCOL",
    "INT_SIZE",
    "RELIED_ON",
    "LazyCompoundStorage",
    "PhraseSpanMatcher",
    "PresetSegmentReader",
    "Protocol5Codec",
    "SegmentWriterWithHooks",
    "StarOnlyWildcardPlugin",
    "bm25_parameters",
    "check_writer_open",
    "clean_index_files",
    "close_segment",
    "commit_with_segments",
    "expanded_terms",
    "field_length_bytes",
    "finish_unlocked_segment",
    "mark_documents_added",
    "open_unlocked_writer",
    "protocol5_codec",
    "read_postings",
    "read_toc",
    "read_whole_postings",
    "reader_segment_id",
    "rounded_length",
    "term_matcher",
    "write_term_postings",
    "writer_has_documents",
    "writer_segments",
]

#: Private or undocumented Whoosh names -> the modules of this package that rely on them.
RELIED_ON: dict[str, tuple[str, ...]] = {
    "whoosh.system._INT_SIZE": ("analysis.py", "scoring.py"),
    "whoosh.codec.whoosh3._lenfield, LENGTHS_COLUMN": ("scoring.py",),
    "W3PerDocReader._cached_reader, column ._dbfile ._basepos ._count": ("scoring.py",),
    "W3LeafMatcher._read_data ._data ._byteids ._read_weights ._weights": ("scoring.py",),
    "W3LeafMatcher._read_values ._values ._next_block": ("scoring.py",),
    "SegmentReader._terms ._segid ._perdoc ._segment ._gen ._storage ._codec": ("scoring.py", "storage.py"),
    "BM25F._field_B .B .K1": ("scoring.py",),
    "Query._btexts": ("query.py", "scoring.py", "snippets.py"),
    "FileIndex._read_toc": ("lifecycle.py", "maintenance.py"),
    "SegmentWriter(_lk=False)": ("building.py",),
    "SegmentWriter._added ._merge_segments ._finalize_segment ._close_segment": (
        "building.py",
        "segment_writing.py",
    ),
    "SegmentWriter._commit_toc ._finish ._check_state .segments .generation": (
        "building.py",
        "segment_writing.py",
    ),
    "SegmentWriter._flush_segment .perdocwriter .pool .fieldwriter .codec .docnum .docbase": (
        "building.py",
        "segment_writing.py",
    ),
    "W3Codec._blocklimit ._compression ._inlinelimit .postings_writer": ("building.py",),
    "W3PostingsWriter._write_block ._new_block ._blockcount ._postfile ._terminfo ._ids": ("building.py",),
    "W3PostingsWriter._mini_* ._compression ._maxweight ._minlength ._maxlength": ("building.py",),
    "W3FieldWriter._postwriter ._format ._fieldid ._tindex, W3TermInfo._struct": (
        "segment_writing.py",
        "segment_merging.py",
    ),
    "W3PostingsWriter._blocklimit ._inlinelimit ._postfile ._compression, block format": (
        "segment_writing.py",
    ),
    "whoosh.util.numeric.byte_to_length, length_to_byte": ("segment_writing.py",),
    "whoosh.index.TOC(schema, segments, generation).write, clean_files": ("building.py", "maintenance.py"),
    "CompoundStorage._source .is_closed .range": ("storage.py",),
    "BufferFile._buf ._name .onclose .is_real .is_closed .file": ("storage.py",),
    "SpanNear2.SpanNear2Matcher._get_spans .ms": ("query.py",),
    "WildcardPlugin.qmarks": ("query.py",),
}

#: Bytes of the count in front of a posting value (Whoosh's ``_INT_SIZE``).
INT_SIZE: int = _INT_SIZE


# ------------------------------------------------------------------------------------------- the index


def read_toc(ix: Any) -> Any:
    """The newest table of contents of a FileIndex (schema, segments, generation), read from disk."""
    return ix._read_toc()


# ------------------------------------------------------------------------------------------- readers


class PresetSegmentReader(SegmentReader):  # type: ignore[misc]
    """A SegmentReader over files someone else opened (no files opened here): the per-document reader is a
    shallow copy (its column caches shared) pointing at ``segment``, so that it sees this segment's
    deletions."""

    def __init__(
        self, schema: Any, segment: Any, generation: int, storage: Any, codec: Any, terms: Any, perdoc: Any
    ) -> None:
        self.schema = schema
        self.is_closed = False
        self._segment = segment
        self._segid = segment.segment_id()
        self._gen = generation
        self._storage = storage
        self._codec = codec
        self._terms = terms
        perdoc = copy.copy(perdoc)
        perdoc._segment = segment
        self._perdoc = perdoc


def reader_segment_id(reader: Any) -> str | None:
    """The segment id of a segment reader, None for other readers."""
    segid: str | None = getattr(reader, "_segid", None)
    return segid


def field_length_bytes(reader: Any, fieldname: str, count: int) -> bytes | None:
    """The first ``count`` one-byte encoded field lengths of a segment's documents (None: no column)."""
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    raw: bytes = column._dbfile.get(column._basepos, min(column._count, count))
    return raw


def read_postings(
    reader: Any, fieldname: str, btext: bytes, ids: list[int], weights: list[Any], values: list[Any] | None
) -> None:
    """Append all postings of a term of a segment reader, deleted documents included (a block at a time
    where the matcher is Whoosh 3's, else one at a time)."""
    m = term_matcher(reader, fieldname, btext)
    if read_whole_postings(m, ids, weights, values):
        return
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if values is not None:
            values.append(m.value())
        m.next()


def term_matcher(reader: Any, fieldname: str, btext: bytes) -> Any:
    """The raw posting matcher of a term in a segment reader (no scorer)."""
    return reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format, scorer=None)


def read_whole_postings(m: Any, ids: list[int], weights: list[Any], values: list[Any] | None) -> bool:
    """Append a matcher's document numbers, weights (and raw values) a whole block at a time; False (nothing
    read) when ``m`` is not Whoosh 3's block matcher."""
    if not isinstance(m, W3LeafMatcher):
        return False
    while m.is_active():
        m._read_data()
        raw_ids = m._data[0]
        ids.extend(raw_ids if m._byteids else accumulate(raw_ids))  # Whoosh: delta_decode in Python
        m._read_weights()
        weights.extend(m._weights)
        if values is not None:
            m._read_values()
            values.extend(m._values)
        m._next_block()
    return True


# ------------------------------------------------------------------------------------------- queries


def expanded_terms(q: Any, reader: Any) -> Iterator[Any]:
    """The indexed words a prefix, wildcard, fuzzy term or range expands to in ``reader``."""
    found: Iterator[Any] = q._btexts(reader)
    return found


def bm25_parameters(weighting: Any, fieldname: str) -> tuple[float, float]:
    """``(B, K1)`` of a BM25F weighting for one field."""
    return weighting._field_B.get(fieldname, weighting.B), weighting.K1


class PhraseSpanMatcher(SpanNear2.SpanNear2Matcher):  # type: ignore[misc]
    """SpanNear2's matcher whose spans come from :meth:`find_spans` over the phrase's word matchers."""

    def _get_spans(self) -> list[Any]:
        return self.find_spans(self.ms)

    def find_spans(self, word_matchers: list[Any]) -> list[Any]:
        raise NotImplementedError


class StarOnlyWildcardPlugin(qparser.WildcardPlugin):  # type: ignore[misc]
    """Only ``*`` is a wildcard: a question mark typed at the end of a question stays punctuation."""

    qmarks = ""
    expr = "(?P<text>[*])"


# ------------------------------------------------------------------------------------------- writers


#: The pickle protocol of the posting blocks :class:`Protocol5Codec` writes. Whoosh writes protocol 2, in
#: which every posting's value (a ``bytes`` of positions) is pickled as a call of ``codecs.encode`` on a
#: latin-1 string: unpickling a block took most of the reading of a common word's postings (0.7 ms for
#: 1,400 postings, 0.08 ms at protocol 5), and the blocks are a fifth smaller.
BLOCK_PICKLE_PROTOCOL = 5


class _Protocol5PostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh 3's postings writer, writing each block as a pickle of :data:`BLOCK_PICKLE_PROTOCOL` (the
    rest as Whoosh's ``_write_block``; readers unpickle any protocol, so old segments stay readable)."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, BLOCK_PICKLE_PROTOCOL)
        comp = self._compression
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = pickle.dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                comp,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        postfile = self._postfile
        blocklength = len(infobytes) + len(databytes)
        postfile.write_int(-blocklength if last else blocklength)
        postfile.write(infobytes)
        postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class Protocol5Codec(W3Codec):  # type: ignore[misc]
    """Whoosh 3's codec whose posting blocks are pickles of :data:`BLOCK_PICKLE_PROTOCOL`.

    Every segment pickles its codec into the table of contents by name: keep this class here under this
    name (or leave an alias), or every index written with it is taken for damaged and rebuilt."""

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _Protocol5PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


def protocol5_codec(codec: Any) -> Any:
    """``codec`` (None: Whoosh's default) as a :class:`Protocol5Codec` with the same parameters; another
    kind of codec is returned unchanged."""
    if codec is None:
        return Protocol5Codec()
    if type(codec) is W3Codec:
        return Protocol5Codec(
            blocklimit=codec._blocklimit, compression=codec._compression, inlinelimit=codec._inlinelimit
        )
    return codec


class SegmentWriterWithHooks(SegmentWriter):  # type: ignore[misc]
    """Whoosh's SegmentWriter with three hooks: :meth:`segments_reader` (the reader ``delete_by_term``
    searches), :meth:`field_lengths` (what the flush asks each posting's field length) and
    :meth:`segment_postings` (the postings a flush writes). It writes through :class:`Protocol5Codec`
    (Whoosh's codec, or the one given, with the same parameters)."""

    def __init__(self, ix: Any, *args: Any, codec: Any = None, **kwargs: Any) -> None:
        super().__init__(ix, *args, codec=protocol5_codec(codec), **kwargs)

    def segments_reader(self, storage: Any, schema: Any, segments: list[Any], generation: int) -> Any:
        """A reader over the writer's segments, or None for Whoosh's own."""
        return None

    def field_lengths(self, per_document_reader: Any) -> Any:
        """An object with ``doc_field_length(docnum, fieldname)`` for the flush."""
        return per_document_reader

    def reader(self, reuse: Any = None) -> Any:
        self._check_state()
        found = self.segments_reader(self.storage, self.schema, self.segments, self.generation)
        return super().reader(reuse=reuse) if found is None else found

    def segment_postings(self, postings: Iterator[Any], doc_count: int) -> Iterator[Any]:
        """The sorted ``(fieldname, btext, docnum, weight, value)`` postings the flush writes for a segment
        of ``doc_count`` documents: the pool's, with the frequent word pairs of
        :mod:`reader.core.search.pairs` when the schema has their field."""
        from reader.core.search.pairs import PAIR_FIELD, SOURCE_FIELD, with_pairs

        if PAIR_FIELD not in self.schema or SOURCE_FIELD not in self.schema:
            return postings
        fmt = self.schema[SOURCE_FIELD].format
        return with_pairs(postings, doc_count, getattr(fmt, "positions_view", fmt.decode_positions))

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        postings = self.segment_postings(self.pool.iter_postings(), self.docnum - self.docbase)
        self.fieldwriter.add_postings(self.schema, self.field_lengths(pdr) if pdr else None, postings)
        self.fieldwriter.close()
        if pdr:
            pdr.close()


def open_unlocked_writer(writer_class: type[Any], ix: Any, **kwargs: Any) -> Any:
    """A writer that does not take the index lock (a worker process: its parent holds it)."""
    return writer_class(ix, _lk=False, **kwargs)


def check_writer_open(writer: Any) -> None:
    """Raise Whoosh's error if the writer was closed (what each of its ``add_document`` checks first)."""
    writer._check_state()


def mark_documents_added(writer: Any) -> None:
    """Tell a SegmentWriter that its new segment has documents (what its ``add_document`` notes)."""
    writer._added = True


def rounded_length(length: int) -> int:
    """A field length as the segment stores it (one byte) and its readers give it back: what a flush passes
    with each posting for its block's statistics."""
    return byte_to_length(length_to_byte(length)) if length else 0


#: The fixed part of a W3 term info (flags, weight, doc frequency, min and max length bytes, max weight, first
#: and last document).
_TERM_INFO = W3TermInfo._struct


def write_term_postings(
    fieldwriter: Any,
    btext: bytes,
    ids: list[int],
    weights: list[float],
    values: list[bytes],
    lengths: list[int],
) -> None:
    """Write one term's postings (sorted by document; ``lengths`` as :func:`rounded_length` gives them) into
    the field a W3 field writer is in: the same bytes as one ``add`` a posting through
    :class:`Protocol5Codec`'s postings writer, a whole block at a time, and the same term info."""
    postwriter = fieldwriter._postwriter
    limit = postwriter._blocklimit
    count = len(ids)
    if count < postwriter._inlinelimit:  # inlined in the term table: Whoosh's own path
        fieldwriter.start_term(btext)
        for posting in zip(ids, weights, values, lengths, strict=True):
            fieldwriter.add(*posting)
        fieldwriter.finish_term()
        return
    postfile = postwriter._postfile
    comp = postwriter._compression
    fixedsize = fieldwriter._format.fixed_value_size()
    start_offset = postfile.tell()
    out = bytearray(WHOOSH3_HEADER_MAGIC)
    # the term info's statistics, accumulated block by block as W3TermInfo.add_block does
    total_weight: float = 0
    min_length: int | None = None
    max_length = 0
    max_weight_all: float = 0
    for start in range(0, count, limit):
        end = min(count, start + limit)
        block_ids = ids[start:end]
        block_weights = weights[start:end]
        stored_weights = array("f", block_weights)
        block_lengths = lengths[start:end]
        if 0 in block_lengths:  # no length: not counted (a field without lengths)
            block_lengths = [n for n in block_lengths if n]
        block_min = min(block_lengths) if block_lengths else None
        block_max = max(block_lengths, default=0)
        max_weight = max(0, max(block_weights))
        total_weight += sum(stored_weights)
        if min_length is None:
            min_length = block_min
        elif block_min is not None:
            min_length = min(min_length, block_min)
        max_length = max(max_length, block_max)
        max_weight_all = max(max_weight_all, max_weight)
        first = stored_weights[0]
        if first == 1.0 and stored_weights.count(first) == len(stored_weights):
            mini_weights: Any = None
        elif stored_weights.count(first) == len(stored_weights):
            mini_weights = first
        else:
            mini_weights = tuple(stored_weights)
        block_values = values[start:end]
        if b"" in block_values:  # empty values are not kept
            block_values = [v for v in block_values if v]
        if fixedsize is None or fixedsize < 0:
            mini_values: Any = tuple(block_values)
        elif fixedsize == 0:
            mini_values = None
        else:
            mini_values = b"".join(block_values)
        mini_ids = (block_ids[0], *map(sub, block_ids[1:], block_ids))
        databytes = pickle.dumps((mini_ids, mini_weights, mini_values), BLOCK_PICKLE_PROTOCOL)
        if comp:
            databytes = zlib.compress(databytes, comp)
        info = (
            end - start,
            block_ids[-1],
            max_weight,
            comp,
            length_to_byte(block_min),
            length_to_byte(block_max),
        )
        infobytes = pickle.dumps(info, 2)
        blocklength = len(infobytes) + len(databytes)
        out += pack_int(-blocklength if end == count else blocklength)
        out += infobytes
        out += databytes
    postfile.write(out)
    # W3TermInfo(...).to_bytes() of a term whose postings are in the postings file (not inlined)
    terminfo = (
        _TERM_INFO.pack(
            False,
            total_weight,
            count,
            0 if min_length is None else length_to_byte(min_length),
            length_to_byte(max_length),
            max_weight_all,
            ids[0],
            ids[-1],
        )
        + pack_long(start_offset)
        + pack_int(len(out))
    )
    fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + btext, terminfo)


def writer_segments(writer: Any) -> list[Any]:
    """The segments of the table of contents the writer started from."""
    segments: list[Any] = writer.segments
    return segments


def writer_has_documents(writer: Any) -> bool:
    """Whether documents were added to the writer's new segment."""
    return bool(writer._added)


def finish_unlocked_segment(writer: Any) -> Any:
    """Write the writer's new segment and return it (None if it is empty), without committing."""
    segment = writer._finalize_segment() if writer._added else None
    if segment is None:
        writer._close_segment()
    return segment


def close_segment(writer: Any) -> None:
    """Abandon the writer's new segment."""
    writer._close_segment()


def commit_with_segments(
    writer: Any, segments: list[Any], *, clean: bool = True, drop: Collection[str] = ()
) -> None:
    """Commit the writer plus ``segments`` (written elsewhere) into one table of contents, merging nothing;
    the segments whose ids are in ``drop`` leave it (``segments`` holds their documents: a merge).

    Whoosh's commit deletes every file of the index folder that no segment of the new table of contents
    names: with ``clean=False`` it deletes nothing, as segments that worker processes are still writing
    are not in it yet (:func:`clean_index_files` then cleans once they are)."""
    final = [s for s in writer._merge_segments(None, False, False) if s.segment_id() not in drop]
    final.extend(segments)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    if clean:
        writer._commit_toc(final)
    else:
        TOC(writer.schema, final, writer.generation).write(writer.storage, writer.indexname)
    writer._finish()


def clean_index_files(ix: Any) -> None:
    """Delete the files of old tables of contents and of segments the current one does not name (what each
    of Whoosh's commits does)."""
    toc = read_toc(ix)
    clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)


# ------------------------------------------------------------------------------------------- storage


class LazyBufferFile(BufferFile):  # type: ignore[misc]
    """Whoosh's BufferFile without the up-front copy: whoosh-reloaded copies every part of a compound segment
    (the whole postings file) into a BytesIO when a reader opens it (~10 ms a segment); most reads use
    ``get`` on the memory map, and stream reads (a matcher's header) go through a :class:`ViewStream`."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self._stream: Any = None
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    @property
    def file(self) -> Any:
        stream = self._stream
        if stream is None:
            stream = self._stream = ViewStream(memoryview(self._buf))
        return stream

    def close(self) -> None:
        if self.is_closed:
            raise OSError("this file is already closed")
        if self.onclose:
            self.onclose(self)
        if self._stream is not None:
            self._stream.close()
        self.is_closed = True


class LazyCompoundStorage(CompoundStorage):  # type: ignore[misc]
    """A compound segment file whose parts are opened as :class:`LazyBufferFile` (no copy)."""

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._source is None:
            return super().open_file(name, *args, **kwargs)
        if self.is_closed:
            raise OSError("the compound file was closed")
        offset, length = self.range(name)
        return LazyBufferFile(memoryview(self._source)[offset : offset + length], name=name)
