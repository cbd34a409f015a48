"""Building: reading articles into documents, writing segments (in worker processes for big updates), and
committing them.

:func:`_prepare` reads one article (and its notes) into a document and its catalog item (the library list's
entry: a first open reads each article once for both), or says it is unchanged or unreadable. An update
with at least :data:`PARALLEL_MIN` articles to read spreads them over worker processes (spawned, one per
core and per :data:`WORKER_MEMORY_MB` of available memory, at most :data:`MAX_PROCS`,
``READER_INDEX_PROCS=1`` turns them off), in tasks (:func:`_task_slices`: a small first one, then whole
segments of at most :data:`SEGMENT_ARTICLES` articles). Each task (:func:`_worker_build`) writes one
segment; the calling process, which holds the index lock, deletes the old versions and commits each
segment as its task ends, without merging (:func:`_commit`): searches answer from what is committed while
the build goes on, and a build that is cancelled or killed keeps what it committed. Workers write
uncompressed posting blocks through :class:`~reader.core.search.segment_writing.TermBufferWriter` (the
same segment files as Whoosh's writer, written from per-term buffers), with the cyclic garbage collector off;
a task's segment holds at most :data:`SEGMENT_ARTICLES` articles and about :data:`SEGMENT_BYTES` of text.
Whoosh's writer (:class:`_SegmentWriter`: flushes read field lengths once) writes small updates and merges.

Commits never merge segments on their own: each commit of a few articles adds one small segment (fewer than
:data:`SMALL_SEGMENT_DOCS` documents); :func:`_merge_small` merges them when the index is idle, or in a commit
that would leave more than :data:`MAX_SMALL_SEGMENTS` of them.

:func:`_worker_init` and :func:`_worker_build` run in spawned processes: they stay module-level functions
(pickled by reference).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import queue
import shutil
from bisect import bisect_right
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from whoosh import index as w_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

from reader.core.articles.loader import FORMATS, load_article
from reader.core.errors import ArticleReadError, SidecarError
from reader.core.library.catalog import CacheItem
from reader.core.library.scan import ARTICLE_SUFFIXES, entry_for_article, skip_for_error, with_article_data
from reader.core.models import Skipped
from reader.core.notes.article_data import effective_meta, read_sidecar_summary
from reader.core.notes.sidecar import load_annotations, sidecar_path
from reader.core.search.schema import INDEX_NAME, State
from reader.core.search.segment_writing import TermBufferWriter
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
    "FIRST_TASK_ARTICLES",
    "MAX_SMALL_SEGMENTS",
    "PARALLEL_MIN",
    "SEGMENT_ARTICLES",
    "SEGMENT_BYTES",
    "ProgressCallback",
    "TaskCallback",
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
    "_task_slices",
    "_worker_count",
]

ProgressCallback = Callable[[int, int], None]

#: An update with at least this many articles to read spreads them over worker processes.
PARALLEL_MIN = 200
#: At most this many worker processes (one per core otherwise); ``READER_INDEX_PROCS=1`` turns them off.
MAX_PROCS = 4
ENV_PROCS = "READER_INDEX_PROCS"
#: Memory for the posting pool of a worker's writer (used only if it falls back to Whoosh's own writing),
#: and articles per segment a worker writes (its postings are buffered in memory until it is written).
WORKER_POOL_MB = 128
SEGMENT_ARTICLES = 700
#: At most this many bytes of article files a segment (one task); the largest 700 articles of the test
#: corpus are 14 MB, and a worker building them peaks at about 200 MB.
SEGMENT_BYTES = 16 * 1024 * 1024
#: Bytes of text a byte of file gives, roughly, by format (the rest: 1): a PDF is mostly fonts and images,
#: an EPUB is compressed, HTML is mostly markup. A task's budget counts text, not file bytes.
TEXT_PER_FILE_BYTE = {"pdf": 0.1, "epub": 2.0, "html": 0.4}


def _text_bytes(relpath: str, size: int) -> int:
    """About how much text an article file of ``size`` bytes gives (for :data:`SEGMENT_BYTES`)."""
    fmt = FORMATS.get(os.path.splitext(relpath)[1].lower(), "text")
    return int(size * TEXT_PER_FILE_BYTE.get(fmt, 1.0))


#: The first task of a big build: its segment is committed within seconds, and searches (of a first open)
#: answer from it while the rest is read.
FIRST_TASK_ARTICLES = 50
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
    """An article to (re)read: its relpath, stat and sidecar stamps, and its indexed state (or None).
    An article the index has unchanged is read only for its catalog item (``update(also_read=…)``)."""

    relpath: str
    stat: tuple[int, int]
    sidecar: tuple[int, int]
    old: State | None


@dataclass(slots=True)
class _Prepared:
    """What reading one article gave: ``kind`` is ``doc`` (index ``doc``), ``same`` (content unchanged:
    ``verified`` holds the stamp to remember) or ``unreadable``. ``catalog`` is the article's catalog item
    (entry with its notes counted, or the reason it was skipped): the one pass of a first open reads each
    article once for the index and the library list."""

    relpath: str
    kind: str
    old_exists: bool
    doc: dict[str, Any] | None = None
    skipped: Skipped | None = None
    verified: list[Any] | None = None
    catalog: CacheItem | None = None


def _prepare(index_dir: Path, root: Path, job: _Job) -> _Prepared:
    rp, old = job.relpath, job.old
    path = root / rp
    try:
        article = load_article(path, root)
    except ArticleReadError as exc:
        skip = skip_for_error(exc, rp, *job.stat)
        return _Prepared(rp, "unreadable", old is not None, skipped=Skipped(rp, exc.reason), catalog=skip)
    entry = entry_for_article(article, rp, *job.stat)
    # Article data: the user's metadata edits, article tags (in tag: too), status and star.
    count, data = read_sidecar_summary(path)
    catalog = with_article_data(entry, count, data)
    if old is not None and old[2] == article.content_hash and old[3:] == job.sidecar:
        verified = [*job.stat, article.content_hash] if old[:2] != job.stat else None
        return _Prepared(rp, "same", True, verified=verified, catalog=catalog)
    skipped = None
    try:
        annotations = load_annotations(path)
    except SidecarError as exc:
        sc_rel = sidecar_path(Path(rp)).as_posix()
        skipped = Skipped(sc_rel, f"notes not searchable: {exc.reason}")
        annotations = []
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
    return _Prepared(rp, "doc", old is not None, doc=doc, skipped=skipped, catalog=catalog)


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


def _commit(writer: Any, segments: list[Any], *, clean: bool = True) -> None:
    """Commit ``writer`` plus the segments worker processes wrote, without merging: a commit stays fast;
    small segments are merged by :meth:`SearchIndex.merge_when_idle`, or here once there are more than
    :data:`MAX_SMALL_SEGMENTS`. While workers still write segments, ``clean=False``: the commit deletes no
    file (theirs are in no table of contents yet)."""
    if not clean:
        commit_with_segments(writer, segments, clean=False)
        return
    if not segments:
        pending = len(_small_segments(writer_segments(writer))) + (1 if writer_has_documents(writer) else 0)
        writer.commit(mergetype=_merge_small if pending > MAX_SMALL_SEGMENTS else _no_merge)
        return
    commit_with_segments(writer, segments)


#: What one worker process may take at its peak (the article pipeline, Whoosh, a segment's postings): no
#: more workers start than the available memory holds.
WORKER_MEMORY_MB = 200


def available_memory_mb() -> int | None:
    """Memory available to new processes (Linux: MemAvailable; elsewhere free pages), or None if unknown."""
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    with contextlib.suppress(AttributeError, OSError, ValueError):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    return None


def _worker_count(jobs: int, memory_mb: int | None = None) -> int:
    """How many processes read and index ``jobs`` articles: 1 (this thread) for small batches; otherwise one
    per core (at most :data:`MAX_PROCS`) that the available memory (``memory_mb``) has room for."""
    env = os.environ.get(ENV_PROCS, "")
    procs = int(env) if env.strip().isdigit() else min(os.cpu_count() or 1, MAX_PROCS)
    if jobs < PARALLEL_MIN:
        return 1
    memory_mb = available_memory_mb() if memory_mb is None else memory_mb
    if memory_mb is not None:
        procs = min(procs, memory_mb // WORKER_MEMORY_MB)
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


#: The folder of a worker's temporary files (its posting pool's runs), in the index folder: its own, as the
#: parent's commits remove the writer's shared one (``<index name>.tmp``) while workers still write.
WORKER_TEMP_PATTERN = INDEX_NAME + ".worker-{}.tmp"


class _WorkerStorage(FileStorage):  # type: ignore[misc]
    """The index folder as a worker process sees it: temporary files in a folder of its own."""

    def temp_storage(self, name: str | None = None) -> Any:
        return super().temp_storage(WORKER_TEMP_PATTERN.format(os.getpid()))


def _remove_worker_temp(index_dir: Path) -> None:
    """Remove the temporary folders of worker processes (left when one was killed)."""
    for folder in index_dir.glob(WORKER_TEMP_PATTERN.format("*")):
        shutil.rmtree(folder, ignore_errors=True)


def _worker_build(index_dir: str, root: str, jobs: list[_Job]) -> tuple[Any, list[_Prepared], bool]:
    """In a worker process: read ``jobs`` and write their documents into one new segment (not committed:
    the parent, which holds the index lock, adds it to the table of contents)."""
    folder, library = Path(index_dir), Path(root)
    ix = w_index.FileIndex(_WorkerStorage(index_dir), indexname=INDEX_NAME)
    # Uncompressed posting blocks: zlib took ~1/8 of a build (each block says whether it is compressed).
    writer = open_unlocked_writer(TermBufferWriter, ix, codec=W3Codec(compression=0), limitmb=WORKER_POOL_MB)
    results: list[_Prepared] = []
    stopped = False

    def fill(writer: Any) -> None:
        nonlocal stopped
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

    # Without the cyclic garbage collector while the segment is built: its buffers are hundreds of thousands
    # of lists, which each collection walked again (about a fifth of a worker's time); what a task leaves
    # in cycles is collected once at its end.
    gc.disable()
    try:
        return write_worker_segment(writer, fill), results, stopped
    finally:
        gc.enable()
        gc.collect()


def write_worker_segment(writer: Any, fill: Callable[[Any], None]) -> Any:
    """In a worker process: ``fill(writer)`` (an unlocked writer), then write its segment and return it (None
    if empty), uncommitted; the writer's temporary folder is removed whatever happens."""
    try:
        fill(writer)
        return finish_unlocked_segment(writer)
    except BaseException:
        with contextlib.suppress(Exception):
            close_segment(writer)
        raise
    finally:
        with contextlib.suppress(Exception):
            writer.temp_storage().destroy()


def _task_slices(count: int, sizes: list[int] | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of the tasks a build of ``count`` articles is cut into: :data:`FIRST_TASK_ARTICLES`,
    then each twice the last, up to :data:`SEGMENT_ARTICLES`; a last task smaller than the first joins the
    one before it. With the articles' ``sizes`` (:func:`_text_bytes`), a task also ends before they pass
    :data:`SEGMENT_BYTES` (at least one article a task): a segment's postings are held in memory until it is
    written, so a library of books gets more, smaller segments."""
    ends = list(accumulate(sizes)) if sizes is not None else None
    slices: list[tuple[int, int]] = []
    start, size = 0, FIRST_TASK_ARTICLES
    while start < count:
        end = min(count, start + size)
        if count - end < FIRST_TASK_ARTICLES:
            end = count
        if ends is not None:
            before = ends[start - 1] if start else 0
            fits = bisect_right(ends, before + SEGMENT_BYTES, start, end) - start
            end = start + max(1, fits)
        slices.append((start, end))
        start, size = end, min(size * 2, SEGMENT_ARTICLES)
    return slices


TaskCallback = Callable[[Any, list[_Prepared]], None]


def _build_in_processes(
    index_dir: Path,
    root: Path,
    jobs: list[_Job],
    procs: int,
    base: int,
    total: int,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
    on_task: TaskCallback,
) -> bool:
    """Read and index ``jobs`` in ``procs`` processes (spawned: safe from a GUI process with threads), in
    tasks of :func:`_task_slices`, each writing one segment. This thread only waits, so its own threads (a
    window) keep the GIL to themselves, and hands each finished task to ``on_task(segment, results)`` (the
    segment may be None), in order of completion: the caller commits it, so searches see the build grow.

    Returns whether it was cancelled (what finished by then was handed over). Raises what a task raised;
    the tasks handed over before that stay handed over."""
    ctx = multiprocessing.get_context("spawn")
    progress_q = ctx.Queue()
    cancel = ctx.Event()
    done = base
    init = (progress_q, cancel)
    stopped = False
    _remove_worker_temp(index_dir)
    with ProcessPoolExecutor(procs, mp_context=ctx, initializer=_worker_init, initargs=init) as pool:
        try:
            tasks = {
                pool.submit(_worker_build, str(index_dir), str(root), jobs[start:end]): start
                for start, end in _task_slices(len(jobs), [_text_bytes(j.relpath, j.stat[0]) for j in jobs])
            }
            pending = set(tasks)
            while pending:
                finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                with contextlib.suppress(queue.Empty):
                    while True:
                        done += progress_q.get_nowait()
                if progress is not None:
                    progress(min(done, total), total)
                for task in sorted(finished, key=tasks.__getitem__):
                    segment, results, task_stopped = task.result()
                    stopped = stopped or task_stopped
                    on_task(segment, results)
                if cancelled is not None and not cancel.is_set() and cancelled():
                    cancel.set()
        except BaseException:
            cancel.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            _remove_worker_temp(index_dir)
    progress_q.close()
    return stopped or cancel.is_set()


def _is_article_file(root: Path, path: Path) -> bool:
    """Whether :func:`iter_article_files` would list ``path`` (checked without walking the tree)."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    if any(part.startswith(".") for part in rel.parts):
        return False
    return path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES
