"""One open library, adapted for the window: catalog, index and search, all off the GUI thread.

``LibrarySession`` owns the :class:`~reader.core.search.SearchIndex` of one library. Scans and searches run
in the reader pool; every index write goes through the runner's single writer thread, so writes never
race. Results come back as signals; the window never waits.

Searches carry a generation number: when the user keeps typing, results of older generations are dropped.
While the index is being built or brought up to date, searches answer from what it already holds (a big
build commits a segment per task, so that grows as it goes); :meth:`LibrarySession.index_coverage` says how
much that is, for the window to say the results may be incomplete.

A first open is one pass: the scan lists files still to read by name (``DEFER_READING_FROM`` or more), and
the index build reads each article once for the index and the list; each commit's catalog items come back
as :attr:`LibrarySession.articles_read` and go into the scan cache.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from reader.core import paths
from reader.core.atomic import clean_stale_temp_files
from reader.core.errors import ReaderError
from reader.core.library.catalog import CacheItem, CatalogCacheWriter, load_cache
from reader.core.library.conflict_copies import merge_conflict_copies
from reader.core.library.relink import RelinkReport, relink_sidecars
from reader.core.library.scan import FileStamp, scan_library
from reader.core.models import CatalogEntry, ScanResult, Skipped
from reader.core.notes.sidecar import count_annotations, load_annotations
from reader.core.search import SearchResults
from reader.core.search.results import UpdateReport
from reader.ui.library.article_model import LibraryRow
from reader.ui.library.scan_support import PROGRESS_STEPS as PROGRESS_STEPS  # re-exported
from reader.ui.library.scan_support import library_folders, throttled
from reader.ui.workers import TaskRunner, TaskSignals

if TYPE_CHECKING:  # imported in the worker that opens it: Whoosh costs ~0.1 s of start-up
    from reader.core.search import SearchIndex

log = logging.getLogger(__name__)

SEARCH_PAGE = 50
#: After the last index update, wait this long with nothing else to do before merging small segments.
IDLE_MERGE_MS = 8000


@dataclass
class CatalogSnapshot:
    """What a scan produced, ready for the table: rows plus the problems found."""

    rows: list[LibraryRow]
    skipped: list[Skipped] = field(default_factory=list)
    #: True for the quick list read from the scan cache at start (files not checked yet).
    provisional: bool = False
    #: The library's folders (hidden ones left out), for the file watcher.
    folders: list[str] = field(default_factory=list)
    #: What the scan did that the user should know of (notes from another device merged), or "".
    notice: str = ""
    #: Articles listed by file name, not read yet: the index build reads them (the one pass of a first open).
    pending: list[str] = field(default_factory=list)
    #: Each article file's stamp as the scan saw it: the next index update neither walks nor stats again.
    stamps: dict[str, FileStamp | str] | None = None


#: Tags and colours of an article without notes: one object for all rows (not two per row for the collector).
NO_FACETS: frozenset[str] = frozenset()


def _annotation_facets(
    library: Path, relpath: str, skipped: list[Skipped]
) -> tuple[frozenset[str], frozenset[str]]:
    """The tags and colours of an article's notes (a sidecar that cannot be read is reported)."""
    try:
        annotations = load_annotations(library / relpath)
    except ReaderError as exc:
        skipped.append(Skipped(relpath + ".notes.json", f"notes cannot be read: {exc}"))
        return NO_FACETS, NO_FACETS
    return frozenset(t for a in annotations for t in a.tags), frozenset(a.color for a in annotations)


def cached_catalog(library: Path, read: set[str]) -> CatalogSnapshot | None:
    """The library as the scan cache last saw it, without touching the articles (start-up: the list shows at
    once, and the real scan that follows corrects it). ``None`` when there is no cache."""
    items = load_cache(paths.catalog_cache_path(library))
    entries = [item for item in items.values() if isinstance(item, CatalogEntry)]
    if not entries:
        return None
    rows: list[LibraryRow] = []
    skipped: list[Skipped] = []
    base = str(library) + os.sep
    for entry in entries:
        tags, colors = NO_FACETS, NO_FACETS
        count = 0
        if os.path.exists(base + entry.relpath + ".notes.json"):
            tags, colors = _annotation_facets(library, entry.relpath, skipped)
            count = count_annotations(library / entry.relpath)
        rows.append(
            LibraryRow(
                entry=replace(entry, notes_count=count), tags=tags, colors=colors, read=entry.relpath in read
            )
        )
    return CatalogSnapshot(rows=rows, skipped=skipped, provisional=True)


#: A scan with at least this many files to read (a first open, many changes) lists them by file name and
#: leaves the reading to the index build, which reads each once for both (:meth:`LibrarySession.rescan`).
DEFER_READING_FROM = 200


def build_catalog(
    library: Path,
    read: set[str],
    progress: object = None,
    cancelled: Callable[[], bool] | None = None,
    defer: int | None = None,
) -> CatalogSnapshot:
    """Scan ``library`` (using the catalog cache) and collect each article's tags and colours.

    ``cancelled()`` (the window moved to another library) stops the scan early; the partial result is then
    returned as it is, without cleaning or relinking anything on a partial view of the folder. With
    ``defer``, many files to read are listed as pending instead (``scan_library(defer=…)``); notes are then
    relinked to renamed articles by the scan after the index build, which knows every article's content."""
    stamps: dict[str, FileStamp | str] = {}

    def scan() -> ScanResult:
        return scan_library(
            library,
            cache_path=paths.catalog_cache_path(library),
            progress=throttled(progress) if callable(progress) else None,
            cancelled=cancelled,
            defer=defer,
            stamps=stamps,
        )

    result = scan()
    if cancelled is not None and cancelled():
        return CatalogSnapshot(rows=[], skipped=list(result.skipped), provisional=True)
    # Temporary files left by a write that was killed (a crash, a power cut) are removed at start.
    for folder in {e.relpath.rpartition("/")[0] for e in result.entries} | {""}:
        clean_stale_temp_files(library / folder)
    # Notes another device wrote into a sync tool's conflict copy are merged into the sidecars; the copies
    # move to the data folder as backups (those that cannot be merged stay, listed as problems).
    synced = merge_conflict_copies(library)
    if synced.handled:
        log.info("conflict copies of notes merged: %s", synced.summary())
        result = scan()
    # Notes whose article was renamed or moved inside the library follow it (paired by content hash).
    articles = [(library / e.relpath, e.content_hash) for e in result.entries]
    relinked = RelinkReport() if result.pending else relink_sidecars(library, articles)
    if relinked.moved:
        log.info("notes moved with their articles: %s", relinked.moved)
        result = scan()
    rows: list[LibraryRow] = []
    skipped = list(result.skipped)
    for outcome in synced.problems:
        relpath = outcome.found.copy.relative_to(library.resolve()).as_posix()
        skipped.append(Skipped(relpath, f"conflict copy of notes not merged: {outcome.problem}"))
    for sidecar, reason in relinked.left:
        skipped.append(
            Skipped(sidecar.relative_to(library).as_posix(), f"notes without their article: {reason}")
        )
    for entry in result.entries:
        tags, colors = NO_FACETS, NO_FACETS
        if entry.notes_count:
            tags, colors = _annotation_facets(library, entry.relpath, skipped)
        rows.append(LibraryRow(entry=entry, tags=tags, colors=colors, read=entry.relpath in read))
    return CatalogSnapshot(
        rows=rows,
        skipped=skipped,
        folders=library_folders(library),
        notice=synced.summary(),
        pending=list(result.pending),
        stamps=stamps,
    )


class LibrarySession(QObject):
    """The catalog, index and search of one library folder."""

    catalog_ready = Signal(object)  #: CatalogSnapshot
    scan_progressed = Signal(int, int)
    index_progressed = Signal(int, int)
    index_updated = Signal(object)  #: the core's UpdateReport
    #: A commit of the index build: (articles searches now see, catalog items of articles the catalog listed
    #: by file name and the build has now read: CatalogEntry, or CachedSkip for a file that cannot be read).
    articles_read = Signal(int, object)
    _committed = Signal(int, object)  #: the same, from the writer thread
    search_finished = Signal(int, object)  #: generation, SearchResults
    search_failed = Signal(int, str)  #: generation, one-line message
    failed = Signal(str)

    def __init__(
        self, library: Path, runner: TaskRunner, index_dir: Path | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.runner = runner
        self.index_dir = paths.index_dir_for(library, index_dir)
        self.index: SearchIndex | None = None
        self.index_ready = False
        self._index_running = False
        self._index_again = False
        self._generation = 0
        self._pending_search: tuple[int, str] | None = None
        self.index_error: str | None = None
        self._index_lock = threading.Lock()
        #: True once searches can run: the index on disk is open (it may still be building or updating).
        self.searchable = False
        #: Articles the index holds now (what searches see), and articles the library has.
        self.indexed_count = 0
        self.article_count = 0
        self._merge_timer = QTimer(self, singleShot=True, interval=IDLE_MERGE_MS)
        self._merge_timer.timeout.connect(self._merge_when_idle)
        self._tasks: set[TaskSignals] = set()
        self._closed = False
        #: Articles the catalog lists by file name (not read yet): the next index update reads them.
        self._pending: set[str] = set()
        self._stamps: dict[str, FileStamp | str] | None = None  #: the last scan's, for the next update
        self._read: set[str] = set()
        self._committed.connect(self._on_committed)

    def _run(self, fn: Callable[..., Any], **callbacks: Any) -> TaskSignals:
        """Run ``fn`` on the shared runner; its callbacks are dropped once this session is closed (the
        window may have moved on to another library while results were still on their way)."""
        signals = self.runner.run(fn, **callbacks)
        if self._closed:
            signals.cancel()
            return signals
        self._tasks.add(signals)
        signals.finished.connect(lambda: self._tasks.discard(signals))
        return signals

    # ------------------------------------------------------------------------------------- catalog
    def start(self, read: set[str]) -> None:
        """Show the cached list at once, open the existing index for searching, then scan for real."""
        library = self.library
        self._read = read

        def quick() -> CatalogSnapshot | None:
            return cached_catalog(library, read)

        def shown(snapshot: CatalogSnapshot | None) -> None:
            if snapshot is not None:
                self.catalog_ready.emit(snapshot)
            self.rescan(read)

        self._run(quick, on_success=shown, on_failure=lambda _m: self.rescan(read))
        self._run(self._open_existing, on_success=self._opened)

    def rescan(self, read: set[str]) -> None:
        """Scan the library again; many files to read (a first open) are listed by name and left to the
        index build, which reads each article once for the index and the list (:attr:`articles_read`)."""
        library = self.library
        self._read = read
        self._run(
            lambda progress: build_catalog(
                library, read, progress, lambda: self._closed, defer=DEFER_READING_FROM
            ),
            on_success=self._catalog_scanned,
            on_failure=self.failed.emit,
            on_progress=self.scan_progressed.emit,
        )

    def _catalog_scanned(self, snapshot: CatalogSnapshot) -> None:
        if not snapshot.provisional:
            self.article_count = len(snapshot.rows)
            self._pending, self._stamps = set(snapshot.pending), snapshot.stamps
        self.catalog_ready.emit(snapshot)

    # ------------------------------------------------------------------------------------- index
    @property
    def index_building(self) -> bool:
        """An index build or update is running (searches see the index as it was before it)."""
        return self._index_running

    def index_coverage(self) -> tuple[int, int] | None:
        """``(indexed, articles)`` while the index does not hold every article yet (a build or update is
        running or about to), else ``None``: search results may then be incomplete."""
        if self.index_ready and not self._index_running:
            return None
        total = max(self.article_count, self.indexed_count)
        return (self.indexed_count, total) if self.indexed_count < total else None

    def update_index(self) -> None:
        """Bring the index up to date in the writer thread (coalesced: at most one queued run)."""
        if self._index_running:
            self._index_again = True
            return
        self._index_running = True
        pending, stamps, self._stamps = frozenset(self._pending), self._stamps, None
        self._run(
            lambda progress: self._update_in_worker(progress, pending, stamps),
            on_success=self._index_done,
            on_failure=self._index_failed,
            on_progress=self.index_progressed.emit,
            writes=True,
        )

    def update_articles(self, relpaths: list[str]) -> None:
        """Re-index just these articles (a sidecar was saved): tens of milliseconds, where a full update
        stats every file of the library. Before the index is ready, or while an update runs, a (coalesced)
        full update covers them."""
        if not self.index_ready or self._index_running or self.index is None:
            self.update_index()
            return
        self._index_running = True
        index = self.index
        self._run(
            lambda: (index.update_paths(relpaths), index.doc_count(), False),
            on_success=self._index_done,
            on_failure=self._index_failed,
            writes=True,
        )

    def _ensure_index(self) -> SearchIndex:
        with self._index_lock:
            if self.index is None:
                from reader.core.search import SearchIndex

                self.index = SearchIndex(self.index_dir, self.library)
            return self.index

    def _open_existing(self) -> int:
        """Open the index already on disk (worker): searches can run on it while it is brought up to date."""
        return self._ensure_index().doc_count()

    def _opened(self, count: int) -> None:
        self.indexed_count = count
        if not self.searchable:
            self.searchable = True
            self._run_pending()

    def _merge_when_idle(self) -> None:
        """Merge the small segments that updates left (writer thread), so searches stay fast."""
        if self._index_running or self.index is None:
            self._merge_timer.start()
            return
        index = self.index
        self._run(
            index.merge_when_idle, on_failure=lambda m: log.warning("idle merge failed: %s", m), writes=True
        )

    def _update_in_worker(
        self, progress: object, pending: frozenset[str], stamps: dict[str, FileStamp | str] | None
    ) -> tuple[UpdateReport, int, bool]:
        """The update's report, the number of articles the index holds afterwards, and whether it read
        articles the catalog listed by file name (``pending``). Each commit's catalog items of those go
        into the scan cache and to the window (:attr:`articles_read`). ``stamps``: the last scan's."""
        index = self._ensure_index()
        cache = CatalogCacheWriter(paths.catalog_cache_path(self.library))

        def committed(indexed: int, items: list[CacheItem]) -> None:
            read = [item for item in items if item.relpath in pending]
            cache.add(read)
            if not self._closed:
                self._committed.emit(indexed, read)

        try:
            report = index.update(
                progress=progress if callable(progress) else None,
                cancelled=lambda: self._closed,
                on_commit=committed,
                also_read=pending,
                stamps=stamps,
            )
        finally:
            cache.flush()
        return report, index.doc_count(), bool(pending)

    def _on_committed(self, indexed: int, items: list[CacheItem]) -> None:
        if self._closed:
            return
        self.indexed_count = indexed
        self._pending.difference_update(item.relpath for item in items)
        self.articles_read.emit(indexed, items)

    def _run_pending(self) -> None:
        if self._pending_search is not None:
            generation, query = self._pending_search
            self._pending_search = None
            if generation == self._generation:
                self._run_search(generation, query)

    def _index_done(self, result: tuple[UpdateReport, int, bool]) -> None:
        """An update ended: its report, the articles the index holds, and whether it read articles the
        catalog listed by file name (a first open's one pass)."""
        report, self.indexed_count, read_pending = result
        one_pass = read_pending and not report.cancelled
        self._index_running = False
        self.index_ready = True
        self.searchable = True
        self.index_error = None
        self.index_updated.emit(report)
        self._run_pending()
        self._merge_timer.start()
        if one_pass:
            # Every article is in the scan cache now: a scan (quick) relinks notes to renamed articles,
            # which needs every article's content, and lists what changed meanwhile.
            self.rescan(self._read)
        if self._index_again:
            self._index_again = False
            self.update_index()

    def _index_failed(self, message: str) -> None:
        self._index_running = False
        self.index_error = message
        self.failed.emit(f"The search index could not be updated: {message}")
        if self._pending_search is not None:
            generation, _query = self._pending_search
            self._pending_search = None
            self.search_failed.emit(generation, "Search is unavailable: the index could not be built.")

    # ------------------------------------------------------------------------------------- search
    def search(self, query: str) -> int:
        """Start a search; returns its generation. Older generations' results will be dropped."""
        self._generation += 1
        generation = self._generation
        if self.index_error is not None and not self._index_running:
            self.search_failed.emit(generation, "Search is unavailable: the index could not be built.")
            self.update_index()  # try again; the next keystroke may find it ready
        elif not self.searchable or self.index is None:
            self._pending_search = (generation, query)
        else:
            self._run_search(generation, query)
        return generation

    def cancel_search(self) -> None:
        self._generation += 1
        self._pending_search = None

    @property
    def generation(self) -> int:
        return self._generation

    def _run_search(self, generation: int, query: str) -> None:
        index = self.index
        assert index is not None

        def work() -> SearchResults:
            return index.search(query, limit=SEARCH_PAGE, snippets=True)

        self._run(
            work,
            on_success=lambda results: self._search_done(generation, results),
            on_failure=lambda message: self._search_error(generation, message),
        )

    def _search_done(self, generation: int, results: object) -> None:
        if generation == self._generation:
            self.search_finished.emit(generation, results)

    def _search_error(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.search_failed.emit(generation, message)

    def term_spans(self, query: str, text: str) -> list[tuple[int, int]]:
        if self.index is None or not query.strip():
            return []
        try:
            return self.index.term_spans(query, text)
        except ReaderError:
            return []

    def close(self) -> None:
        self._merge_timer.stop()
        self.cancel_search()
        self._closed = True
        self.runner.wait()
        for signals in self._tasks:  # results still queued for the GUI thread belong to a closed session
            signals.cancel()
        self._tasks.clear()
        if self.index is not None:
            self.index.close()
            self.index = None
