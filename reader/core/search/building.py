"""Building: reading articles into documents, writing segments (in worker processes for big updates), and
committing them.

:func:`_prepare` reads one article (and its notes) into a document, or says it is unchanged or unreadable.
An update with at least :data:`PARALLEL_MIN` articles to read spreads them over worker processes (spawned,
one per core, at most :data:`MAX_PROCS`, ``READER_INDEX_PROCS=1`` turns them off): each reads its share
(:func:`_worker_build`) and writes whole segments of at most :data:`SEGMENT_ARTICLES` articles; the calling
process, which holds the index lock, only deletes the old versions and commits the new segments without
merging (:func:`_commit`). Workers write uncompressed posting blocks, and flushes read field lengths once
(:class:`_SegmentWriter`).

Commits never merge segments on their own: each commit of a few articles adds one small segment (fewer than
:data:`SMALL_SEGMENT_DOCS` documents); :func:`_merge_small` merges them when the index is idle, or in a commit
that would leave more than :data:`MAX_SMALL_SEGMENTS` of them.

:func:`_worker_init` and :func:`_worker_build` run in spawned processes: they stay module-level functions
(pickled by reference).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as w_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

from reader.core.articles.loader import load_article
from reader.core.errors import ArticleReadError, SidecarError
from reader.core.library.scan import ARTICLE_SUFFIXES
from reader.core.models import Skipped
from reader.core.notes.article_data import effective_meta, read_sidecar_summary
from reader.core.notes.sidecar import load_annotations, sidecar_path
from reader.core.search.schema import INDEX_NAME, State
from reader.core.search.storage import _ReaderPool, _store_text
from reader.core.search.whoosh_private import (
    SegmentWriterWithHooks,
    close_segment,
    commit_with_segments,
    finish_unlocked_segment,
    open_unlocked_writer,
    writer_has_documents,
    writer_segments,
)

__all__ = [
    "MAX_SMALL_SEGMENTS",
    "PARALLEL_MIN",
    "ProgressCallback",
    "_Job",
    "_Prepared",
    "_SegmentWriter",
    "_build_in_processes",
    "_commit",
    "_is_article_file",
    "_merge_small",
    "_prepare",
    "_sidecar_stamp",
    "_small_segments",
    "_worker_count",
]

ProgressCallback = Callable[[int, int], None]

#: An update with at least this many articles to read spreads them over worker processes.
PARALLEL_MIN = 200
#: At most this many worker processes (one per core otherwise); ``READER_INDEX_PROCS=1`` turns them off.
MAX_PROCS = 4
ENV_PROCS = "READER_INDEX_PROCS"
#: Memory for a worker's posting pool, and articles per segment a worker writes: a pool that spills sorted
#: runs to disk makes the flush merge them in Python (a 10k build took 44 s instead of 28 s).
WORKER_POOL_MB = 768
SEGMENT_ARTICLES = 3000
#: Segments with fewer documents are "small": :meth:`SearchIndex.merge_when_idle` merges them into one.
SMALL_SEGMENT_DOCS = 500
#: A commit that would leave more small segments than this merges them (when no one ran merge_when_idle).
MAX_SMALL_SEGMENTS = 32


def _sidecar_stamp(source: Path) -> tuple[int, int]:
    """``(size, mtime_ns)`` of an article's sidecar, ``(-1, -1)`` when it has none."""
    try:
        st = sidecar_path(source).stat()
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


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
    # Article data: the user's metadata edits, article tags (in tag: too), status and star.
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


class _SegmentWriter(SegmentWriterWithHooks):
    """Whoosh's SegmentWriter with a faster flush (same files): the field lengths for the posting blocks'
    statistics come from :class:`_LengthCache` (about a tenth of a build went to looking them up)."""

    reader_pool: _ReaderPool | None = None

    def segments_reader(self, storage: Any, schema: Any, segments: list[Any], generation: int) -> Any:
        """The reader ``delete_by_term`` searches: over the shared segment files when there is a pool."""
        if self.reader_pool is None:
            return None
        return self.reader_pool.reader(storage, schema, segments, generation, current=False)

    def field_lengths(self, per_document_reader: Any) -> Any:
        return _LengthCache(per_document_reader)


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
        pending = len(_small_segments(writer_segments(writer))) + (1 if writer_has_documents(writer) else 0)
        writer.commit(mergetype=_merge_small if pending > MAX_SMALL_SEGMENTS else _no_merge)
        return
    commit_with_segments(writer, segments)


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
    writer = open_unlocked_writer(_SegmentWriter, ix, codec=W3Codec(compression=0), limitmb=WORKER_POOL_MB)
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
        segment = finish_unlocked_segment(writer)
    except BaseException:
        with contextlib.suppress(Exception):
            close_segment(writer)
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
