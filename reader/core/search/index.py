"""Full-text search over a library with Whoosh: ranked, highlighted, Korean-aware, incremental, unbreakable.

This is the only module that imports Whoosh; Whoosh's exceptions never leave it (they become
:class:`~reader.core.errors.QueryError`, :class:`~reader.core.errors.SearchIndexError` or
:class:`~reader.core.errors.IndexBusyError`). Result types live in :mod:`reader.core.search.results`.

API::

    index = SearchIndex(index_dir: Path, library: Path, *, lock_timeout: float = 5.0)
    index.update(*, progress=None, cancelled=None) -> UpdateReport     # new / changed / removed articles
    index.update_paths(relpaths: Iterable[str]) -> UpdateReport         # a watcher's few files, quickly
    index.search(query, *, limit=20, offset=0, snippets=True) -> SearchResults
    index.term_spans(query, text) -> list[tuple[int, int]]              # marks for the reading pane
    index.merge_when_idle() -> bool                                     # merge small segments, later
    index.doc_count() -> int
    index.close()

Threading: writes (``update``, ``update_paths``, recovery) are serialized by an internal lock and by
Whoosh's file lock (another process or :class:`SearchIndex` waiting longer than ``lock_timeout`` gets
:class:`IndexBusyError`). Searches may run on any thread at the same time: each commit opens a *new*
searcher (a generation); a search keeps the generation it started with until it ends. ``Searcher.refresh()``
is never used (it returns stale documents in whoosh-reloaded 2.7.5).

Analysis: one tokenizer for every text field. Latin/other words are lowercased and stemmed (Snowball English)
(``therapies`` and ``therapy`` both index as ``therapi``); runs of Hangul/CJK are indexed as overlapping
bigrams (``대통령은`` → ``대통 통령 령은``), a one-syllable run as itself. A Korean query word becomes the
phrase of its bigrams (adjacent positions), so ``대통령`` finds every article containing the substring
``대통령`` — ``대통령은``, ``대통령이`` — and little else. No stop words are removed (phrases stay exact).

Stored per article: relpath (unique key), title, date and the update state (size, mtime_ns, content hash,
sidecar size and mtime). The body is not stored: snippets are built from the canonical text re-read with
:func:`~reader.core.articles.loader.load_article` for the hits of the returned page only.

Query language (Whoosh's parser, trimmed): words are ANDed; ``"exact phrase"``; ``prefix*`` (at least two
letters, at most :data:`MAX_EXPANSION` expanded words); ``fuzzy~`` / ``fuzzy~2`` (edit distance at most 2);
``-word`` and ``NOT``; ``OR``; parentheses; fields ``title: author: source: tag: note: quote: color: lang:
path: date:``; dates ``date:2025``, ``date:2025-11``, ``date:[2025-01 to 2025-12]`` (open ends allowed).
Any input either runs or raises :class:`QueryError` with a one-line message.

Damage: if the index cannot be opened or read (process killed mid-commit, missing or truncated segment
file, garbage in the TOC), the folder is renamed to ``<name>.damaged-<timestamp>`` and rebuilt from the
sources; ``UpdateReport.recovered`` / ``SearchResults.recovered`` carry a message for the user. A schema
version change (:data:`SCHEMA_VERSION` or the article pipeline's ``PIPELINE_VERSION``, both part of the index
name) rebuilds too (``UpdateReport.rebuilt``).

Speed: an update with at least :data:`PARALLEL_MIN` articles to read spreads them over worker processes
(spawned, one per core, at most :data:`MAX_PROCS`): each reads its share and writes whole segments of at most
:data:`SEGMENT_ARTICLES` articles; the calling process, which holds the index lock, only deletes the old
versions and commits the new segments without merging. A window's thread that runs the update therefore
leaves the GIL to the GUI. Indexing skips Whoosh's Token objects (:class:`_MixedPositions`), workers write
uncompressed posting blocks, and flushes read field lengths once (:class:`_SegmentWriter`).

Searchers after a commit reuse the open files of unchanged segments (:class:`_ReaderPool`: terms and
per-document readers shared, each generation with its own deletions), so ``update_paths`` opens only the new
segment.

Commits never merge segments on their own (Whoosh's default merged small segments inside the commit: the
``update_paths`` spikes): each commit of a few articles adds one small segment.
:meth:`SearchIndex.merge_when_idle` merges the small segments (fewer than :data:`SMALL_SEGMENT_DOCS`
documents) into one; the caller runs it when nothing is waiting, e.g. a few seconds after the last update,
off the GUI thread. As a safety valve a commit that would leave more than :data:`MAX_SMALL_SEGMENTS` small
segments merges them itself.

Unfielded words are matched in one combined field, ``all`` (title, body, notes and tags, :data:`FIELD_GAP`
positions apart so that no phrase spans two of them; ``body:`` means ``all:``), not in four fields (setting up
four matchers per word, prefix and Korean phrase took much of a search); a title match still ranks higher:
each positive ``all`` leaf is ``AndMaybe(all:x, title:x^TITLE_BOOST)``. Phrases are matched by intersecting
position sets (:class:`_AdjacentMatcher`) instead of Whoosh's Span pairing. Searches score and count in one
pass without block-quality skipping (it made ``len(results)`` run the query a second time) or matcher
replacement (it dropped documents from the count once the page was full).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import heapq
import json
import logging
import multiprocessing
import os
import queue
import re
import shutil
import sys
import threading
import time
import traceback
import warnings
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass
from io import BytesIO
from itertools import accumulate, islice, repeat
from operator import sub
from pathlib import Path
from typing import Any, ClassVar

from rapidfuzz.distance import Levenshtein
from whoosh import index as w_index
from whoosh import qparser
from whoosh import query as wq
from whoosh.analysis import LowercaseFilter, RegexTokenizer, Token, Tokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3LeafMatcher, _lenfield
from whoosh.collectors import TopCollector
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, OverlayStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.formats import Positions
from whoosh.lang.snowball.english import EnglishStemmer
from whoosh.matching import NullMatcher, WrappingMatcher
from whoosh.query.spans import Span, SpanNear2
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.system import _INT_SIZE, pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import LockError, SegmentWriter

from reader.core.articles.loader import PIPELINE_VERSION, load_article, text_hash
from reader.core.atomic import atomic_write_text
from reader.core.errors import (
    ArticleReadError,
    IndexBusyError,
    QueryError,
    SearchIndexError,
    SidecarError,
)
from reader.core.library.scan import ARTICLE_SUFFIXES, iter_article_files
from reader.core.models import Annotation, Skipped
from reader.core.notes.article_data import effective_meta, read_sidecar_summary
from reader.core.notes.sidecar import load_annotations, sidecar_path
from reader.core.search.results import SearchHit, SearchResults, UpdateReport

__all__ = [
    "MAX_EXPANSION",
    "SCHEMA_VERSION",
    "SearchHit",
    "SearchIndex",
    "SearchResults",
    "UpdateReport",
    "analyze",
]

log = logging.getLogger(__name__)

#: Bump when the schema or the analysis changes: an index with another version is rebuilt. The canonical
#: text's :data:`~reader.core.articles.loader.PIPELINE_VERSION` is part of the name too.
SCHEMA_VERSION = 4  # 4: article tags in tag:, status: and starred: (issue 16)
INDEX_NAME = f"reader_v{SCHEMA_VERSION}p{PIPELINE_VERSION}"
#: A prefix, wildcard, fuzzy term or range may expand to at most this many indexed words.
MAX_EXPANSION = 2000
MAX_QUERY_CHARS = 1000
MAX_FUZZY_DIST = 2
SNIPPET_CHARS = 220
SNIPPET_LEAD = 50
#: Snippets look for the best window among the first few paragraphs with matches (fast on long articles).
SNIPPET_PARAGRAPHS = 6
#: Texts at least this long are searched for snippets only up to :data:`SNIPPET_PARAGRAPHS` paragraphs.
SNIPPET_LONG_TEXT = 4000
#: Fields whose terms are looked for in the article's canonical text (snippets, term_spans).
TEXT_FIELDS = ("all", "title")
#: Fields whose terms are looked for in annotations (note snippets).
NOTE_FIELDS = ("note", "quote", "tag", "all")
#: The texts the ``all`` field indexes (in this order, :data:`FIELD_GAP` positions apart): what an unfielded
#: word is looked for in. There is no separate body field: ``body:`` means ``all:``.
ALL_FIELDS = ("title", "body", "note", "tag")
#: Positions between the parts of ``all``, so that no phrase spans two of them.
FIELD_GAP = 100
#: An unfielded word also found in the title scores this much more (the title's own BM25 score, boosted).
TITLE_BOOST = 3.0
FIELD_ALIASES = {
    "all": ["body"],
    "lang": ["language"],
    "tag": ["tags"],
    "note": ["notes"],
    "color": ["colour", "colors", "colours"],
    "quote": ["quotes", "highlight"],
}
_STATE_FILE = "reader-verified.json"
#: An update with at least this many articles to read spreads them over worker processes.
PARALLEL_MIN = 200
#: At most this many worker processes (one per core otherwise); ``READER_INDEX_PROCS=1`` turns them off.
MAX_PROCS = 4
ENV_PROCS = "READER_INDEX_PROCS"
#: Memory for a worker's posting pool, and articles per segment a worker writes: a pool that spills sorted
#: runs to disk makes the flush merge them in Python (a 10k build took 44 s instead of 28 s).
WORKER_POOL_MB = 768
SEGMENT_ARTICLES = 3000
TEXTS_DIR = "texts"
#: Segments with fewer documents are "small": :meth:`SearchIndex.merge_when_idle` merges them into one.
SMALL_SEGMENT_DOCS = 500
#: A commit that would leave more small segments than this merges them (when no one ran merge_when_idle).
MAX_SMALL_SEGMENTS = 32

ProgressCallback = Callable[[int, int], None]

# ----------------------------------------------------------------------------------------------- analysis

_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W{_CJK}]+)")
_CJK_RE = re.compile(f"[{_CJK}]")
_PARAGRAPH_BREAK_RE = re.compile(r"\n\s*\n")
_DATE_RE = re.compile(r"^(\d{4}(-\d{2}(-\d{2})?)?|--\d{2}(-\d{2})?)$")


_ENGLISH = EnglishStemmer()


@functools.lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    """Snowball English (Porter2): unlike Porter, ``walrus`` and ``walruses`` share a stem."""
    result: str = _ENGLISH.stem(word)
    return result


def analyze(text: str, pos: int = 0) -> Iterator[tuple[str, int, int]]:
    """The index terms of ``text`` in order, as ``(term, start, end)`` with code-point offsets.

    Consecutive terms have consecutive positions (the i-th yielded term has position i). With ``pos``, the
    terms from that offset on (which must be a token start, or inside a run of CJK characters).
    """
    for match in _TOKEN_RE.finditer(text, pos):
        start = match.start()
        run = match.group()
        if match.lastgroup == "cjk":
            if len(run) == 1:
                yield run, start, start + 1
            else:
                for i in range(len(run) - 1):
                    yield run[i : i + 2], start + i, start + i + 2
        else:
            yield _stem(run.lower()), start, match.end()


_TERM_CACHE: dict[str, str] = {}
_TERM_CACHE_MAX = 500_000


def index_terms(text: str) -> list[str]:
    """The terms of :func:`analyze` without their offsets (what indexing needs), several times faster."""
    out: list[str] = []
    append = out.append
    cache = _TERM_CACHE
    for cjk, word in _TOKEN_RE.findall(text):
        if word:
            term = cache.get(word)
            if term is None:
                term = _stem(word.lower())
                if len(cache) >= _TERM_CACHE_MAX:
                    cache.clear()
                cache[word] = term
            append(term)
        elif len(cjk) == 1:
            append(cjk)
        else:
            out.extend([cjk[i : i + 2] for i in range(len(cjk) - 1)])
    return out


#: Positions are stored as 4-byte unsigned little-endian integers (see :class:`_MixedPositions`).
_POSITION_CODE = next(code for code in "IL" if array(code).itemsize == 4)
_NATIVE_LE = sys.byteorder == "little"


def _positions_bytes(poslist: Iterable[int]) -> bytes:
    values = array(_POSITION_CODE, poslist)
    if not _NATIVE_LE:
        values.byteswap()
    return values.tobytes()


def _positions(value: bytes) -> Any:
    """The positions of a posting value (after its 4-byte count): a read-only sequence of ints, without a
    copy where the machine is little-endian (a memoryview)."""
    if _NATIVE_LE:
        return memoryview(value)[_INT_SIZE:].cast(_POSITION_CODE)  # type: ignore[call-overload]
    values = array(_POSITION_CODE)
    values.frombytes(value[_INT_SIZE:])
    values.byteswap()
    return values


class _MixedPositions(Positions):  # type: ignore[misc]
    """Whoosh's Positions format, indexing :class:`MixedTokenizer` text through :func:`index_terms`
    (no Token objects: the same terms, positions and weights as ``Positions`` would write).

    A value is the count (as Whoosh's) followed by the absolute positions as 4-byte little-endian integers,
    not a pickled list of deltas: a phrase check reads them as a memoryview (about a third faster)."""

    def encode(self, poslist: list[int]) -> bytes:
        count: bytes = pack_uint(len(poslist))
        return count + _positions_bytes(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(_positions(valuestring))

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        parts = value if isinstance(value, (list, tuple)) else [value]
        if not all(isinstance(p, str) for p in parts) or not isinstance(analyzer, MixedTokenizer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        poses: dict[str, list[int]] = {}
        base = 0
        for part in parts:
            # A list (the ``all`` field): each part FIELD_GAP positions after the previous one.
            terms = index_terms(part)
            for pos, term in enumerate(terms, base):
                found = poses.get(term)
                if found is None:
                    poses[term] = [pos]
                else:
                    found.append(pos)
            base += len(terms) + FIELD_GAP
        fb = self.field_boost
        encode = self.encode
        for term, poslist in poses.items():
            yield (term, len(poslist), float(len(poslist)) * fb, encode(poslist))


class MixedTokenizer(Tokenizer):  # type: ignore[misc]
    """Whoosh tokenizer for :func:`analyze` (stemmed words, CJK bigrams)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MixedTokenizer)

    def __hash__(self) -> int:
        return hash(MixedTokenizer)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Any]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Prefix, wildcard and fuzzy texts: lowercased, not stemmed, not split.
            token.original = token.text = value.lower()
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        for pos, (term, start, end) in enumerate(analyze(value), start_pos):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _schema() -> Schema:
    mixed = MixedTokenizer()
    path_analyzer = RegexTokenizer(r"[^/\\._\-\s]+") | LowercaseFilter()

    def text() -> Any:
        field = TEXT(analyzer=mixed, multitoken_query="phrase")
        field.format = _MixedPositions(field_boost=field.format.field_boost)
        return field

    title = text()
    title.stored = True
    return Schema(
        relpath=ID(unique=True, stored=True),
        path=TEXT(analyzer=path_analyzer, multitoken_query="phrase"),
        title=title,
        all=text(),
        author=text(),
        source=text(),
        date=ID(stored=True),
        lang=KEYWORD(lowercase=True),
        quote=text(),
        note=text(),
        tag=text(),
        color=KEYWORD(lowercase=True),
        status=KEYWORD(lowercase=True),  # reading status: unread, reading, read
        starred=KEYWORD(lowercase=True),  # yes / no
        state=STORED(),
    )


# --------------------------------------------------------------------------------------------- the index


class _DamagedError(Exception):
    """Internal: the index could not be read; the message says what failed."""


@dataclass(slots=True)
class _Generation:
    searcher: Any
    users: int = 0
    retired: bool = False


State = tuple[int, int, str, int, int]  # size, mtime_ns, content hash, sidecar size, sidecar mtime_ns


def _sidecar_stamp(source: Path) -> tuple[int, int]:
    try:
        st = sidecar_path(source).stat()
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


def _release(exc: BaseException) -> None:
    """Drop the frames of a failure on a damaged index, closing the files Whoosh left open, quietly.

    Whoosh leaks open files when it fails on a damaged index; they would be closed whenever the exception
    is collected, with a ResourceWarning. Used only on the damage path (``catch_warnings`` is process-wide).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        seen: set[int] = set()
        todo: list[BaseException | None] = [exc]
        while todo:
            item = todo.pop()
            if item is None or id(item) in seen:
                continue
            seen.add(id(item))
            if item.__traceback__ is not None:
                traceback.clear_frames(item.__traceback__)
            todo.extend((item.__cause__, item.__context__))
        gc.collect()


_opened = threading.local()


class _TrackingStorage(FileStorage):  # type: ignore[misc]
    """A FileStorage that can close what one attempt opened: Whoosh leaks open files when it fails on a
    damaged index (a TOC full of garbage, a truncated segment)."""

    def open_file(self, name: str, **kwargs: Any) -> Any:
        handle = super().open_file(name, **kwargs)
        bucket = getattr(_opened, "bucket", None)
        if bucket is not None:
            bucket.append(handle)
        return handle


@contextlib.contextmanager
def _closing_on_failure() -> Iterator[None]:
    """Close every file :class:`_TrackingStorage` opened in this block (this thread) if the block fails."""
    previous = getattr(_opened, "bucket", None)
    bucket: list[Any] = []
    _opened.bucket = bucket
    try:
        yield
    except BaseException:
        for handle in bucket:
            with contextlib.suppress(Exception):
                handle.close()
        raise
    finally:
        _opened.bucket = previous


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    name = type(exc).__name__
    return f"{name}: {first}"[:200] if first else name


class _LazyBufferFile(BufferFile):  # type: ignore[misc]
    """Whoosh's BufferFile without the up-front copy: whoosh-reloaded copies every part of a compound segment
    (the whole postings file) into a BytesIO when a reader opens it (~10 ms a segment); most reads use
    ``get`` on the memory map, so the copy is made only if a stream read asks for it."""

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
            stream = self._stream = BytesIO(self._buf)
        return stream

    def close(self) -> None:
        if self.is_closed:
            raise OSError("this file is already closed")
        if self.onclose:
            self.onclose(self)
        if self._stream is not None:
            self._stream.close()
        self.is_closed = True


class _LazyCompoundStorage(CompoundStorage):  # type: ignore[misc]
    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._source is None:
            return super().open_file(name, *args, **kwargs)
        if self.is_closed:
            raise OSError("the compound file was closed")
        offset, length = self.range(name)
        return _LazyBufferFile(memoryview(self._source)[offset : offset + length], name=name)


class _SegmentFiles:
    """The open files of one segment (storage, terms and per-document readers), shared by the readers of
    every generation that contains the segment; closed when the last such reader is closed and the segment
    is no longer in the newest table of contents."""

    __slots__ = ("codec", "perdoc", "refs", "segid", "storage", "terms")

    def __init__(self, storage: Any, segment: Any) -> None:
        self.segid: str = segment.segment_id()
        codec = segment.codec()
        own_storage = None
        try:
            if segment.is_compound():
                dbfile = storage.open_file(segment.make_filename(segment.COMPOUND_EXT))
                own_storage = _LazyCompoundStorage(dbfile, use_mmap=storage.supports_mmap)
                self.storage = OverlayStorage(own_storage, storage)
            else:
                self.storage = storage
            self.codec = codec
            self.terms = codec.terms_reader(self.storage, segment)
            self.perdoc = codec.per_document_reader(self.storage, segment)
        except BaseException:
            if own_storage is not None:
                with contextlib.suppress(Exception):
                    own_storage.close()
            raise
        self.refs = 0

    def close(self) -> None:
        for part in (self.terms, self.perdoc, self.storage):
            with contextlib.suppress(Exception):
                part.close()


class _SharedSegmentReader(SegmentReader):  # type: ignore[misc]
    """A SegmentReader over shared :class:`_SegmentFiles`, with this generation's deletions: the per-document
    reader is a shallow copy (its column caches shared) pointing at this table of contents' segment."""

    def __init__(self, schema: Any, segment: Any, generation: int, files: _SegmentFiles, pool: _ReaderPool):
        self.schema = schema
        self.is_closed = False
        self._segment = segment
        self._segid = segment.segment_id()
        self._gen = generation
        self._storage = files.storage
        self._codec = files.codec
        self._terms = files.terms
        perdoc = copy.copy(files.perdoc)
        perdoc._segment = segment
        self._perdoc = perdoc
        self._files = files
        self._pool = pool

    def close(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        self._pool.release(self._files)


class _ReaderPool:
    """Segment files kept open across commits: a new searcher after a commit opens only the new segments
    (opening all of them took most of an ``update_paths``). Readers of old generations keep working."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, _SegmentFiles] = {}
        self._current: set[str] = set()
        self._closed = False

    def reader(
        self, storage: Any, schema: Any, segments: list[Any], generation: int, *, current: bool
    ) -> Any:
        if not segments:
            return EmptyReader(schema)
        readers: list[Any] = []
        try:
            for segment in segments:
                readers.append(self._open(storage, schema, segment, generation))
        except BaseException:
            for r in readers:
                r.close()
            raise
        if current:
            with self._lock:
                self._current = {s.segment_id() for s in segments}
                self._collect()
        return readers[0] if len(readers) == 1 else MultiReader(readers, generation=generation)

    def _open(self, storage: Any, schema: Any, segment: Any, generation: int) -> Any:
        segid = segment.segment_id()
        with self._lock:
            files = self._files.get(segid)
            if files is not None:
                files.refs += 1
        if files is None:
            files = _SegmentFiles(storage, segment)
            with self._lock:
                existing = self._files.get(segid)
                if existing is not None:  # opened by another thread meanwhile
                    files.close()
                    files = existing
                elif not self._closed:
                    self._files[segid] = files
                files.refs += 1
        return _SharedSegmentReader(schema, segment, generation, files, self)

    def release(self, files: _SegmentFiles) -> None:
        with self._lock:
            files.refs -= 1
            if files.refs > 0 or (files.segid in self._current and self._files.get(files.segid) is files):
                return
            if self._files.get(files.segid) is files:
                del self._files[files.segid]
        files.close()

    def _collect(self) -> None:
        """Close (under the lock) unreferenced files of segments that left the table of contents."""
        for segid in [s for s, f in self._files.items() if f.refs <= 0 and s not in self._current]:
            self._files.pop(segid).close()

    def close(self) -> None:
        """No new sharing; files still in use are closed by their last reader."""
        with self._lock:
            self._closed = True
            self._current = set()
            self._collect()
            self._files = {f.segid: f for f in self._files.values() if f.refs > 0}


class SearchIndex:
    """The search index of one library folder. See the module docstring."""

    def __init__(self, index_dir: Path, library: Path, *, lock_timeout: float = 5.0) -> None:
        self.index_dir = Path(index_dir)
        self.library = Path(library)
        self.lock_timeout = lock_timeout
        self._ix: Any = None
        self._gen: _Generation | None = None
        self._write_lock = threading.RLock()
        self._gen_lock = threading.Lock()
        self._pending_recovered: str | None = None
        self._pending_rebuilt: str | None = None
        self._closed = False
        self._pool = _ReaderPool()

    # ------------------------------------------------------------------------------------- open / close

    def close(self) -> None:
        with self._write_lock:
            self._closed = True
            with self._gen_lock:
                gen, self._gen = self._gen, None
            if gen is not None:
                self._retire(gen)
            self._ix = None
            self._pool.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_open(self, *, rebuild: bool = True) -> None:
        """Open the index (or create it). A damaged index is set aside and, with ``rebuild``, rebuilt now."""
        if self._ix is not None:
            return
        with self._write_lock:
            if self._ix is not None:
                return
            if self._closed:
                raise SearchIndexError("the search index has been closed")
            damage: str | None = None
            try:
                self._open_or_create()
            except _DamagedError as exc:
                damage = str(exc)
                _release(exc)
            if damage is not None:
                # Derived data: set the damaged index aside and rebuild it from the sources right away,
                # so that no search ever presents an empty index as "no matches".
                self._set_aside(damage)
                self._create()
                if rebuild:
                    self._update(None, None, None)

    def _open_or_create(self) -> None:
        folder = self.index_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SearchIndexError(f"cannot create the index folder {folder}: {exc.strerror or exc}") from exc
        storage = _TrackingStorage(str(folder))
        with _closing_on_failure():
            try:
                ix = w_index.FileIndex(storage, indexname=INDEX_NAME)
            except w_index.EmptyIndexError:
                ix = None
            except Exception as exc:
                raise _DamagedError(_describe(exc)) from exc
            if ix is not None:
                try:
                    searcher = self._new_searcher(ix)
                    searcher.reader().doc_count_all()
                except Exception as exc:
                    raise _DamagedError(_describe(exc)) from exc
        if ix is None:
            others = [p for p in folder.iterdir() if p.suffix in (".toc", ".seg")]
            if others:
                if any(
                    p.name.startswith(f"_{INDEX_NAME}_") or p.name.startswith(f"{INDEX_NAME}_")
                    for p in others
                ):
                    raise _DamagedError("its table of contents is missing")
                log.info("search index schema changed; rebuilding %s", folder)
                self._set_aside(None)
                self._pending_rebuilt = "The search index format changed; the index was rebuilt."
            self._create()
            return
        self._ix = ix
        self._install(searcher)

    def _create(self) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        try:
            storage = _TrackingStorage(str(self.index_dir))
            ix = w_index.FileIndex.create(storage, _schema(), INDEX_NAME)
            searcher = self._new_searcher(ix)
        except Exception as exc:
            raise SearchIndexError(
                f"cannot create the search index in {self.index_dir}: {_describe(exc)}"
            ) from exc
        self._ix = ix
        self._install(searcher)

    def _set_aside(self, reason: str | None) -> Path:
        """Rename the index folder out of the way (never delete it); ``reason`` None means a schema change."""
        with self._gen_lock:
            gen, self._gen = self._gen, None
        if gen is not None:
            self._retire(gen)
        self._ix = None
        self._pool.close()
        self._pool = _ReaderPool()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kind = "damaged" if reason is not None else "old"
        aside = self.index_dir.with_name(f"{self.index_dir.name}.{kind}-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.index_dir.with_name(f"{self.index_dir.name}.{kind}-{stamp}-{n}")
        try:
            os.replace(self.index_dir, aside)
        except OSError as exc:
            raise SearchIndexError(f"the search index is damaged and cannot be moved aside: {exc}") from exc
        if reason is not None:
            log.warning("search index damaged (%s); moved to %s", reason, aside)
            self._pending_recovered = (
                f"The search index was damaged ({reason}); it was set aside as {aside.name} and rebuilt."
            )
        if kind == "old":
            # An index of an older format is of no use to anyone; keep only the newest such copy.
            for old in self.index_dir.parent.glob(f"{self.index_dir.name}.old-*"):
                if old != aside:
                    shutil.rmtree(old, ignore_errors=True)
        return aside

    # ----------------------------------------------------------------------------------- generations

    def _install(self, searcher: Any) -> None:
        new = _Generation(searcher)
        with self._gen_lock:
            old, self._gen = self._gen, new
        if old is not None:
            self._retire(old)

    def _retire(self, gen: _Generation) -> None:
        with self._gen_lock:
            gen.retired = True
            close = gen.users == 0
        if close:
            with contextlib.suppress(Exception):
                gen.searcher.close()

    @contextlib.contextmanager
    def _using(self) -> Iterator[Any]:
        self._ensure_open()
        with self._gen_lock:
            gen = self._gen
            if gen is None:
                raise SearchIndexError("the search index has been closed")
            gen.users += 1
        try:
            yield gen.searcher
        finally:
            with self._gen_lock:
                gen.users -= 1
                close = gen.retired and gen.users == 0
            if close:
                with contextlib.suppress(Exception):
                    gen.searcher.close()

    def _reopen_searcher(self) -> None:
        try:
            with _closing_on_failure():
                searcher = self._new_searcher(self._ix)
        except Exception as exc:
            raise _DamagedError(_describe(exc)) from exc
        self._install(searcher)

    def _new_searcher(self, ix: Any) -> Any:
        """A searcher of the newest commit, reusing the open files of segments older searchers have."""
        for attempt in range(3):
            try:
                info = ix._read_toc()
                reader = self._pool.reader(
                    ix.storage, info.schema, info.segments, info.generation, current=True
                )
                break
            except OSError:
                # A writer in another process may have just deleted a merged segment: read the TOC again.
                if attempt == 2:
                    raise
                time.sleep(0.05)
        return Searcher(reader, weighting=BM25F(), fromindex=ix)

    # ----------------------------------------------------------------------------- canonical text copies

    def _text_path(self, content_hash: str) -> Path | None:
        return _text_path(self.index_dir, content_hash)

    def _store_text(self, content_hash: str, text: str) -> None:
        _store_text(self.index_dir, content_hash, text)

    def _read_text(self, content_hash: str) -> str | None:
        path = self._text_path(content_hash)
        if path is None:
            return None
        try:
            text = zlib.decompress(path.read_bytes()).decode("utf-8")
        except (OSError, zlib.error, UnicodeDecodeError):
            return None
        return text if text_hash(text) == content_hash else None

    def _prune_texts(self, keep: set[str]) -> None:
        folder = self.index_dir / TEXTS_DIR
        keep_digests = {h.removeprefix("sha256:") for h in keep}
        with contextlib.suppress(OSError):
            for path in folder.glob("*/*.z"):
                if path.stem not in keep_digests:
                    with contextlib.suppress(OSError):
                        path.unlink()

    def doc_count(self) -> int:
        with self._using() as searcher:
            count: int = searcher.doc_count()
            return count

    # ----------------------------------------------------------------------------------------- update

    def update(
        self, *, progress: ProgressCallback | None = None, cancelled: Callable[[], bool] | None = None
    ) -> UpdateReport:
        """Bring the index in line with the library: index new and changed articles, drop removed ones."""
        return self._run_update(None, progress, cancelled)

    def update_paths(self, relpaths: Iterable[str]) -> UpdateReport:
        """Re-index just these articles (POSIX paths relative to the library); missing ones are removed."""
        return self._run_update(sorted(set(relpaths)), None, None)

    def _run_update(
        self,
        relpaths: list[str] | None,
        progress: ProgressCallback | None,
        cancelled: Callable[[], bool] | None,
    ) -> UpdateReport:
        with self._write_lock:
            self._ensure_open(rebuild=False)
            damage: str | None = None
            try:
                report = self._update(relpaths, progress, cancelled)
            except _DamagedError as exc:
                damage = str(exc)
                _release(exc)
            if damage is not None:
                self._set_aside(damage)
                self._create()
                report = self._update(None, progress, cancelled)
            report.recovered, self._pending_recovered = self._pending_recovered, None
            report.rebuilt, self._pending_rebuilt = self._pending_rebuilt, None
            return report

    def _indexed_states(self, relpaths: list[str] | None) -> dict[str, State]:
        """relpath -> stored update state, for every indexed article or just ``relpaths``."""
        states: dict[str, State] = {}
        try:
            with self._using() as searcher:
                if relpaths is None:
                    fields_iter: Iterable[dict[str, Any]] = searcher.all_stored_fields()
                else:
                    fields_iter = [
                        f for f in (searcher.document(relpath=rp) for rp in relpaths) if f is not None
                    ]
                for fields in fields_iter:
                    state = fields.get("state")
                    value: State = tuple(state) if state else (-1, -1, "", -1, -1)
                    states[fields["relpath"]] = value
        except SearchIndexError:
            raise
        except Exception as exc:
            raise _DamagedError(_describe(exc)) from exc
        return states

    def _load_verified(self) -> dict[str, list[Any]]:
        try:
            data = json.loads((self.index_dir / _STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _update(
        self,
        relpaths: list[str] | None,
        progress: ProgressCallback | None,
        cancelled: Callable[[], bool] | None,
    ) -> UpdateReport:
        report = UpdateReport()
        root = self.library
        indexed = self._indexed_states(relpaths)
        if relpaths is None:
            files = {p.relative_to(root).as_posix(): p for p in iter_article_files(root)}
        else:
            files = {}
            for rp in relpaths:
                path = root / rp
                if _is_article_file(root, path):
                    files[rp] = path
        # `verified`: files whose stat changed but whose content hash equals the indexed one, so that a
        # touch does not re-read them on every update. Valid only while it agrees with the indexed hash.
        verified = self._load_verified()
        verified_dirty = False
        writer: Any = None
        total = len(files)
        removed = sorted(set(indexed) - set(files))

        def get_writer() -> Any:
            nonlocal writer
            if writer is None:
                try:
                    writer = _SegmentWriter(self._ix, timeout=self.lock_timeout)
                    writer.reader_pool = self._pool
                except LockError as exc:
                    raise IndexBusyError(
                        f"the search index is busy (another update holds its lock for over "
                        f"{self.lock_timeout:g} s); try again later"
                    ) from exc
                except Exception as exc:
                    raise _DamagedError(_describe(exc)) from exc
            return writer

        def apply(result: _Prepared, *, add: bool) -> None:
            """Record one prepared article; with ``add``, write its document (else a worker did)."""
            nonlocal verified_dirty
            rp, kind, old_exists = result.relpath, result.kind, result.old_exists
            if result.skipped is not None:
                report.skipped.append(result.skipped)
            if kind == "unreadable":
                if old_exists:
                    get_writer().delete_by_term("relpath", rp)
                    report.removed.append(rp)
            elif kind == "same":
                verified[rp] = result.verified or []
                verified_dirty = True
                report.unchanged += 1
            else:
                w = get_writer()
                if add:
                    assert result.doc is not None
                    (w.update_document if old_exists else w.add_document)(**result.doc)
                elif old_exists:
                    w.delete_by_term("relpath", rp)  # the new version is in a worker's segment
                (report.updated if old_exists else report.added).append(rp)
                verified.pop(rp, None)

        segments: list[Any] = []
        try:
            for rp in removed:
                get_writer().delete_by_term("relpath", rp)
                report.removed.append(rp)
            todo: list[_Job] = []
            for done, (rp, path) in enumerate(files.items(), 1):
                if cancelled is not None and done % 256 == 0 and cancelled():
                    report.cancelled = True
                    break
                try:
                    st = path.stat()
                except OSError as exc:
                    report.skipped.append(Skipped(rp, f"cannot be read ({exc.strerror or exc})"))
                    continue
                sc_size, sc_mtime = _sidecar_stamp(path)
                old = indexed.get(rp)
                if old is not None and old[3:] == (sc_size, sc_mtime):
                    if old[:2] == (st.st_size, st.st_mtime_ns):
                        report.unchanged += 1
                        continue
                    seen = verified.get(rp)
                    if seen == [st.st_size, st.st_mtime_ns, old[2]]:
                        report.unchanged += 1
                        continue
                todo.append(_Job(rp, (st.st_size, st.st_mtime_ns), (sc_size, sc_mtime), old))
            base = total - len(todo)
            procs = _worker_count(len(todo))
            if not report.cancelled and procs > 1:
                get_writer()  # take the lock before the workers write segments
                try:
                    segments, results, stopped = _build_in_processes(
                        self.index_dir, root, todo, procs, base, total, progress, cancelled
                    )
                except Exception as exc:  # noqa: BLE001 - no processes here: do the work in this thread
                    log.warning("indexing in %d processes failed (%s); indexing here", procs, _describe(exc))
                    procs = 1
                else:
                    report.cancelled = report.cancelled or stopped
                    for result in results:
                        apply(result, add=False)
            if not report.cancelled and procs <= 1:
                for i, job in enumerate(todo):
                    if cancelled is not None and cancelled():
                        report.cancelled = True
                        break
                    if progress is not None:
                        progress(base + i + 1, total)
                    apply(_prepare(self.index_dir, root, job), add=True)
            if writer is not None:
                try:
                    _commit(writer, segments)
                except Exception as exc:
                    raise SearchIndexError(f"the search index could not be saved: {_describe(exc)}") from exc
                writer = None
                self._reopen_searcher()
                if relpaths is None and not report.cancelled and (report.updated or report.removed):
                    self._prune_texts({state[2] for state in self._indexed_states(None).values()})
        except BaseException:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.cancel()
            raise
        if verified_dirty or (verified and (report.added or report.updated or report.removed)):
            keep = {k: v for k, v in verified.items() if k in files or relpaths is not None}
            with contextlib.suppress(OSError):
                atomic_write_text(self.index_dir / _STATE_FILE, json.dumps(keep))
        return report

    def merge_when_idle(self) -> bool:
        """Merge the small segments recent commits added into one; returns whether there was any to merge.

        Commits do not merge (that made ``update_paths`` slow now and then); every small update adds a
        segment, and each segment makes searches a little slower. Run this when the user is idle (e.g. a few
        seconds after the last update), never on the GUI thread: it takes the index's write lock (other
        updates wait; :class:`IndexBusyError` if another process holds it over ``lock_timeout``) and costs
        about as much as reading the small segments' documents. Searches keep running meanwhile.
        """
        with self._write_lock:
            self._ensure_open(rebuild=False)
            damage: str | None = None
            try:
                return self._merge_small_segments()
            except _DamagedError as exc:
                damage = str(exc)
                _release(exc)
            self._set_aside(damage)
            self._create()
            self._update(None, None, None)
            return True

    def _merge_small_segments(self) -> bool:
        try:
            segments = self._ix._read_toc().segments
        except Exception as exc:
            raise _DamagedError(_describe(exc)) from exc
        if len(_small_segments(segments)) < 2:
            return False
        try:
            writer = _SegmentWriter(self._ix, timeout=self.lock_timeout)
        except LockError as exc:
            raise IndexBusyError(
                f"the search index is busy (another update holds its lock for over {self.lock_timeout:g} s); "
                "try again later"
            ) from exc
        except Exception as exc:
            raise _DamagedError(_describe(exc)) from exc
        writer.reader_pool = self._pool
        try:
            writer.commit(mergetype=_merge_small)
        except Exception as exc:
            with contextlib.suppress(Exception):
                writer.cancel()
            raise SearchIndexError(f"the search index could not be saved: {_describe(exc)}") from exc
        self._reopen_searcher()
        return True

    # ----------------------------------------------------------------------------------------- queries

    def _parser(self, schema: Any) -> Any:
        parser = qparser.QueryParser("all", schema)
        parser.remove_plugin_class(qparser.SingleQuotePlugin)
        parser.remove_plugin_class(qparser.OperatorsPlugin)
        # NOT and a leading minus (``-word``, ``-"a phrase"``, ``-(a OR b)``, ``-title:x``) both exclude.
        parser.add_plugin(qparser.OperatorsPlugin(Not=r"(^|(?<=(\s|[()])))(NOT(?=\s)|-(?=[^\s\-]))"))
        parser.remove_plugin_class(qparser.WildcardPlugin)
        parser.add_plugin(_StarOnlyWildcardPlugin())
        parser.add_plugin(qparser.FuzzyTermPlugin())
        parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
        return parser

    def _parse(self, text: str, searcher: Any) -> Any:
        """Parse, check and rewrite ``text`` into a Whoosh query. Raises :class:`QueryError` only."""
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"the query is too long (over {MAX_QUERY_CHARS} characters)")
        if not text.strip():
            raise QueryError("type something to search for")
        schema = searcher.schema
        try:
            q = self._parser(schema).parse(text)
        except QueryError:
            raise
        except RecursionError as exc:
            raise QueryError("the query is nested too deeply") from exc
        except Exception as exc:
            raise QueryError(f"the query could not be understood ({_describe(exc)})") from exc
        _raise_parse_errors(q)
        q = _rewrite(q, schema)
        try:
            q = q.normalize()
        except Exception as exc:
            raise QueryError(f"the query could not be understood ({_describe(exc)})") from exc
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            raise QueryError(f"nothing to search for in {text.strip()!r}")
        q = _with_title_boost(q)
        if not _has_positive(q):
            q = wq.And([wq.Every(), q])
        q = _fast_phrases(_expand_fuzzy(q, searcher.reader()))
        _check_expansion(q, searcher.reader())
        return q

    def search(self, query: str, *, limit: int = 20, offset: int = 0, snippets: bool = True) -> SearchResults:
        """Hits ``offset`` .. ``offset + limit - 1`` of ``query``, best first.

        Raises :class:`QueryError` (a one-line message) for a query that cannot run, and
        :class:`SearchIndexError` when the index cannot be read even after rebuilding it.
        """
        limit = max(0, int(limit))
        offset = max(0, int(offset))
        recovered: str | None = None
        for attempt in range(3):
            damage: str | None = None
            try:
                results = self._search(query, limit, offset, snippets, recovered)
            except (QueryError, SearchIndexError):
                raise
            except RecursionError as exc:
                raise QueryError("the query is nested too deeply") from exc
            except _DamagedError as exc:
                damage = str(exc)
                _release(exc)
            except Exception as exc:
                # The one boundary: nothing but QueryError / SearchIndexError leaves a search.
                log.exception("search for %r failed", query)
                raise QueryError(f"this query could not be run ({_describe(exc)})") from exc
            if damage is None:
                return results
            if attempt == 0:
                # Perhaps our generation was retired under us: try again with the newest searcher first.
                with self._write_lock:
                    self._reopen_searcher_or_damage()
                continue
            if attempt == 2:
                raise SearchIndexError(f"the search index cannot be read: {damage}")
            with self._write_lock:
                if self._health_ok():
                    raise QueryError(f"this query could not be run ({damage})")
                self._set_aside(damage)
                self._create()
                self._update(None, None, None)
                recovered = self._pending_recovered
        raise SearchIndexError("the search index cannot be read")  # pragma: no cover

    def _reopen_searcher_or_damage(self) -> None:
        try:
            if self._ix is None:
                self._ensure_open()
            else:
                self._reopen_searcher()
        except _DamagedError as exc:
            _release(exc)

    def _health_ok(self) -> bool:
        """Open the index afresh and read every stored document and a bit of every field's postings."""
        try:
            with _closing_on_failure():
                ix = w_index.FileIndex(_TrackingStorage(str(self.index_dir)), indexname=INDEX_NAME)
                searcher = ix.searcher()
            with searcher:
                reader = searcher.reader()
                for _ in reader.all_stored_fields():
                    pass
                for fieldname in reader.indexed_field_names():
                    for btext in islice(reader.lexicon(fieldname), 0, 1000000, 997):
                        list(islice(reader.postings(fieldname, btext).all_ids(), 10))
        except Exception as exc:  # noqa: BLE001 - any failure means damage
            log.warning("search index health check failed: %s", _describe(exc))
            _release(exc)
            return False
        return True

    def _search(
        self, text: str, limit: int, offset: int, snippets: bool, recovered: str | None
    ) -> SearchResults:
        with self._using() as searcher:
            recovered = recovered or self._pending_recovered
            q = self._parse(text, searcher)
            try:
                # No block-quality skipping (it made ``len(results)`` run the query again) and no matcher
                # replacement: once the page is full, Whoosh "replaces" an AndMaybe (the title boost) whose
                # required part cannot beat the page by an intersection, dropping matches from the count.
                ranked = _bulk_search(searcher, q, offset + limit if limit else 1)
                if ranked is not None:
                    total, top = ranked
                    ranked_hits = [(searcher.stored_fields(docnum), score) for score, docnum in top[offset:]]
                else:
                    collector = TopCollector(
                        limit=offset + limit if limit else 1, usequality=False, replace=0
                    )
                    searcher.search_with_collector(q, collector)
                    results = collector.results()
                    total = len(results)
                    ranked_hits = [(hit.fields(), hit.score) for hit in results[offset : offset + limit]]
                page = []
                for fields, score in ranked_hits if limit else []:
                    state = fields.get("state") or (-1, -1, "")
                    page.append(
                        (fields["relpath"], fields.get("title", ""), fields.get("date"), score, state[2])
                    )
            except wq.QueryError as exc:
                raise QueryError(f"this query cannot run: {_describe(exc)}") from exc
            except RecursionError as exc:
                raise QueryError("the query is nested too deeply") from exc
            except Exception as exc:
                raise _DamagedError(_describe(exc)) from exc
            matchers = _Matchers.from_query(q, searcher.reader()) if snippets and page else None
        hits = [
            self._make_hit(rp, title, date, float(score), matchers, content_hash)
            for rp, title, date, score, content_hash in page
        ]
        return SearchResults(
            query=text, total=total, hits=tuple(hits), offset=offset, limit=limit, recovered=recovered
        )

    def _make_hit(
        self,
        relpath: str,
        title: str,
        date: str | None,
        score: float,
        matchers: _Matchers | None,
        content_hash: str = "",
    ) -> SearchHit:
        if matchers is None:
            return SearchHit(relpath=relpath, title=title, date=date or None, score=score)
        path = self.library / relpath
        snippet: str = ""
        marks: tuple[tuple[int, int], ...] = ()
        text = self._read_text(content_hash)
        if text is None:
            try:
                text = load_article(path, self.library).text
            except ArticleReadError:
                text = None
        if text is not None:
            spans = matchers.spans(text, TEXT_FIELDS, max_chunks=SNIPPET_PARAGRAPHS)
            snippet, marks = _snippet(text, spans, skip=_title_end(text, title))
        note_snippet = ""
        note_marks: tuple[tuple[int, int], ...] = ()
        note_id: str | None = None
        if matchers.has_fields(NOTE_FIELDS):
            try:
                annotations = load_annotations(path)
            except SidecarError:
                annotations = []
            found = _note_hit(annotations, matchers)
            if found is not None:
                note_snippet, note_marks, note_id = found
        return SearchHit(
            relpath=relpath,
            title=title,
            date=date or None,
            score=score,
            snippet=snippet,
            snippet_marks=marks,
            note_snippet=note_snippet,
            note_marks=note_marks,
            note_id=note_id,
        )

    def term_spans(self, query: str, text: str) -> list[tuple[int, int]]:
        """Code-point spans of ``text`` (an article's canonical text) matching the query's positive terms.

        Uses the same analysis as the index (stems, Korean substrings, expanded prefixes). Raises
        :class:`QueryError` for a query that cannot run.
        """
        try:
            with self._using() as searcher:
                q = self._parse(query, searcher)
                matchers = _Matchers.from_query(q, searcher.reader())
        except (QueryError, SearchIndexError):
            raise
        except Exception as exc:
            raise QueryError(f"this query could not be run ({_describe(exc)})") from exc
        return matchers.spans(text, TEXT_FIELDS)


# ------------------------------------------------------------------------------- building documents


def _text_path(index_dir: Path, content_hash: str) -> Path | None:
    digest = content_hash.removeprefix("sha256:")
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        return None
    return index_dir / TEXTS_DIR / digest[:2] / f"{digest}.z"


def _store_text(index_dir: Path, content_hash: str, text: str) -> None:
    """Keep a zlib copy of an article's canonical text, named by its hash, for snippets.

    Content-addressed, so a copy is never stale. Re-running the article pipeline (``load_article``)
    for each hit of a page costs up to ~60 ms an article; decompressing a copy ~0.1 ms.
    """
    path = _text_path(index_dir, content_hash)
    if path is None or path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(zlib.compress(text.encode("utf-8"), 6))
        os.replace(tmp, path)
    except OSError as exc:  # only snippets get slower
        log.debug("could not keep a text copy %s: %s", path, exc)


@dataclass(slots=True)
class _Job:
    """An article to (re)read: its relpath, stat and sidecar stamps, and its indexed state (or None)."""

    relpath: str
    stat: tuple[int, int]
    sidecar: tuple[int, int]
    old: State | None


@dataclass(slots=True)
class _Prepared:
    """What reading one article gave: ``kind`` is ``doc`` (index ``doc``), ``same`` (content unchanged:
    ``verified`` holds the stamp to remember) or ``unreadable``."""

    relpath: str
    kind: str
    old_exists: bool
    doc: dict[str, Any] | None = None
    skipped: Skipped | None = None
    verified: list[Any] | None = None


def _prepare(index_dir: Path, root: Path, job: _Job) -> _Prepared:
    rp, old = job.relpath, job.old
    path = root / rp
    try:
        article = load_article(path, root)
    except ArticleReadError as exc:
        return _Prepared(rp, "unreadable", old is not None, skipped=Skipped(rp, exc.reason))
    if old is not None and old[2] == article.content_hash and old[3:] == job.sidecar:
        return _Prepared(rp, "same", True, verified=[*job.stat, article.content_hash])
    skipped = None
    try:
        annotations = load_annotations(path)
    except SidecarError as exc:
        sc_rel = sidecar_path(Path(rp)).as_posix()
        skipped = Skipped(sc_rel, f"notes not searchable: {exc.reason}")
        annotations = []
    # Article data (issue 16): the user's metadata edits, article tags (in tag: too), status and star.
    _count, data = read_sidecar_summary(path)
    meta = effective_meta(article.meta, data)
    notes = "\n".join(a.note for a in annotations if a.note)
    tags = "\n".join([*data.tags, *(t for a in annotations for t in a.tags)])
    doc = {
        "relpath": rp,
        "path": rp,
        "title": meta.title,
        "all": [meta.title, article.text, notes, tags],  # ALL_FIELDS
        "author": meta.author or "",
        "source": meta.source or "",
        "date": meta.date or "",
        "lang": meta.language or "",
        "quote": "\n".join(a.exact for a in annotations),
        "note": notes,
        "tag": tags,
        "color": " ".join(sorted({a.color for a in annotations})),
        "status": data.reading_status,
        "starred": "yes" if data.is_starred else "no",
        "state": (*job.stat, article.content_hash, *job.sidecar),
    }
    if not doc["date"]:
        del doc["date"]
    if not doc["lang"]:
        del doc["lang"]
    _store_text(index_dir, article.content_hash, article.text)
    return _Prepared(rp, "doc", old is not None, doc=doc, skipped=skipped)


class _LengthCache:
    """A segment's field lengths read once per field: Whoosh's flush asks for one per posting."""

    def __init__(self, pdr: Any) -> None:
        self._pdr = pdr
        self._values: dict[str, list[Any]] = {}

    def doc_field_length(self, docnum: int, fieldname: str) -> Any:
        values = self._values.get(fieldname)
        if values is None:
            pdr = self._pdr
            values = [pdr.doc_field_length(d, fieldname) for d in range(pdr.doc_count_all())]
            self._values[fieldname] = values
        return values[docnum]


class _SegmentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's SegmentWriter with a faster flush (same files): the field lengths for the posting blocks'
    statistics come from :class:`_LengthCache` (about a tenth of a build went to looking them up)."""

    reader_pool: _ReaderPool | None = None

    def reader(self, reuse: Any = None) -> Any:
        """The reader ``delete_by_term`` searches: over the shared segment files when there is a pool."""
        if self.reader_pool is None:
            return super().reader(reuse=reuse)
        self._check_state()
        return self.reader_pool.reader(
            self.storage, self.schema, self.segments, self.generation, current=False
        )

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        postings = self.pool.iter_postings()
        self.fieldwriter.add_postings(self.schema, _LengthCache(pdr) if pdr else None, postings)
        self.fieldwriter.close()
        if pdr:
            pdr.close()


def _small_segments(segments: Iterable[Any]) -> list[Any]:
    return [s for s in segments if s.doc_count_all() < SMALL_SEGMENT_DOCS]


def _no_merge(writer: Any, segments: list[Any]) -> list[Any]:
    """Merge policy: no merging; segments whose documents are all deleted leave the table of contents."""
    return [s for s in segments if s.doc_count() > 0]


def _merge_small(writer: Any, segments: list[Any]) -> list[Any]:
    """Merge policy: the small segments (deleted documents dropped) go into the writer's new segment."""
    small = _small_segments(segments)
    if len(small) < 2:
        return segments
    for segment in small:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
    merged = {s.segment_id() for s in small}
    return [s for s in segments if s.segment_id() not in merged]


def _commit(writer: Any, segments: list[Any]) -> None:
    """Commit ``writer`` plus the segments worker processes wrote, without merging: a commit stays fast;
    small segments are merged by :meth:`SearchIndex.merge_when_idle`, or here once there are more than
    :data:`MAX_SMALL_SEGMENTS`."""
    if not segments:
        pending = len(_small_segments(writer.segments)) + (1 if writer._added else 0)
        writer.commit(mergetype=_merge_small if pending > MAX_SMALL_SEGMENTS else _no_merge)
        return
    final = writer._merge_segments(None, False, False)
    final.extend(segments)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    writer._commit_toc(final)
    writer._finish()


def _worker_count(jobs: int) -> int:
    """How many processes read and index ``jobs`` articles: 1 (this thread) for small batches."""
    env = os.environ.get(ENV_PROCS, "")
    procs = int(env) if env.strip().isdigit() else min(os.cpu_count() or 1, MAX_PROCS)
    if jobs < PARALLEL_MIN:
        return 1
    return max(1, min(procs, jobs // (PARALLEL_MIN // 2)))


_worker_progress: Any = None
_worker_cancel: Any = None


#: Index worker processes run this much nicer than the caller, so that a window keeps its cores.
WORKER_NICE = 10


def _worker_init(progress: Any, cancel: Any) -> None:
    global _worker_progress, _worker_cancel
    _worker_progress, _worker_cancel = progress, cancel
    with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows
        os.nice(WORKER_NICE)


def _worker_build(index_dir: str, root: str, jobs: list[_Job]) -> tuple[Any, list[_Prepared], bool]:
    """In a worker process: read ``jobs`` and write their documents into one new segment (not committed:
    the parent, which holds the index lock, adds it to the table of contents)."""
    folder, library = Path(index_dir), Path(root)
    ix = w_index.FileIndex(FileStorage(index_dir), indexname=INDEX_NAME)
    # Uncompressed posting blocks: zlib took ~1/8 of a build (each block says whether it is compressed).
    writer = _SegmentWriter(ix, _lk=False, codec=W3Codec(compression=0), limitmb=WORKER_POOL_MB)
    results: list[_Prepared] = []
    stopped = False
    try:
        for i, job in enumerate(jobs):
            if _worker_cancel is not None and _worker_cancel.is_set():
                stopped = True
                break
            result = _prepare(folder, library, job)
            if result.doc is not None:
                writer.add_document(**result.doc)
                result.doc = None
            results.append(result)
            if _worker_progress is not None and (i % 8 == 7 or i == len(jobs) - 1):
                _worker_progress.put(i % 8 + 1)
        segment = writer._finalize_segment() if writer._added else None
        if segment is None:
            writer._close_segment()
    except BaseException:
        with contextlib.suppress(Exception):
            writer._close_segment()
        raise
    return segment, results, stopped


def _build_in_processes(
    index_dir: Path,
    root: Path,
    jobs: list[_Job],
    procs: int,
    base: int,
    total: int,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
) -> tuple[list[Any], list[_Prepared], bool]:
    """Read and index ``jobs`` in ``procs`` processes (spawned: safe from a GUI process with threads), each
    writing one segment. This process only waits, so its own threads (a window) keep the GIL to themselves.
    Returns the segments, the per-article results and whether it was cancelled."""
    ctx = multiprocessing.get_context("spawn")
    progress_q = ctx.Queue()
    cancel = ctx.Event()
    # Interleaved shares (every segment gets long and short articles alike), one segment each.
    n_shares = max(procs, -(-len(jobs) // SEGMENT_ARTICLES))
    shares = [jobs[i::n_shares] for i in range(n_shares)]
    done = base
    init = (progress_q, cancel)
    with ProcessPoolExecutor(procs, mp_context=ctx, initializer=_worker_init, initargs=init) as pool:
        futures = [pool.submit(_worker_build, str(index_dir), str(root), share) for share in shares]
        pending = set(futures)
        while pending:
            _finished, pending = wait(pending, timeout=0.1)
            with contextlib.suppress(queue.Empty):
                while True:
                    done += progress_q.get_nowait()
            if progress is not None:
                progress(min(done, total), total)
            if cancelled is not None and not cancel.is_set() and cancelled():
                cancel.set()
        outcomes = [f.result() for f in futures]
    progress_q.close()
    segments = [seg for seg, _results, _stopped in outcomes if seg is not None]
    results = sorted((r for _seg, rs, _stopped in outcomes for r in rs), key=lambda r: r.relpath)
    return segments, results, any(stopped for _seg, _rs, stopped in outcomes)


def _is_article_file(root: Path, path: Path) -> bool:
    """Whether :func:`iter_article_files` would list ``path`` (checked without walking the tree)."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    if any(part.startswith(".") for part in rel.parts):
        return False
    return path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES


# ------------------------------------------------------------------------------------ query processing


class _StarOnlyWildcardPlugin(qparser.WildcardPlugin):  # type: ignore[misc]
    """Only ``*`` is a wildcard: a question mark typed at the end of a question stays punctuation."""

    qmarks = ""
    expr = "(?P<text>[*])"


def _raise_parse_errors(q: Any) -> None:
    error = getattr(q, "error", None)
    if error:
        raise QueryError(f"the query could not be understood ({str(error).splitlines()[0][:150]})")
    if not q.is_leaf():
        for child in q.children():
            _raise_parse_errors(child)


def _field_kind(schema: Any, fieldname: str | None) -> str:
    if fieldname is None or fieldname not in schema:
        return "none"
    if fieldname == "date":
        return "date"
    field = schema[fieldname]
    return "text" if field.format is not None and field.format.supports("positions") else "keyword"


def _check_date(value: str) -> str:
    if not _DATE_RE.match(value):
        raise QueryError(f"{value!r} is not a date: use 2025, 2025-11 or 2025-11-20")
    return value


def _hangul_query(fieldname: str, text: str, boost: float) -> Any:
    """A CJK word (possibly mixed) as the phrase of its terms; one syllable as itself or a bigram prefix."""
    terms = [t for t, _s, _e in analyze(text)]
    if not terms:
        return wq.NullQuery
    if len(terms) == 1:
        term = terms[0]
        if len(term) == 1 and _CJK_RE.match(term):
            return wq.Or([wq.Term(fieldname, term, boost=boost), wq.Prefix(fieldname, term, boost=boost)])
        return wq.Term(fieldname, term, boost=boost)
    return wq.Phrase(fieldname, terms, boost=boost)


def _rewrite(q: Any, schema: Any) -> Any:
    if not q.is_leaf():
        return q.apply(lambda child: _rewrite(child, schema))
    fieldname: str = getattr(q, "fieldname", None) or ""
    kind = _field_kind(schema, fieldname or None)
    boost = getattr(q, "boost", 1.0)
    if kind == "none":
        return q
    if kind == "date":
        if isinstance(q, wq.TermRange):
            start = _check_date(q.start) if q.start else None
            end = _check_date(q.end) if q.end else None
            if start is not None and q.startexcl:
                start += "\uffff"
            if end is not None and not q.endexcl:
                end += "\uffff"
            return wq.TermRange("date", start, end, boost=boost)
        if isinstance(q, wq.Phrase):
            return wq.Prefix("date", _check_date(" ".join(q.words)), boost=boost)
        if isinstance(q, (wq.Term, wq.Prefix, wq.FuzzyTerm)) and isinstance(q.text, str):
            return wq.Prefix("date", _check_date(q.text), boost=boost)
        if isinstance(q, wq.Wildcard):
            return wq.Prefix("date", _check_date(q.text.rstrip("*")), boost=boost)
        raise QueryError("dates look like date:2025, date:2025-11 or date:[2025-01 to 2025-12]")
    if kind == "keyword":
        if isinstance(q, wq.Phrase):
            return wq.Term(fieldname, " ".join(q.words), boost=boost)
        return _check_multiterm(q)
    # Text fields.
    if isinstance(q, wq.Term) and isinstance(q.text, str) and _CJK_RE.search(q.text):
        return _hangul_query(fieldname, q.text, boost) if len(q.text) == 1 else q
    if isinstance(q, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)) and _CJK_RE.search(q.text):
        if isinstance(q, wq.Wildcard) and "*" in q.text.rstrip("*"):
            raise QueryError("a * inside a Korean or CJK word is not supported; put it at the end")
        word = q.text.rstrip("*")
        if len(word) == 1:
            return wq.Prefix(fieldname, word, boost=boost)
        return _hangul_query(fieldname, word, boost)
    if isinstance(q, wq.FuzzyTerm):
        words = [t for t, _s, _e in analyze(q.text)]
        if not words:
            return wq.NullQuery
        if len(words) > 1:
            return wq.Phrase(fieldname, words, boost=boost)
        word = words[0]
        if len(word) < 3:
            return wq.Term(fieldname, word, boost=boost)  # too short to be fuzzy: the word itself
        return wq.FuzzyTerm(
            fieldname,
            word,
            boost=boost,
            maxdist=max(1, min(int(q.maxdist), MAX_FUZZY_DIST)),
            prefixlength=min(max(1, int(q.prefixlength)), len(word) - 1),
        )
    return _check_multiterm(q)


class _AdjacentMatcher(SpanNear2.SpanNear2Matcher):  # type: ignore[misc]
    """Whoosh's phrase matcher (slop 1) finding the phrase's positions by set intersection: the same spans
    without building and pairing a Span object per position (most of a common phrase's search)."""

    def _get_spans(self) -> list[Any]:
        starts: set[int] | None = None
        for k, m in enumerate(self.ms):
            shifted = set(map(sub, m.value_as("positions"), repeat(k)))
            starts = shifted if starts is None else starts & shifted
            if not starts:
                return []
        last = len(self.ms) - 1
        return [Span(p, p + last) for p in sorted(starts or ())]


class _Phrase(wq.Phrase):  # type: ignore[misc]
    """A Phrase (slop 1) matched by :class:`_AdjacentMatcher`; otherwise Whoosh's ``Phrase.matcher``."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        fieldname = self.fieldname
        schema = searcher.schema
        if self.slop != 1 or fieldname not in schema or not schema[fieldname].format.supports("positions"):
            return super().matcher(searcher, context)
        field = schema[fieldname]
        reader = searcher.reader()
        ms = []
        for word in self.words:
            try:
                btext = field.to_bytes(word)
            except ValueError:
                return NullMatcher()
            if (fieldname, btext) not in reader:
                return NullMatcher()
            ms.append(wq.Term(fieldname, btext).matcher(searcher, context))
        m = _AdjacentMatcher(ms)
        return WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


# ------------------------------------------------------------------------------------ bulk evaluation


class _UnsupportedError(Exception):
    """Internal: a query shape :func:`_bulk_search` leaves to Whoosh's matchers."""


_LENGTH_TABLE = [byte_to_length(b) for b in range(256)]


class _SegmentData:
    """What bulk scoring reads from one segment: its deletions and, per field, each document's BM25 length
    normalisation (segments never change, so this is computed once per segment, field and average)."""

    _cache: ClassVar[dict[tuple[str, str], list[int]]] = {}

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.deleted: frozenset[int] = reader.deleted_docs_set
        self.segid: str = reader._segid if hasattr(reader, "_segid") else str(id(reader))

    def lengths(self, fieldname: str) -> list[int]:
        key = (self.segid, fieldname)
        found = self._cache.get(key)
        if found is None:
            reader = self.reader
            count = reader.doc_count_all()
            column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if column is None:
                found = [0] * count
            else:
                raw = column._dbfile.get(column._basepos, min(column._count, count))
                table = _LENGTH_TABLE
                found = [table[b] for b in raw] + [0] * (count - len(raw))
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = found
        return found

    def postings(
        self, fieldname: str, btext: bytes, values: bool = False
    ) -> tuple[list[int], list[Any], list[Any]]:
        """Document numbers, weights (and raw values) of a term, deleted documents left out."""
        reader = self.reader
        if (fieldname, btext) not in reader:
            return [], [], []
        m = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format, scorer=None)
        ids: list[int] = []
        weights: list[Any] = []
        vals: list[Any] = []
        if isinstance(m, W3LeafMatcher):
            while m.is_active():
                m._read_data()
                raw_ids = m._data[0]
                ids.extend(raw_ids if m._byteids else accumulate(raw_ids))  # Whoosh: delta_decode in Python
                m._read_weights()
                weights.extend(m._weights)
                if values:
                    m._read_values()
                    vals.extend(m._values)
                m._next_block()
        else:
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
    b_param = weighting._field_B.get(fieldname, weighting.B)
    k1 = weighting.K1
    idf = top.idf(fieldname, btext)
    avgfl = top.avg_field_length(fieldname) or 1
    lengths = seg.lengths(fieldname)
    k1p1 = k1 + 1
    return [
        idf * ((tf * k1p1) / (tf + k1 * ((1 - b_param) + b_param * lengths[d] / avgfl)))
        for d, tf in zip(ids, weights, strict=True)
    ]


def _term_scores(top: Any, seg: _SegmentData, fieldname: str, text: Any, boost: float) -> dict[int, float]:
    schema = seg.reader.schema
    if fieldname not in schema:
        return {}
    field = schema[fieldname]
    try:
        btext = text if isinstance(text, bytes) else field.to_bytes(text)
    except ValueError:
        return {}
    ids, weights, _ = seg.postings(fieldname, btext)
    if not ids:
        return {}
    if field.scorable:
        scores = _bm25(top, seg, fieldname, btext, ids, weights)
    else:  # keyword and ID fields: Whoosh scores the posting's weight
        scores = [float(w) for w in weights]
    if boost != 1.0:
        scores = [x * boost for x in scores]
    return dict(zip(ids, scores, strict=True))


def _tree_sum(values: list[float]) -> float:
    """Sum in the order of Whoosh's ``make_binary_tree`` (intersections of phrase words)."""
    if len(values) == 2:
        return values[0] + values[1]
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return _tree_sum(values[:half]) + _tree_sum(values[half:])


def _phrase_scores(top: Any, seg: _SegmentData, q: Any) -> dict[int, float]:
    fieldname = q.fieldname
    schema = seg.reader.schema
    if q.slop != 1 or fieldname not in schema or not schema[fieldname].format.supports("positions"):
        raise _UnsupportedError("phrase")
    if not schema[fieldname].scorable:
        raise _UnsupportedError(f"field {fieldname}")
    field = schema[fieldname]
    postings = []
    for word in q.words:
        try:
            btext = field.to_bytes(word)
        except ValueError:
            return {}
        ids, weights, vals = seg.postings(fieldname, btext, values=True)
        if not ids:
            return {}
        postings.append((btext, ids, weights, vals))
    candidates = set(postings[0][1])
    for _btext, ids, _w, _v in postings[1:]:
        candidates.intersection_update(ids)
    if not candidates:
        return {}
    values = [dict(zip(ids, vals, strict=True)) for _b, ids, _w, vals in postings]
    # Word k's positions shifted back by k: the phrase starts where all of them meet.
    first, middle, last = values[0], list(enumerate(values[1:-1], 1)), values[-1]
    k_last = len(values) - 1
    matched: list[int] = []
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
            if not set(memoryview(first[d])[4:].cast(code)).isdisjoint(  # type: ignore[call-overload]
                map(sub, memoryview(last[d])[4:].cast(code), repeat(1))  # type: ignore[call-overload]
            )
        ]
    else:
        code = _POSITION_CODE
        for d in candidates:
            starts = set(memoryview(first[d])[4:].cast(code))  # type: ignore[call-overload]
            for k, vmap in middle:
                starts.intersection_update(map(sub, memoryview(vmap[d])[4:].cast(code), repeat(k)))  # type: ignore[call-overload]
                if not starts:
                    break
            else:
                if not starts.isdisjoint(map(sub, memoryview(last[d])[4:].cast(code), repeat(k_last))):  # type: ignore[call-overload]
                    matched.append(d)
    if not matched:
        return {}
    word_scores = []
    for btext, ids, weights, _vals in postings:
        weight_of = dict(zip(ids, weights, strict=True))
        word_scores.append(_bm25(top, seg, fieldname, btext, matched, [weight_of[d] for d in matched]))
    # Summed in the order of Whoosh's binary tree of intersections (a + b, a + (b + c), ...).
    totals = [_tree_sum(list(parts)) for parts in zip(*word_scores, strict=True)]
    if q.boost != 1.0:
        totals = [x * q.boost for x in totals]
    return dict(zip(matched, totals, strict=True))


def _multiterm_scores(top: Any, seg: _SegmentData, q: Any) -> dict[int, float]:
    """Prefix and wildcard: the sum of the scores of the words they expand to in this segment, times the
    query's boost. (Whoosh's own matchers score these by the index's size: below 5,000 articles an array
    union whose skipping loses the title boost of an AndMaybe, and one word alone loses the boost.)"""
    words = [w for w in q._btexts(seg.reader) if w]
    return _sum_union([_term_scores(top, seg, q.field(), w, 1.0) for w in words], q.boost)


def _sum_union(parts: list[dict[int, float]], boost: float) -> dict[int, float]:
    out: dict[int, float] = {}
    for part in parts:
        for d, x in part.items():
            out[d] = out[d] + x if d in out else x
    if boost != 1.0:
        out = {d: x * boost for d, x in out.items()}
    return out


def _eval(top: Any, seg: _SegmentData, q: Any) -> dict[int, float]:
    """Document number -> score in one segment, as Whoosh's matchers would score them."""
    if isinstance(q, wq.AndMaybe):
        a = _eval(top, seg, q.a)
        if not a:
            return a
        b = _eval(top, seg, q.b)
        return {d: x + b[d] if d in b else x for d, x in a.items()}
    if isinstance(q, wq.AndNot):
        a = _eval(top, seg, q.a)
        if not a:
            return a
        b = _eval(top, seg, q.b)
        return {d: x for d, x in a.items() if d not in b}
    if isinstance(q, wq.And):
        subs = q.subqueries
        if len(subs) == 1:
            return _eval(top, seg, subs[0])
        positive = [s for s in subs if not isinstance(s, wq.Not)]
        negative = [s.query for s in subs if isinstance(s, wq.Not)]
        if not positive:
            raise _UnsupportedError("only negative terms")
        parts = sorted((_eval(top, seg, s) for s in positive), key=len)
        if not parts[0]:
            return {}
        common = set(parts[0]).intersection(*parts[1:])
        for neg in negative:
            common.difference_update(_eval(top, seg, neg))
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
            return _eval(top, seg, subs[0])
        return _sum_union([_eval(top, seg, s) for s in subs], q.boost)
    if isinstance(q, wq.Phrase):
        return _phrase_scores(top, seg, q)
    if type(q) is wq.Term:
        return _term_scores(top, seg, q.fieldname, q.text, q.boost)
    if type(q) in (wq.Prefix, wq.Wildcard):
        return _multiterm_scores(top, seg, q)
    if q is wq.NullQuery:
        return {}
    raise _UnsupportedError(type(q).__name__)


def _bulk_search(searcher: Any, q: Any, limit: int) -> tuple[int, list[tuple[float, int]]] | None:
    """The total and the ``limit`` best ``(score, docnum)`` of ``q``, best first (ties: lower document
    number first, as Whoosh's collector), computed from whole posting lists with sets and dictionaries
    instead of Whoosh's per-document matcher calls. ``None`` for query shapes left to Whoosh."""
    if not isinstance(searcher.weighting, BM25F):
        return None
    total = 0
    best: list[tuple[float, int]] = []
    try:
        for sub, offset in searcher.leaf_searchers():
            seg = _SegmentData(sub.reader())
            scores = _eval(searcher, seg, q)
            total += len(scores)
            best.extend((x, offset + d) for d, x in scores.items())
    except _UnsupportedError:
        return None
    except Exception as exc:  # noqa: BLE001 - Whoosh's matchers then answer (or report real damage)
        log.warning("bulk evaluation of %r failed (%s); using Whoosh's matchers", q, _describe(exc))
        return None
    top = heapq.nsmallest(limit, best, key=lambda item: (-item[0], item[1]))
    return total, top


def _fast_phrases(q: Any) -> Any:
    if isinstance(q, wq.Phrase) and type(q) is wq.Phrase and q.slop == 1 and len(q.words) > 1:
        return _Phrase(q.fieldname, q.words, slop=1, boost=q.boost, char_ranges=q.char_ranges)
    if q.is_leaf():
        return q
    return q.apply(_fast_phrases)


def _with_title_boost(q: Any) -> Any:
    """Each positive ``all`` leaf ``x`` becomes ``AndMaybe(x, title:x^TITLE_BOOST)``: matching on one field
    (the matchers of four fields per word took much of a search), a title match still ranking higher."""
    if isinstance(q, wq.Not):
        return q
    if isinstance(q, wq.AndNot):
        return wq.AndNot(_with_title_boost(q.a), q.b)
    if not q.is_leaf():
        return q.apply(_with_title_boost)
    if getattr(q, "fieldname", None) != "all":
        return q
    title = copy.copy(q)
    title.fieldname = "title"
    title.boost = q.boost * TITLE_BOOST
    return wq.AndMaybe(q, title)


def _expand_fuzzy(q: Any, reader: Any) -> Any:
    """Replace each fuzzy term by the indexed words within its edit distance (Whoosh's own Levenshtein
    automaton takes ~0.3 s to build for a distance of 2; rapidfuzz over the prefix's words takes ms)."""
    if not q.is_leaf():
        return q.apply(lambda child: _expand_fuzzy(child, reader))
    if not isinstance(q, wq.FuzzyTerm) or q.fieldname not in reader.schema:
        return q
    word: str = q.text
    prefix = word[: q.prefixlength]
    maxdist = int(q.maxdist)
    field = reader.schema[q.fieldname]
    scored: list[tuple[int, str]] = []
    try:
        for btext in reader.expand_prefix(q.fieldname, prefix):
            term = field.from_bytes(btext) if isinstance(btext, bytes) else btext
            if abs(len(term) - len(word)) > maxdist:
                continue
            dist = Levenshtein.distance(word, term, score_cutoff=maxdist)
            if dist <= maxdist:
                scored.append((dist, term))
    except Exception as exc:
        raise _DamagedError(_describe(exc)) from exc
    if not scored:
        return wq.Term(q.fieldname, word, boost=q.boost)  # matches nothing, keeps an AND an AND
    scored.sort()
    terms = [
        wq.Term(q.fieldname, t, boost=q.boost * (1.0 if d == 0 else 0.8)) for d, t in scored[:MAX_EXPANSION]
    ]
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def _check_multiterm(q: Any) -> Any:
    if isinstance(q, wq.Wildcard):
        literal = re.split(r"[*?]", q.text, maxsplit=1)[0]
        if len(literal) < 2:
            raise QueryError(f"{q.text}: put at least 2 letters before a *")
    elif isinstance(q, wq.Prefix) and len(q.text) < 2:
        raise QueryError(f"{q.text}*: a prefix needs at least 2 letters")
    return q


def _has_positive(q: Any) -> bool:
    if isinstance(q, wq.Not):
        return False
    if isinstance(q, wq.AndNot):
        return _has_positive(q.a)
    if isinstance(q, (wq.And, wq.AndMaybe)):
        return any(_has_positive(c) for c in q.children())
    if isinstance(q, (wq.Or, wq.DisjunctionMax)):
        return all(_has_positive(c) for c in q.children())
    if q.is_leaf():
        return True
    return all(_has_positive(c) for c in q.children())


def _iter_leaves(q: Any, positive_only: bool = False) -> Iterator[Any]:
    if positive_only and isinstance(q, wq.Not):
        return
    if positive_only and isinstance(q, wq.AndNot):
        yield from _iter_leaves(q.a, positive_only)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _iter_leaves(child, positive_only)


def _check_expansion(q: Any, reader: Any) -> None:
    for leaf in _iter_leaves(q):
        if isinstance(leaf, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm, wq.TermRange)) and leaf.field() != "date":
            if leaf.field() not in reader.schema:
                continue
            try:
                count = sum(1 for _ in islice(leaf._btexts(reader), MAX_EXPANSION + 1))
            except Exception as exc:
                raise _DamagedError(_describe(exc)) from exc
            if count > MAX_EXPANSION:
                raise QueryError(
                    f"{_leaf_text(leaf)} matches too many words (over {MAX_EXPANSION}); make it more specific"
                )


def _leaf_text(leaf: Any) -> str:
    if isinstance(leaf, wq.TermRange):
        return f"{leaf.fieldname}:[{leaf.start or ''} to {leaf.end or ''}]"
    if isinstance(leaf, wq.Prefix):
        return f"{leaf.text}*"
    if isinstance(leaf, wq.FuzzyTerm):
        return f"{leaf.text}~"
    return str(getattr(leaf, "text", leaf))


class _Matchers:
    """The positive terms of a query, ready to find spans in a text: per field, single terms and phrases."""

    def __init__(self) -> None:
        self.terms: dict[str, set[str]] = {}
        self.phrases: dict[str, list[tuple[str, ...]]] = {}

    @classmethod
    def from_query(cls, q: Any, reader: Any) -> _Matchers:
        m = cls()
        for leaf in _iter_leaves(q, positive_only=True):
            fieldname = getattr(leaf, "fieldname", None)
            if fieldname is None or fieldname == "date":
                continue
            if isinstance(leaf, wq.Phrase):
                words = tuple(w for w in leaf.words if isinstance(w, str))
                if words:
                    m.phrases.setdefault(fieldname, []).append(words)
            elif isinstance(leaf, wq.Term):
                if isinstance(leaf.text, str):
                    m.terms.setdefault(fieldname, set()).add(leaf.text)
            elif isinstance(leaf, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm, wq.TermRange)):
                if fieldname not in reader.schema:
                    continue
                field = reader.schema[fieldname]
                try:
                    for btext in islice(leaf._btexts(reader), MAX_EXPANSION):
                        term = field.from_bytes(btext) if isinstance(btext, bytes) else btext
                        m.terms.setdefault(fieldname, set()).add(term)
                except Exception as exc:
                    raise _DamagedError(_describe(exc)) from exc
        return m

    def has_fields(self, fields: Iterable[str]) -> bool:
        return any(f in self.terms or f in self.phrases for f in fields)

    def spans(self, text: str, fields: Iterable[str], *, max_chunks: int = 0) -> list[tuple[int, int]]:
        """Spans of the terms and phrases of ``fields`` in ``text`` (what :func:`analyze` would find); with
        ``max_chunks`` and a long text, only those in the first that many paragraphs with matches (enough
        for a snippet)."""
        terms: set[str] = set()
        phrases: set[tuple[str, ...]] = set()
        for f in fields:
            terms |= self.terms.get(f, set())
            phrases.update(self.phrases.get(f, []))
        if not terms and not phrases:
            return []
        streams: list[Iterator[tuple[int, int]]] = []
        if terms:
            streams.append(_TermFinder.get(frozenset(terms)).find(text))
        for words in sorted(phrases):
            streams.append(_phrase_spans(text, words))
        found: Iterable[tuple[int, int]] = streams[0] if len(streams) == 1 else heapq.merge(*streams)
        if max_chunks and len(text) >= SNIPPET_LONG_TEXT:
            found = _first_paragraphs(text, found, max_chunks)
        return _merge(list(found))


class _TermFinder:
    """Finds where terms occur in a text, as :func:`analyze` would, without analysing all of it.

    A regular expression finds the candidate words: those starting with the first letters of a term (a
    Snowball stem of four or more letters keeps all but its last letter from the word; shorter stems keep the
    first letter, as ``die`` from ``dying``), which are then stemmed and compared. CJK terms (characters and
    bigrams) are found as substrings. Text whose lower case is not that of its words (rare) is analysed in
    full.
    """

    _cache: ClassVar[dict[frozenset[str], _TermFinder]] = {}

    @classmethod
    def get(cls, terms: frozenset[str]) -> _TermFinder:
        finder = cls._cache.get(terms)
        if finder is None:
            if len(cls._cache) > 256:
                cls._cache.clear()
            finder = cls._cache[terms] = cls(terms)
        return finder

    def __init__(self, terms: frozenset[str]) -> None:
        self.terms = terms
        self.words: set[str] = set()
        self.cjk: set[str] = set()
        for t in terms:  # a term that is not one token of the text can never match
            m = _TOKEN_RE.fullmatch(t)
            if m is not None and m.lastgroup == "word":
                self.words.add(t)
            elif m is not None and len(t) <= 2:
                self.cjk.add(t)
        probes = sorted({w[:-1] if len(w) >= 4 else w[:1] for w in self.words})
        kept: list[str] = []
        for probe in probes:  # sorted: a probe that extends a kept one adds nothing
            if not kept or not probe.startswith(kept[-1]):
                kept.append(probe)
        # Plain literals, searched in the lower-cased text: the regex engine skips ahead to them quickly.
        self.regex = re.compile("|".join(map(re.escape, kept))) if kept else None

    def find(self, text: str) -> Iterator[tuple[int, int]]:
        """``(start, end)`` of every occurrence, in order of start."""
        lower = text.lower()
        # Lower-casing the whole text must equal lower-casing each word: not so when a character lowers to
        # two (İ) or for Greek capital sigma, which lowers by its context.
        if len(lower) != len(text) or "\u03a3" in text:
            return iter([(s, e) for t, s, e in analyze(text) if t in self.terms])
        streams: list[Iterator[tuple[int, int]]] = []
        if self.regex is not None:
            streams.append(self._words(lower))
        for term in sorted(self.cjk):
            streams.append(self._cjk(text, term))
        if len(streams) == 1:
            return streams[0]
        return heapq.merge(*streams)

    def _words(self, lower: str) -> Iterator[tuple[int, int]]:
        assert self.regex is not None
        words = self.words
        token = _TOKEN_RE.match
        for m in self.regex.finditer(lower):
            start = m.start()
            if start:
                before = lower[start - 1]
                if (before.isalnum() or before == "_") and not _CJK_RE.match(before):
                    continue  # inside a word, not at its start
            word = token(lower, start)
            if word is not None and _stem(word.group()) in words:
                yield start, word.end()

    @staticmethod
    def _cjk(text: str, term: str) -> Iterator[tuple[int, int]]:
        # A bigram anywhere in a run is a term; a single character only when it is a run by itself.
        find = text.find
        i = find(term)
        while i >= 0:
            if len(term) == 2:
                yield i, i + 2
            elif not (i > 0 and _CJK_RE.match(text, i - 1)) and not _CJK_RE.match(text, i + 1):
                yield i, i + 1
            i = find(term, i + 1)


def _phrase_spans(text: str, words: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """Spans of a phrase: an occurrence of its first term followed by the other terms, as analysed."""
    n = len(words)
    for start, _end in _TermFinder.get(frozenset(words[:1])).find(text):
        tokens = list(islice(analyze(text, start), n))
        if len(tokens) == n and all(tokens[k][0] == words[k] for k in range(n)):
            yield start, tokens[-1][2]


def _first_paragraphs(
    text: str, spans: Iterable[tuple[int, int]], paragraphs: int
) -> Iterator[tuple[int, int]]:
    """The spans (in order of start) that lie in the first ``paragraphs`` paragraphs having any."""
    seen = 0
    last_end = -1
    for s, e in spans:
        if last_end < 0 or (s > last_end and _PARAGRAPH_BREAK_RE.search(text, last_end, s)):
            seen += 1
            if seen > paragraphs:
                return
        yield s, e
        last_end = max(last_end, e)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _title_end(text: str, title: str) -> int:
    """Where the body starts when the text begins with its title line (so snippets do not repeat it)."""
    stripped = text.lstrip()
    if title and stripped.startswith(title):
        return len(text) - len(stripped) + len(title)
    return 0


def _snippet(
    text: str, spans: list[tuple[int, int]], *, skip: int = 0
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of ~:data:`SNIPPET_CHARS` around the densest group of spans, whitespace collapsed."""
    body_spans = [sp for sp in spans if sp[0] >= skip] or spans
    if body_spans:
        best_start, best_score = body_spans[0][0], -1
        for i, (s, _e) in enumerate(body_spans):
            window_end = s + SNIPPET_CHARS - SNIPPET_LEAD
            score = 0
            for _s2, e2 in body_spans[i:]:
                if e2 > window_end:
                    break
                score += 1
            if score > best_score:
                best_start, best_score = s, score
        start = max(skip if best_start >= skip else 0, best_start - SNIPPET_LEAD)
        if start > 0:
            # Begin at a line start or a word start between ``start`` and the first match.
            newline = text.rfind("\n", start, best_start)
            space = text.find(" ", start, best_start)
            if newline >= 0:
                start = newline + 1
            elif space >= 0:
                start = space + 1
        while start < best_start and text[start].isspace():
            start += 1
    else:
        start = skip
        while start < len(text) and text[start].isspace():
            start += 1
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        if space > start:
            end = space
    out: list[str] = []
    mapping: list[int] = []  # text offset -> snippet offset, for start..end
    prefix = "…" if start > 0 else ""
    pos = len(prefix)
    last_space = True
    for i in range(start, end):
        ch = text[i]
        mapping.append(pos)
        if ch.isspace():
            if last_space:
                continue
            out.append(" ")
            pos += 1
            last_space = True
        else:
            out.append(ch)
            pos += 1
            last_space = False
    mapping.append(pos)
    body = "".join(out).rstrip()
    snippet = prefix + body + ("…" if end < len(text) else "")
    marks: list[tuple[int, int]] = []
    for s, e in spans:
        if e <= start or s >= end:
            continue
        ms = mapping[max(s, start) - start]
        me = mapping[min(e, end) - start]
        me = min(me, len(prefix) + len(body))
        if me > ms:
            marks.append((ms, me))
    return snippet, tuple(marks)


def _note_hit(
    annotations: list[Annotation], matchers: _Matchers
) -> tuple[str, tuple[tuple[int, int], ...], str] | None:
    for ann in annotations:
        for text, fields in ((ann.note, ("note", "all")), (ann.exact, ("quote",))):
            if not text:
                continue
            spans = matchers.spans(text, fields)
            if spans:
                snippet, marks = _snippet(text, spans)
                return snippet, marks, ann.id
        if ann.tags and matchers.spans("\n".join(ann.tags), ("tag", "all")):
            text = ann.note or ann.exact
            snippet, _marks = _snippet(text, [])
            return snippet, (), ann.id
    return None
