"""Scanning a library folder into a catalog.

- :func:`iter_article_files` walks the folder recursively in a stable (sorted) order. Hidden files and
  folders, notes sidecars (``*.notes.json``, ``*.notes.json.bak``), temporary files and sync-conflict copies
  (Syncthing ``*.sync-conflict-*``, Dropbox ``(conflicted copy)``, Office ``~$`` owner files) are not
  articles. A conflict copy of an article (a sync tool's Syncthing, Dropbox, Nextcloud or ownCloud name,
  :mod:`.conflict_names`) is never a second article: the scan lists it as a problem ("conflict copy of
  X"); the notes of such a copy are merged into the original's by :mod:`.conflict_copies`.
  Symbolic links are resolved and followed only when their target stays inside the library root;
  each real folder is visited once, so link loops end.
- Document files of formats the reader cannot read (Word, Kindle, DjVu, ...: :data:`UNSUPPORTED_SUFFIXES`)
  are listed by :func:`scan_library` as skipped, ``not supported (Word)``, rather than silently ignored;
  images and other files are not documents and are ignored.
- :func:`scan_library` reads every article (through the scan cache of :mod:`.catalog`, so an
  unchanged file is not read again), reports progress, can be cancelled, and never stops on a bad file:
  those are listed in ``ScanResult.skipped`` with a reason. It keeps no global state and may run in a
  worker thread. Many files to read are read in worker processes (:func:`scan_processes`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path, PurePosixPath

from reader.core.articles.loader import FORMATS, load_article
from reader.core.errors import ArticleReadError, FormatUnavailableError
from reader.core.library.catalog import CachedSkip, CacheItem, cacheable, load_cache, save_cache
from reader.core.library.conflict_names import conflict_original
from reader.core.models import Article, ArticleMeta, CatalogEntry, ScanResult, Skipped
from reader.core.notes.article_data import ArticleData, effective_meta, read_sidecar_summary
from reader.core.notes.sidecar import SIDECAR_SUFFIX

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = frozenset(FORMATS)
#: Document formats a researcher keeps that the reader cannot read: listed as skipped, "not supported
#: (FORMAT)", instead of being ignored like images and other files.
UNSUPPORTED_SUFFIXES = {
    ".doc": "Word", ".docx": "Word", ".odt": "OpenDocument text", ".rtf": "RTF", ".pages": "Pages",
    ".mobi": "Mobipocket", ".azw": "Kindle", ".azw3": "Kindle", ".kfx": "Kindle", ".fb2": "FictionBook",
    ".djvu": "DjVu", ".djv": "DjVu", ".xps": "XPS", ".oxps": "XPS", ".ps": "PostScript", ".chm": "CHM",
    ".cbz": "comic book archive", ".cbr": "comic book archive", ".ppt": "PowerPoint", ".pptx": "PowerPoint",
    ".odp": "OpenDocument presentation", ".key": "Keynote",
}  # fmt: skip
_LISTED_SUFFIXES = ARTICLE_SUFFIXES | frozenset(UNSUPPORTED_SUFFIXES)
ProgressCallback = Callable[[int, int], None]
#: What a scan saw of an article file: ``(size, mtime_ns, sidecar size, sidecar mtime_ns)`` (the sidecar's
#: ``(-1, -1)`` when there is none), or why it could not be looked at (see ``scan_library(stamps=…)``).
FileStamp = tuple[int, int, int, int]

_TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".swo", "~")
_SIDECAR_SUFFIXES = (".notes.json", ".notes.json.bak")


def is_ignored_name(name: str) -> bool:
    """Whether a file or folder called ``name`` is never an article (or never holds one)."""
    lowered = name.lower()
    return (
        name.startswith((".", "~$", "~lock"))
        or lowered.endswith(_SIDECAR_SUFFIXES)
        or lowered.endswith(_TEMP_SUFFIXES)
        or ".sync-conflict-" in lowered
        or "conflicted copy" in lowered
    )


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def article_conflict_original(name: str) -> str | None:
    """The article ``name`` is a sync tool's conflict copy of (unambiguous names only), or ``None``."""
    if name.startswith(".") or Path(name).suffix.lower() not in ARTICLE_SUFFIXES:
        return None
    copy = conflict_original(name)
    return copy.original if copy is not None else None


def iter_article_files(root: Path, conflict_copies: list[tuple[Path, str]] | None = None) -> Iterator[Path]:
    """Article files below ``root`` (paths under ``root`` as given, not resolved), in sorted order.

    Conflict copies of articles are left out; with ``conflict_copies``, each is added to it as (path, name
    of the article it is a copy of)."""
    root = Path(root)
    copies: list[tuple[str, str]] = []
    rels = _library_files(root, ARTICLE_SUFFIXES, copies)
    if conflict_copies is not None:
        conflict_copies.extend((root / rel, original) for rel, original in copies)
    for rel in rels:
        yield root / rel


def _library_files(
    root: Path,
    suffixes: frozenset[str],
    conflict_copies: list[tuple[str, str]] | None = None,
    sidecars: set[str] | None = None,
) -> list[str]:
    """Relpaths (POSIX) of the files below ``root`` with one of ``suffixes`` (see :func:`iter_article_files`),
    in sorted order; conflict copies go into ``conflict_copies`` as (relpath, original name), and with
    ``sidecars`` the relpaths of the notes sidecars seen (``*.notes.json``) into it.

    Strings, not Paths: a window's scan thread walks 10,000 files while the GUI thread waits for the GIL."""
    real_root = root.resolve()
    seen: set[Path] = {real_root}
    stack: list[tuple[str, str]] = [(str(root), "")]  # (folder as given, its relpath prefix)
    found: list[str] = []
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            log.warning("cannot list %s: %s", folder, exc)
            continue
        for entry in entries:
            name = entry.name
            original = article_conflict_original(name)
            if original is not None:
                if conflict_copies is not None:
                    with contextlib.suppress(OSError):
                        if entry.is_file():
                            conflict_copies.append((prefix + name, original))
                continue
            if is_ignored_name(name):
                if sidecars is not None and name.endswith(SIDECAR_SUFFIX):
                    sidecars.add(prefix + name)
                continue
            try:
                if entry.is_symlink():
                    target = Path(entry.path).resolve(strict=True)
                    if not _inside(target, real_root):
                        log.info("not following %s: it leads outside the library", entry.path)
                        continue
                is_dir = entry.is_dir()
                is_file = entry.is_file()
            except (OSError, RuntimeError) as exc:  # broken link, loop, permission
                log.info("skipping %s: %s", entry.path, exc)
                continue
            if is_dir:
                real = Path(entry.path).resolve()
                if real not in seen:
                    seen.add(real)
                    stack.append((entry.path, prefix + name + "/"))
            elif is_file and os.path.splitext(name)[1].lower() in suffixes:
                found.append(prefix + name)
    found.sort()
    return found


def _read_entry(path: Path, root: Path, rel: str, size: int, mtime_ns: int) -> CacheItem:
    try:
        article = load_article(path, root)
    except ArticleReadError as exc:
        return skip_for_error(exc, rel, size, mtime_ns)
    return entry_for_article(article, rel, size, mtime_ns)


def skip_for_error(exc: ArticleReadError, rel: str, size: int, mtime_ns: int) -> CachedSkip:
    """The catalog's record of a file that could not be read (for the stat it had then)."""
    if isinstance(exc, FormatUnavailableError):
        # A problem of the installation, not of the file: size -1 keeps it out of the scan cache.
        return CachedSkip(rel, -1, -1, exc.reason)
    return CachedSkip(rel, size, mtime_ns, exc.reason)


def entry_for_article(article: Article, rel: str, size: int, mtime_ns: int) -> CatalogEntry:
    """The catalog entry of an article read from a file of ``size`` and ``mtime_ns`` (notes not counted:
    see :func:`with_article_data`). The search index's build makes the same entries as it reads."""
    return CatalogEntry(
        relpath=rel,
        meta=article.meta,
        size=size,
        mtime_ns=mtime_ns,
        content_hash=article.content_hash,
        format=article.format,
        encoding=article.encoding,
    )


#: Read the files of a scan in worker processes when at least this many must be read (fewer: in this thread,
#: as starting the processes costs ~0.4 s).
PARALLEL_SCAN_MIN = 200
#: At most this many worker processes (one per core otherwise); ``READER_SCAN_PROCS=1`` turns them off.
MAX_SCAN_PROCS = 4
ENV_SCAN_PROCS = "READER_SCAN_PROCS"
#: Files per task sent to a worker process (~0.1 s of work: progress and cancellation stay responsive).
SCAN_CHUNK = 32
#: The worker processes run this much nicer than the caller: a window's process (and the user's other
#: programs) get the cores first, so its threads are not descheduled while they hold the GIL.
WORKER_NICE = 10


def scan_processes(to_read: int, processes: int | None = None) -> int:
    """How many processes read ``to_read`` files: 1 (the calling thread) below :data:`PARALLEL_SCAN_MIN`."""
    if processes is None:
        env = os.environ.get(ENV_SCAN_PROCS, "")
        processes = int(env) if env.strip().isdigit() else min(os.cpu_count() or 1, MAX_SCAN_PROCS)
    if to_read < PARALLEL_SCAN_MIN:
        return 1
    return max(1, min(processes, -(-to_read // SCAN_CHUNK)))


def scan_library(
    root: Path,
    *,
    cache_path: Path | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    processes: int | None = None,
    defer: int | None = None,
    stamps: dict[str, FileStamp | str] | None = None,
) -> ScanResult:
    """Read every article below ``root``; files that cannot be read are reported in ``skipped``.

    With ``defer``, when at least that many files need reading (a first open, or many changes), none is
    read here: each is listed as a pending entry (title from its file name, notes from its sidecar) and
    named in ``ScanResult.pending``, for the search index's build to read once for both (its catalog items
    then replace the pending entries and go into the cache; pending entries never do).

    With ``cache_path``, unchanged files (same relpath, size and mtime_ns) are taken from the cache and the
    cache is rewritten afterwards. ``progress(done, total)`` is called after each file (after each chunk of
    :data:`SCAN_CHUNK` files when worker processes read them). When ``cancelled()`` returns true the scan
    stops reading and returns what it has so far (the cache keeps both the new and the not-yet-rescanned old
    items).

    When :func:`scan_processes` says so (``processes`` overrides the core count; 1 reads everything here),
    the files to read are read in worker processes, spawned (safe from a process with a window and its
    threads): parsing holds the GIL for long stretches, and in the window's process it would take it from
    the GUI thread. The result is the same. If the processes fail, what they left is read in this thread.

    With ``stamps`` (emptied first), each article file's :data:`FileStamp` as this scan saw it, or the
    reason it could not stat it: an index update given them neither walks nor stats the library again.
    Only sidecars the walk saw are read (an article without one costs no failed open).
    """
    root = Path(root)
    result = ScanResult()
    # Relpaths only: 10,000 Path objects (two objects each) alive through the scan made each of the garbage
    # collector's full passes in a window's process longer (each one a stall of its GUI thread).
    copies: list[tuple[str, str]] = []
    sidecars: set[str] = set()
    rels = _library_files(root, _LISTED_SUFFIXES, copies, sidecars)
    for copy_rel, original in sorted(copies, key=lambda c: (PurePosixPath(c[0]), c[1])):
        original_rel = PurePosixPath(copy_rel).with_name(original).as_posix()
        reason = f"conflict copy of {original_rel} (left by a sync tool)"
        result.skipped.append(Skipped(copy_rel, reason))
    cached = load_cache(cache_path)
    total = len(rels)
    items: list[CacheItem | None] = [None] * total  # None: still to read
    todo: list[tuple[int, int, int]] = []  # (position, size, mtime_ns) of the files to read
    stats: dict[int, tuple[int, int]] = {}
    if stamps is not None:
        stamps.clear()
    base = os.path.join(str(root), "")
    reused = 0
    for pos, rel in enumerate(rels):
        unsupported = UNSUPPORTED_SUFFIXES.get(os.path.splitext(rel)[1].lower())
        if unsupported is not None:
            items[pos] = CachedSkip(rel, -1, -1, f"not supported ({unsupported})")
            continue
        try:
            stat = os.stat(base + rel)
        except OSError as exc:
            items[pos] = CachedSkip(rel, -1, -1, f"cannot be read ({exc.strerror or exc})")
            if stamps is not None:
                stamps[rel] = f"cannot be read ({exc.strerror or exc})"
            continue
        if stamps is not None:
            sidecar = _sidecar_stamp(base + rel, rel + SIDECAR_SUFFIX in sidecars)
            stamps[rel] = (stat.st_size, stat.st_mtime_ns, *sidecar)
        old = cached.get(rel)
        if old is not None and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
            items[pos], reused = old, reused + 1
        else:
            todo.append((pos, stat.st_size, stat.st_mtime_ns))
            stats[pos] = (stat.st_size, stat.st_mtime_ns)
    was_cancelled = False
    if defer is not None and len(todo) >= defer:
        for pos, _size, _mtime in todo:
            items[pos] = pending_entry(rels[pos], *stats[pos])
            result.pending.append(rels[pos])
        todo = []
    by_workers: set[int] = set()  # positions read (and their notes counted) by the worker processes
    procs = scan_processes(len(todo), processes)
    if procs > 1:
        try:
            was_cancelled = _read_in_processes(
                root, rels, todo, items, by_workers, procs, total - len(todo), progress, cancelled
            )
        except Exception as exc:  # noqa: BLE001 - the processes failed: read what they left in this thread
            log.warning("reading the library in %d processes failed (%s); reading it here", procs, exc)
    # In file order: read here what is left (everything without processes), count the others' notes.
    done = 0 if procs <= 1 else total - len(todo) + len(by_workers)
    fresh: dict[str, CacheItem] = {}
    for pos, rel in enumerate(rels):
        item = items[pos]
        read_here = item is None
        if item is None:
            if was_cancelled or (cancelled is not None and cancelled()):
                was_cancelled = True
                continue
            item = _read_entry(root / rel, root, rel, *stats[pos])
        if isinstance(item, CatalogEntry) and pos not in by_workers:
            # no sidecar seen: what reading a missing one gives, without trying
            seen = rel + SIDECAR_SUFFIX in sidecars
            item = _with_notes(item, root / rel) if seen else without_notes(item)
        fresh[rel] = item
        if isinstance(item, CachedSkip):
            result.skipped.append(Skipped(rel, item.reason))
        else:
            result.entries.append(item)
        if procs <= 1 or read_here:  # with processes, the others were counted before they ran
            done += 1
            if progress is not None:
                progress(done, total)
    log.info("scanned %s: %d articles, %d skipped, %d from cache, %d read in %d processes", root,
             len(result.entries), len(result.skipped), reused, len(by_workers), procs)  # fmt: skip
    if cache_path is not None:
        if was_cancelled:
            fresh = {**{k: v for k, v in cached.items() if k not in fresh}, **fresh}
        kept = {rel for rel, item in fresh.items() if cacheable(item)}
        if len(kept) != reused or kept != cached.keys():  # else each would be written as it is
            save_cache(cache_path, fresh)
    return result


def _sidecar_stamp(article: str, seen: bool) -> tuple[int, int]:
    """``(size, mtime_ns)`` of the sidecar of ``article`` if the walk ``seen`` one, else ``(-1, -1)``."""
    if seen:
        with contextlib.suppress(OSError):
            st = os.stat(article + SIDECAR_SUFFIX)
            return (st.st_size, st.st_mtime_ns)
    return (-1, -1)


_NO_DATA = ArticleData()


def without_notes(entry: CatalogEntry) -> CatalogEntry:
    """``entry`` as :func:`with_article_data` makes it for an article without a sidecar (the entry itself
    when it has no notes or article data already: no copy for each of 10,000 articles in a scan)."""
    if (
        entry.notes_count == 0
        and not entry.tags
        and entry.status == "unread"
        and not entry.starred
        and not entry.citekey
        and not entry.url
        and not entry.doi
        and entry.extracted is None
    ):
        return entry
    return with_article_data(entry, 0, _NO_DATA)


def pending_entry(rel: str, size: int, mtime_ns: int) -> CatalogEntry:
    """An article listed before it is read: its file name as title, its format from the suffix."""
    stem, suffix = os.path.splitext(rel.rpartition("/")[2])
    return CatalogEntry(
        relpath=rel,
        meta=ArticleMeta(title=stem),
        size=size,
        mtime_ns=mtime_ns,
        content_hash="",
        format=FORMATS[suffix.lower()],
        encoding="",
        pending=True,
    )


def scan_pool(procs: int) -> ProcessPoolExecutor:
    """``procs`` worker processes for reading articles: spawned (never forked from a process whose other
    threads may hold locks, a window's for one), at a lower CPU priority (:data:`WORKER_NICE`)."""
    return ProcessPoolExecutor(
        procs, mp_context=multiprocessing.get_context("spawn"), initializer=_background_priority
    )


def _background_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows
        os.nice(WORKER_NICE)


def _read_chunk(root: str, jobs: list[tuple[str, int, int]]) -> list[CacheItem]:
    """In a worker process: read the files ``jobs`` names (relpath, size, mtime_ns), notes counted."""
    library = Path(root)
    items: list[CacheItem] = []
    for rel, size, mtime_ns in jobs:
        path = library / rel
        item = _read_entry(path, library, rel, size, mtime_ns)
        items.append(_with_notes(item, path) if isinstance(item, CatalogEntry) else item)
    return items


def _read_in_processes(
    root: Path,
    rels: list[str],
    todo: list[tuple[int, int, int]],
    items: list[CacheItem | None],
    by_workers: set[int],
    procs: int,
    done: int,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
) -> bool:
    """Read the ``todo`` files in ``procs`` processes into ``items`` (their positions into ``by_workers``).
    This thread only waits. Returns whether it was cancelled; raises if the processes fail (what they have
    read by then is kept)."""
    total = len(items)
    if progress is not None:
        progress(done, total)
    pool = scan_pool(procs)
    try:
        tasks: dict[Future[list[CacheItem]], list[tuple[int, int, int]]] = {}
        for start in range(0, len(todo), SCAN_CHUNK):
            chunk = todo[start : start + SCAN_CHUNK]
            jobs = [(rels[pos], size, mtime_ns) for pos, size, mtime_ns in chunk]
            tasks[pool.submit(_read_chunk, str(root), jobs)] = chunk
        pending = set(tasks)
        while pending:
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            failure: BaseException | None = None
            for task in finished:
                if task.exception() is not None:
                    failure = task.exception()
                    continue
                chunk = tasks[task]
                for (pos, _size, _mtime), item in zip(chunk, task.result(), strict=True):
                    items[pos] = item
                    by_workers.add(pos)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            if failure is not None:
                raise failure
            if pending and cancelled is not None and cancelled():
                return True
        return False
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _with_notes(entry: CatalogEntry, path: Path) -> CatalogEntry:
    """``entry`` with what its sidecar says (see :func:`with_article_data`)."""
    count, data = read_sidecar_summary(path)
    return with_article_data(entry, count, data)


def with_article_data(entry: CatalogEntry, notes_count: int, data: ArticleData) -> CatalogEntry:
    """``entry`` with its notes count and article data: tags, status, star, and the user's metadata edits
    shown over the extracted values (kept in ``extracted``)."""
    extracted = entry.extracted or entry.meta
    meta = effective_meta(extracted, data)
    return dataclasses.replace(
        entry,
        meta=meta,
        notes_count=notes_count,
        tags=tuple(data.tags),
        status=data.reading_status,
        starred=data.is_starred,
        citekey=data.citekey or "",
        url=data.url or "",
        doi=data.doi or "",
        extracted=extracted if meta != extracted else None,
    )
