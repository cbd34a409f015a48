"""The private Whoosh names the search package relies on still exist, with the shape it expects.

Each entry of :data:`reader.core.search.whoosh_private.RELIED_ON` has a check here that exercises it on a real
index of the installed Whoosh (compared with Whoosh's public API where there is one). A failure names what
changed and which module to adapt; the fix is to pin whoosh-reloaded 2.7.5 again or to adapt that module.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as w_index
from whoosh import qparser
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from reader.core.search import whoosh_private as wp
from reader.core.search.pairs import PAIR_FIELD
from reader.core.search.schema import _schema
from reader.core.search.view_stream import ViewStream

DOCS = [
    {"relpath": "a.txt", "title": "Bone therapy", "all": ["Bone therapy", "the cat sat on the mat", "", ""]},
    {
        "relpath": "b.txt",
        "title": "Cats",
        "all": ["Cats", "the cat sat; therapies for cats", "a note", "tag"],
    },
    {"relpath": "c.txt", "title": "Mats and more mats", "all": ["Mats", "on the mat the cat", "", ""]},
]


def _int_size(ix: Any) -> None:
    from whoosh.system import _INT_SIZE, pack_uint

    assert _INT_SIZE == 4 == len(pack_uint(7)) == wp.INT_SIZE


def _length_column(ix: Any) -> None:
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    assert isinstance(_lenfield("title"), str) and LENGTHS_COLUMN is not None
    with ix.searcher() as searcher:
        r = searcher.reader()
        raw = wp.field_length_bytes(r, "all", r.doc_count_all())
        assert isinstance(raw, bytes) and len(raw) == len(DOCS)
        assert [byte_to_length(b) for b in raw] == [r.doc_field_length(d, "all") for d in range(len(DOCS))]
        assert wp.field_length_bytes(r, "author", 3) is None, "a field without lengths has no column"


def _postings(ix: Any, *, values: bool) -> None:
    with ix.searcher() as searcher:
        r = searcher.reader()
        fmt = r.schema["all"].format
        for btext in r.lexicon("all"):
            ids: list[int] = []
            weights: list[Any] = []
            vals: list[Any] = []
            assert wp.read_whole_postings(
                wp.term_matcher(r, "all", btext), ids, weights, vals if values else None
            )
            public = r.postings("all", btext)
            expected = []
            while public.is_active():
                expected.append((public.id(), public.weight(), public.value()))
                public.next()
            assert ids == [e[0] for e in expected] and weights == [e[1] for e in expected]
            if values:
                assert [fmt.decode_positions(v) for v in vals] == [
                    fmt.decode_positions(e[2]) for e in expected
                ]


def _segment_reader(ix: Any) -> None:
    with ix.searcher() as searcher:
        r = searcher.reader()
        segment = r.segment()
        parts = [r._storage, r._codec, r._terms, r._perdoc]
        preset = wp.PresetSegmentReader(r.schema, segment, r._gen, *parts)
        assert wp.reader_segment_id(preset) == wp.reader_segment_id(r) == segment.segment_id()
        assert preset._segment is segment and preset._perdoc is not r._perdoc
        assert [preset.stored_fields(d)["relpath"] for d in range(len(DOCS))] == [d["relpath"] for d in DOCS]
        assert list(preset.lexicon("title")) == list(r.lexicon("title"))
        assert preset.doc_field_length(0, "all") == r.doc_field_length(0, "all")


def _bm25(ix: Any) -> None:
    assert wp.bm25_parameters(BM25F(), "title") == (0.75, 1.2)
    assert wp.bm25_parameters(BM25F(B=0.5, K1=2.0, title_B=0.3), "title") == (0.3, 2.0)
    assert wp.bm25_parameters(BM25F(B=0.5, K1=2.0, title_B=0.3), "all") == (0.5, 2.0)


def _btexts(ix: Any) -> None:
    with ix.searcher() as searcher:
        r = searcher.reader()
        expanded = list(wp.expanded_terms(wq.Prefix("all", "ca"), r))
        assert expanded == list(r.expand_prefix("all", "ca")) and b"cat" in expanded


def _read_toc(ix: Any) -> None:
    toc = wp.read_toc(ix)
    assert toc.generation == ix.latest_generation()
    assert [s.segment_id() for s in toc.segments] == [s.segment_id() for s in ix._segments()]
    assert "all" in toc.schema


def _writers(ix: Any) -> None:
    assert "_lk" in inspect.signature(SegmentWriter.__init__).parameters
    before = ix.doc_count()
    locked = ix.writer()  # the lock is held: an unlocked writer still writes a segment
    try:
        worker = wp.open_unlocked_writer(SegmentWriter, ix)
        assert not wp.writer_has_documents(worker)
        worker.add_document(relpath="d.txt", title="Dogs", all=["Dogs", "a dog", "", ""])
        assert wp.writer_has_documents(worker)
        segment = wp.finish_unlocked_segment(worker)
        assert segment is not None and segment.doc_count_all() == 1
        empty = wp.open_unlocked_writer(SegmentWriter, ix)
        assert wp.finish_unlocked_segment(empty) is None
        assert [s.segment_id() for s in wp.writer_segments(locked)] == [
            s.segment_id() for s in ix._segments()
        ]
        wp.commit_with_segments(locked, [segment])
    except BaseException:
        locked.cancel()
        raise
    assert ix.doc_count() == before + 1
    with ix.searcher() as searcher:
        assert searcher.document(relpath="d.txt") is not None


def _commit_without_cleaning(ix: Any) -> None:
    """A commit with ``clean=False`` leaves a segment still being written (not in the new table of contents)
    alone; ``clean_index_files`` then deletes what no segment names, as Whoosh's own commit does."""
    in_flight = wp.open_unlocked_writer(SegmentWriter, ix)
    in_flight.add_document(relpath="f.txt", title="Foxes", all=["Foxes", "a fox", "", ""])
    flying = wp.finish_unlocked_segment(in_flight)
    files = {name for name in ix.storage if flying.segment_id() in name}
    assert files
    writer = ix.writer()
    writer.add_document(relpath="g.txt", title="Geese", all=["Geese", "a goose", "", ""])
    wp.commit_with_segments(writer, [], clean=False)
    assert files <= set(ix.storage)  # Whoosh's own commit would have deleted them
    old_tocs = [name for name in ix.storage if name.endswith(".toc")]
    assert len(old_tocs) >= 2
    wp.clean_index_files(ix)
    assert not files & set(ix.storage)
    assert [name for name in ix.storage if name.endswith(".toc")] == [
        f"_{ix.indexname}_{ix.latest_generation()}.toc"
    ]
    with ix.searcher() as searcher:
        assert searcher.document(relpath="g.txt") is not None


def _writer_hooks(ix: Any) -> None:
    calls: list[str] = []

    class Recording(wp.SegmentWriterWithHooks):  # type: ignore[misc]
        def segments_reader(self, storage: Any, schema: Any, segments: list[Any], generation: int) -> Any:
            calls.append("reader")
            return None

        def field_lengths(self, per_document_reader: Any) -> Any:
            calls.append("lengths")
            return per_document_reader

    writer = Recording(ix)
    writer.delete_by_term("relpath", "d.txt")
    writer.add_document(relpath="e.txt", title="Eels", all=["Eels", "an eel", "", ""])
    writer.commit()
    assert "reader" in calls and "lengths" in calls
    with ix.searcher() as searcher:
        assert searcher.document(relpath="e.txt") is not None and searcher.document(relpath="d.txt") is None


def _compound(ix: Any) -> None:
    from whoosh.filedb.compound import CompoundStorage

    segment = next(s for s in wp.read_toc(ix).segments if s.is_compound())
    name = segment.make_filename(segment.COMPOUND_EXT)
    lazy = wp.LazyCompoundStorage(ix.storage.open_file(name), use_mmap=ix.storage.supports_mmap)
    plain = CompoundStorage(ix.storage.open_file(name), use_mmap=ix.storage.supports_mmap)
    try:
        assert lazy._source is not None and not lazy.is_closed
        for part in plain.list():
            _offset, length = lazy.range(part)
            assert length == plain.file_length(part)
            mine, theirs = lazy.open_file(part), plain.open_file(part)
            assert isinstance(mine, wp.LazyBufferFile)
            assert bytes(mine.get(0, length)) == bytes(theirs.get(0, length))
            assert mine.read(length) == theirs.read(length), "a stream read works through .file"
            mine.close()
            with pytest.raises(OSError, match="already closed"):
                mine.close()
            theirs.close()
    finally:
        lazy.close()
        plain.close()


def _span_matcher(ix: Any) -> None:
    from whoosh.query.spans import Span, SpanNear2

    assert "_get_spans" in vars(SpanNear2.SpanNear2Matcher)
    seen: list[int] = []

    class Recording(wp.PhraseSpanMatcher):
        def find_spans(self, word_matchers: list[Any]) -> list[Any]:
            seen.append(len(word_matchers))
            return [Span(0, 1)]

    with ix.searcher() as searcher:
        ms = [wq.Term("all", w).matcher(searcher) for w in ("cat", "sat")]
        m = Recording(ms)
        found = []
        while m.is_active():
            found.append(m.id())
            m.next()
    assert seen and set(seen) == {2}
    assert found == [0, 1], "documents with both words, spans from find_spans"


def _qmarks(ix: Any) -> None:
    assert "qmarks" in vars(qparser.WildcardPlugin)
    parser = qparser.QueryParser("all", ix.schema)
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(wp.StarOnlyWildcardPlugin())
    assert isinstance(parser.parse("why?"), wq.Term)
    assert isinstance(parser.parse("wh*"), (wq.Prefix, wq.Wildcard))


def _all_postings(ix: Any) -> list[tuple[str, bytes, list[tuple[int, float, bytes]]]]:
    with ix.searcher() as searcher:
        r = searcher.reader()
        out = []
        for fieldname in r.indexed_field_names():
            for btext in r.lexicon(fieldname):
                m = r.postings(fieldname, btext)
                postings = []
                while m.is_active():
                    postings.append((m.id(), m.weight(), m.value()))
                    m.next()
                out.append((fieldname, btext, postings))
        return out


def _protocol5_codec(ix: Any) -> None:
    """A writer with hooks writes through Protocol5Codec (the codec's parameters kept): the same postings as
    Whoosh's own codec, in blocks pickled at protocol 5, which Whoosh's matchers read."""
    import pickle
    import zlib

    from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher

    many = [
        {"relpath": f"m{i}.txt", "all": ["M", f"the cat {i} sat " * (i % 7 + 1), "", ""]} for i in range(300)
    ]
    for compression in (0, 3):
        folder = Path(ix.storage.folder)
        for name in (f"plain{compression}", f"ours{compression}"):
            (folder / name).mkdir()
        plain_ix = w_index.FileIndex.create(FileStorage(str(folder / f"plain{compression}")), _schema(), "p")
        ours_ix = w_index.FileIndex.create(FileStorage(str(folder / f"ours{compression}")), _schema(), "p")
        plain = SegmentWriter(plain_ix, codec=W3Codec(compression=compression))
        ours = wp.SegmentWriterWithHooks(ours_ix, codec=W3Codec(compression=compression))
        assert isinstance(ours.codec, wp.Protocol5Codec) and ours.codec._compression == compression
        assert ours.codec._blocklimit == 128 and ours.codec._inlinelimit == 1
        for writer in (plain, ours):
            for doc in [*DOCS, *many]:
                writer.add_document(**doc)
            writer.commit()
        ours_postings = _all_postings(ours_ix)
        assert [p for p in ours_postings if p[0] != PAIR_FIELD] == _all_postings(plain_ix)
        pairs = {
            btext: [d for d, _w, _v in postings] for f, btext, postings in ours_postings if f == PAIR_FIELD
        }
        assert pairs[b"the cat"] == list(range(len(DOCS) + len(many))), "the flush added the pairs"
        with ours_ix.searcher() as searcher:
            m = wp.term_matcher(searcher.reader(), "all", b"cat")
            assert isinstance(m, W3LeafMatcher)
            raw = bytes(m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset))
            raw = zlib.decompress(raw) if m._compression else raw
            assert raw[:2] == pickle.PROTO + bytes([wp.BLOCK_PICKLE_PROTOCOL])
            assert m._compression == compression
    assert isinstance(wp.protocol5_codec(None), wp.Protocol5Codec)
    other = object()
    assert wp.protocol5_codec(other) is other


def _term_buffer_writer(ix: Any) -> None:
    """TermBufferWriter (segment_writing.py) writes its postings, term infos and lengths through these names:
    its segment files are the same bytes as those of Whoosh's own writer, compressed or not."""
    from unittest import mock

    from whoosh.codec.whoosh3 import W3Codec

    from reader.core.search import pairs
    from reader.core.search.segment_writing import TermBufferWriter

    many = [
        {"relpath": f"m{i}.txt", "title": f"M {i}", "all": ["M", f"the cat {i} sat " * (i % 7 + 1), "", ""]}
        for i in range(300)
    ]
    folder = Path(ix.storage.folder)
    for compression in (0, 3):
        files = []
        for name, writer_class in (("whoosh", wp.SegmentWriterWithHooks), ("buffers", TermBufferWriter)):
            where = folder / f"{name}{compression}"
            where.mkdir()
            new_ix = w_index.FileIndex.create(FileStorage(str(where)), _schema(), "p")
            writer = wp.open_unlocked_writer(
                writer_class, new_ix, codec=W3Codec(compression=compression), compound=False
            )
            with mock.patch.object(pairs, "PAIR_MIN_DOCS", 10**9):
                for doc in [*DOCS, *many]:
                    writer.add_document(**doc)
                segment = wp.finish_unlocked_segment(writer)
            segid = segment.segment_id()
            files.append(
                {p.name.replace(segid, ""): p.read_bytes() for p in where.iterdir() if segid in p.name}
            )
        assert len(files[0]) >= 4 and files[0] == files[1]


CHECKS: dict[str, Callable[[Any], None]] = {
    "whoosh.system._INT_SIZE": _int_size,
    "whoosh.codec.whoosh3._lenfield, LENGTHS_COLUMN": _length_column,
    "W3PerDocReader._cached_reader, column ._dbfile ._basepos ._count": _length_column,
    "W3LeafMatcher._read_data ._data ._byteids ._read_weights ._weights": lambda ix: _postings(
        ix, values=False
    ),
    "W3LeafMatcher._read_values ._values ._next_block": lambda ix: _postings(ix, values=True),
    "SegmentReader._terms ._segid ._perdoc ._segment ._gen ._storage ._codec": _segment_reader,
    "BM25F._field_B .B .K1": _bm25,
    "Query._btexts": _btexts,
    "FileIndex._read_toc": _read_toc,
    "SegmentWriter(_lk=False)": _writers,
    "SegmentWriter._added ._merge_segments ._finalize_segment ._close_segment": _writers,
    "SegmentWriter._commit_toc ._finish ._check_state .segments .generation": _writer_hooks,
    "SegmentWriter._flush_segment .perdocwriter .pool .fieldwriter .codec .docnum .docbase": _writer_hooks,
    "whoosh.index.TOC(schema, segments, generation).write, clean_files": _commit_without_cleaning,
    "CompoundStorage._source .is_closed .range": _compound,
    "BufferFile._buf ._name .onclose .is_real .is_closed .file": _compound,
    "SpanNear2.SpanNear2Matcher._get_spans .ms": _span_matcher,
    "WildcardPlugin.qmarks": _qmarks,
    "W3Codec._blocklimit ._compression ._inlinelimit .postings_writer": _protocol5_codec,
    "W3PostingsWriter._write_block ._new_block ._blockcount ._postfile ._terminfo ._ids": _protocol5_codec,
    "W3PostingsWriter._mini_* ._compression ._maxweight ._minlength ._maxlength": _protocol5_codec,
    "W3FieldWriter._postwriter ._format ._fieldid ._tindex, W3TermInfo._struct": _term_buffer_writer,
    "W3PostingsWriter._blocklimit ._inlinelimit ._postfile ._compression, block format": _term_buffer_writer,
    "whoosh.util.numeric.byte_to_length, length_to_byte": _term_buffer_writer,
}


def test_every_relied_on_name_has_a_check() -> None:
    assert set(CHECKS) == set(wp.RELIED_ON)


@pytest.mark.parametrize("name", list(wp.RELIED_ON))
def test_private_name_still_has_the_expected_shape(name: str, tmp_path: Path) -> None:
    ix = w_index.FileIndex.create(FileStorage(str(tmp_path)), _schema(), "probe")
    writer = ix.writer()
    for doc in DOCS:
        writer.add_document(**doc)
    writer.commit()
    try:
        CHECKS[name](ix)
    except Exception as exc:  # noqa: BLE001 - any failure is reported with what to adapt
        users = ", ".join(f"reader/core/search/{module}" for module in wp.RELIED_ON[name])
        pytest.fail(
            f"whoosh-reloaded changed {name}: the reader relies on it in {users}; pin 2.7.5 or adapt "
            f"({type(exc).__name__}: {exc})"
        )


def test_view_stream_reads_as_a_bytesio_does_without_copying_the_whole_view() -> None:
    import io
    import pickle

    data = b"header\nsecond line\n" + pickle.dumps({"a": [1, 2, 3], "b": "x" * 300}, 2) + b"tail"
    ours, theirs = ViewStream(memoryview(data)), io.BytesIO(data)
    for stream in (ours, theirs):
        assert stream.readline() == b"header\n"
        assert stream.readline(3) == b"sec"
    assert ours.tell() == theirs.tell()
    assert ours.readline() == theirs.readline() == b"ond line\n"
    assert pickle.load(ours) == pickle.load(theirs)  # type: ignore[arg-type]
    assert ours.read() == theirs.read() == b"tail"
    assert ours.read(5) == theirs.read(5) == b""
    for whence, pos in ((0, 3), (1, -2), (2, -4)):
        assert ours.seek(pos, whence) == theirs.seek(pos, whence)
        assert ours.read(2) == theirs.read(2)
    buffer, other = bytearray(4), bytearray(4)
    ours.seek(0)
    theirs.seek(0)
    assert ours.readinto(buffer) == theirs.readinto(other) == 4 and buffer == other
