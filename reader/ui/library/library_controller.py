"""The open library: its session, the folders watched, what has been read, and files dropped in.

:class:`LibraryController` opens a library folder in a
:class:`~reader.ui.library.library_session.LibrarySession` and shows what it finds: the list at once from
the scan cache, then the checked scan, then the index brought up to date :data:`INDEX_START_DELAY_MS`
later. It rescans when a watched folder changes, counts the files that could not be read, and keeps the
set of articles read (per library, in :class:`~reader.ui.settings.Settings`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from reader.core.library.catalog import CachedSkip, CacheItem
from reader.core.library.scan import ARTICLE_SUFFIXES
from reader.core.models import CatalogEntry, Skipped
from reader.core.search.results import UpdateReport
from reader.ui.library.library_session import CatalogSnapshot, LibrarySession
from reader.ui.library.library_view import LibraryView
from reader.ui.library.search_box import SearchBox
from reader.ui.settings import Settings
from reader.ui.status_bar import StatusArea
from reader.ui.workers import TaskRunner

WATCH_DEBOUNCE_MS = 400

#: The index update starts this long after a scanned catalog is shown, once the view has laid out and painted
#: the new rows (two paints within ~35 ms for 10,000 rows): the update's first half second walks the library
#: in a thread of this process, and while it holds the GIL each of the thousands of calls the view makes
#: into the model waits for it (stalls of 30-45 ms without the delay).
INDEX_START_DELAY_MS = 250
#: A search is asked again this long after a commit of the index build (not at once: the search thread's
#: opening of the new segments then competes for the GIL with the repaint of the rows the commit renamed).
SEARCH_REGROW_DELAY_MS = 200


class LibraryController(QObject):
    """One library at a time: its session, shown in the library view, search box and status bar."""

    catalog_shown = Signal(object)  #: CatalogSnapshot, once the list shows it
    catalog_checked = Signal(int)  #: the scan (not the cached list) is shown: number of articles

    def __init__(
        self,
        view: LibraryView,
        search: SearchBox,
        status: StatusArea,
        watcher: QFileSystemWatcher,
        settings: Settings,
        runner: TaskRunner,
        library: Path,
        *,
        index_dir: Path | None,
        report_error: Callable[[str], None],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self._view = view
        self._search = search
        self._status = status
        self._watcher = watcher
        self._settings = settings
        self._runner = runner
        self._index_dir = index_dir
        self._report_error = report_error
        self.library = library
        self.session: LibrarySession | None = None
        #: Files that could not be read (the scan's and the index's).
        self.skipped: list[Skipped] = []
        #: Articles opened at least once (and not marked unread since).
        self.read: set[str] = set()
        self._rescan_timer = QTimer(self, singleShot=True, interval=WATCH_DEBOUNCE_MS)
        self._rescan_timer.timeout.connect(self.rescan)
        self._index_start = QTimer(self, singleShot=True, interval=INDEX_START_DELAY_MS)
        self._index_start.timeout.connect(self._start_index_update)
        self._search_regrow = QTimer(self, singleShot=True, interval=SEARCH_REGROW_DELAY_MS)
        self._search_regrow.timeout.connect(self._regrow_search)
        watcher.directoryChanged.connect(lambda _path: self._rescan_timer.start())

    def open(self, library: Path) -> None:
        """Close the library open now (if any) and start reading ``library``."""
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
        self.library = library
        self._settings.set_library(library)
        self.read = self._settings.read_articles(library)
        self.session = LibrarySession(library, self._runner, self._index_dir, self)
        self.session.catalog_ready.connect(self._catalog_ready)
        self.session.scan_progressed.connect(lambda d, t: self._status.show_progress("Reading library", d, t))
        self.session.index_progressed.connect(lambda d, t: self._status.show_progress("Indexing", d, t))
        self.session.index_updated.connect(self._index_updated)
        self.session.articles_read.connect(self._articles_read)
        self._search.set_session(self.session)
        self.session.failed.connect(self._report_error)
        self._view.model.set_rows([])
        self._status.show_message(f"Reading {library} …")
        self.session.start(self.read)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    # ------------------------------------------------------------------------------------- scans
    def rescan(self) -> None:
        if self.session is not None:
            self.session.rescan(self.read)

    def schedule_rescan(self) -> None:
        """Rescan once things have been quiet for :data:`WATCH_DEBOUNCE_MS`."""
        self._rescan_timer.start()

    def _watch(self, folders: list[str]) -> None:
        """Watch exactly ``folders`` (listed by the scan, off the GUI thread)."""
        current = set(self._watcher.directories())
        wanted = set(folders)
        if current - wanted:
            self._watcher.removePaths(sorted(current - wanted))
        if wanted - current:
            self._watcher.addPaths(sorted(wanted - current))

    def _catalog_ready(self, snapshot: CatalogSnapshot) -> None:
        self._view.set_catalog(snapshot.rows)
        if not snapshot.provisional:
            self.skipped = snapshot.skipped
            self._status.show_problem_count(len(self.skipped))
        if not self._search.query:
            self._view.show_catalog()
        self._status.hide_progress()
        count = len(snapshot.rows)
        text = f"{count} article{'s' if count != 1 else ''} in {self.library.name}"
        text += f" · {snapshot.notice}" if snapshot.notice else ""
        self._status.show_message(text + (" · checking for changes…" if snapshot.provisional else ""))
        self.catalog_shown.emit(snapshot)
        if snapshot.provisional:
            return
        self._watch(snapshot.folders)
        self._index_start.start()
        self.catalog_checked.emit(count)

    def _start_index_update(self) -> None:
        """Bring the index up to date, :data:`INDEX_START_DELAY_MS` after a checked catalog is shown."""
        if self.session is not None:
            self.session.update_index()

    def _articles_read(self, indexed: int, items: list[CacheItem]) -> None:
        """A commit of the index build: the articles listed by file name that it read get their real rows
        (unreadable ones leave the list for the problems), and a search shows what is searchable now."""
        entries = {item.relpath: item for item in items if isinstance(item, CatalogEntry)}
        skips = [item.skipped() for item in items if isinstance(item, CachedSkip)]
        if entries or skips:
            self._view.articles_read(entries, {s.relpath for s in skips})
        if skips:
            known = {s.relpath for s in self.skipped}
            self.skipped.extend(s for s in skips if s.relpath not in known)
            self._status.show_problem_count(len(self.skipped))
        if self._search.query:
            self._search_regrow.start()  # the answer grows with the index

    def _regrow_search(self) -> None:
        if self._search.query:
            self._search.start()

    def _index_updated(self, report: UpdateReport) -> None:
        self._status.hide_progress()
        if report.recovered:
            self._report_error(f"The search index was damaged and has been rebuilt: {report.recovered}")
        changed = len(report.added) + len(report.updated) + len(report.removed)
        message = f"{len(self._view.catalog_rows)} articles · index up to date"
        if changed:
            message += f" ({changed} changed)"
        self._status.show_message(message)
        known = {s.relpath for s in self.skipped}
        extra = [s for s in report.skipped if s.relpath not in known]
        if extra:
            self.skipped.extend(extra)
            self._status.show_problem_count(len(self.skipped))
        if self._search.query and (changed or self._view.notice.text()):
            self._search.start()  # new results, or the same ones without "may be incomplete"

    # ------------------------------------------------------------------------------------- read marks
    def mark_read(self, relpath: str) -> None:
        if relpath not in self.read:
            self.read.add(relpath)
            self._settings.set_read_articles(self.library, self.read)
            self._view.model.update_row(relpath, read=True)

    def toggle_read(self, relpath: str) -> None:
        if relpath in self.read:
            self.read.discard(relpath)
        else:
            self.read.add(relpath)
        self._settings.set_read_articles(self.library, self.read)
        self._view.model.update_row(relpath, read=relpath in self.read)

    # ------------------------------------------------------------------------------------- files
    @staticmethod
    def accepts(files: list[Path]) -> bool:
        """Whether ``files`` (dragged over the window) are all articles that :meth:`copy_in` would copy."""
        return bool(files) and all(path.suffix.lower() in ARTICLE_SUFFIXES for path in files)

    def copy_in(self, files: list[Path]) -> list[Path]:
        """Copy article files into the library root (never overwriting) and rescan."""
        copied: list[Path] = []
        for source in files:
            if not source.is_file() or source.suffix.lower() not in ARTICLE_SUFFIXES:
                continue
            target = self.library / source.name
            n = 1
            while target.exists():
                target = self.library / f"{source.stem} ({n}){source.suffix}"
                n += 1
            try:
                shutil.copy2(source, target)
            except OSError as exc:
                self._report_error(f"Could not copy {source.name} into the library: {exc}")
                continue
            copied.append(target)
        if copied:
            self._status.show_message(f"Added {len(copied)} file(s) to the library")
            self.rescan()
        return copied
