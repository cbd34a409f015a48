"""The main window: search field, article table, reading pane, annotations panel and status bar.

The window wires widgets to a :class:`~reader.ui.library_session.LibrarySession` (catalog, index, search,
all off the GUI thread) and persists its state through :class:`~reader.ui.settings.Settings`.
"""

from __future__ import annotations

import gc
import logging
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QModelIndex, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reader import APP_NAME
from reader.core.articles.loader import load_article
from reader.core.exchange import ImportReport, import_notes
from reader.core.library.scan import ARTICLE_SUFFIXES
from reader.core.models import COLORS, Article, Skipped
from reader.core.search.results import SearchResults, UpdateReport
from reader.ui.annotations import AnnotationController
from reader.ui.article_model import (
    COLUMN_KEYS,
    COLUMNS,
    DEFAULT_VISIBLE,
    ROW_ROLE,
    ArticleFilterProxy,
    ArticleTableModel,
    LibraryRow,
)
from reader.ui.delegates import SnippetDelegate
from reader.ui.dialogs import ProblemsDialog, ShortcutsDialog, show_error
from reader.ui.library_session import SEARCH_PAGE, CatalogSnapshot, LibrarySession
from reader.ui.notes_views import ExportDialog, LibraryNotesDialog
from reader.ui.reading_pane import ReadingPane
from reader.ui.settings import Settings
from reader.ui.theme import app_icon, apply_theme, effective_theme
from reader.ui.workers import TaskRunner

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 150
WATCH_DEBOUNCE_MS = 400


#: The index update starts this long after a scanned catalog is shown, once the view has laid out and painted
#: the new rows (two paints within ~35 ms for 10,000 rows): the update's first half second walks the library
#: in a thread of this process, and while it holds the GIL each of the thousands of calls the view makes
#: into the model waits for it (stalls of 30-45 ms without the delay).
INDEX_START_DELAY_MS = 250


class MainWindow(QMainWindow):
    """The reader's single main window."""

    article_shown = Signal(str)  #: relpath
    search_shown = Signal(int)  #: number of hits shown
    notes_imported = Signal(object)  #: ImportReport
    catalog_checked = Signal(int)  #: the scan (not the cached list) is shown: number of articles

    def __init__(
        self, settings: Settings, library: Path, *, index_dir: Path | None = None, freeze_gc: bool = False
    ) -> None:
        super().__init__()
        self.settings = settings
        #: Freeze the garbage collector's long-lived objects (the application's window only, see _freeze_gc).
        self._freeze_gc = freeze_gc
        self.runner = TaskRunner(self)
        self._index_dir_override = index_dir
        self.session: LibrarySession | None = None
        self.library = library
        self._skipped: list[Skipped] = []
        self._catalog_rows: list[LibraryRow] = []
        self._read: set[str] = set()
        self._current_query = ""
        self._restore_article: str | None = None
        self._problems_dialog: ProblemsDialog | None = None
        self._suppress_open = False
        self._load_generation = 0
        self._pending_jump: tuple[str, str] | None = None
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)

        self.model = ArticleTableModel(self)
        self.proxy = ArticleFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self._build_widgets()
        self._build_actions()
        self._build_menus()

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._start_search)
        self._watch_timer = QTimer(self, singleShot=True, interval=WATCH_DEBOUNCE_MS)
        self._watch_timer.timeout.connect(self._library_changed)
        self._index_start = QTimer(self, singleShot=True, interval=INDEX_START_DELAY_MS)
        self._index_start.timeout.connect(self._start_index_update)
        self._position_timer = QTimer(self, singleShot=True, interval=800)
        self._position_timer.timeout.connect(self._save_reading_position)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _path: self._watch_timer.start())
        self.watcher.fileChanged.connect(self._file_changed)

        self.annotations = AnnotationController(self)
        self.annotations.notes_saved.connect(self._notes_saved)
        self._apply_theme(self.settings.theme())
        self.pane.set_zoom(self.settings.zoom())
        self._restore_geometry()
        self.open_library(library)
        self._gc_freeze()

    def _gc_freeze(self) -> None:
        """With ``freeze_gc``: move every object alive now (modules, widgets, catalog rows) to the collector's
        permanent generation. A full collection traverses every tracked object holding the GIL: in a process
        with a 10,000-row catalog that took 40-200 ms, triggered again and again by the background threads'
        allocations (scan results, the index build) - each a stall of the GUI thread. Frozen objects are
        still freed by reference counting (rows are); only cycles among them wait until the next library is
        opened (:meth:`open_library` unfreezes)."""
        if self._freeze_gc:
            gc.freeze()

    # ------------------------------------------------------------------------------------- layout
    def _build_widgets(self) -> None:
        self.search_field = QLineEdit(self)
        self.search_field.setObjectName("searchField")
        self.search_field.setPlaceholderText(
            'Search the library   (words, "phrases", prefix*, title:, tag:, -not)'
        )
        self.search_field.setClearButtonEnabled(True)
        self.search_field.textChanged.connect(self._query_edited)
        self.search_field.returnPressed.connect(self._start_search)
        self.search_field.installEventFilter(self)

        toolbar = self.addToolBar("Search")
        toolbar.setObjectName("searchToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.search_field)
        self.hit_label = QLabel("", self)
        toolbar.addWidget(self.hit_label)
        self.toolbar = toolbar

        # Left: filters and the table.
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.tag_filter = QComboBox(self)
        self.tag_filter.setToolTip("Show only articles with a note tagged …")
        self.color_filter = QComboBox(self)
        self.color_filter.addItem("Any colour", "")
        for color in COLORS:
            self.color_filter.addItem(color.capitalize(), color)
        self.notes_filter = QCheckBox("With notes", self)
        self.unread_filter = QCheckBox("Unread", self)
        for widget in (self.tag_filter, self.color_filter):
            widget.currentIndexChanged.connect(self._filters_changed)
            filters.addWidget(widget)
        for box in (self.notes_filter, self.unread_filter):
            box.toggled.connect(self._filters_changed)
            filters.addWidget(box)
        filters.addStretch(1)
        left_layout.addLayout(filters)

        self.table = QTableView(self)
        self.table.setObjectName("articleTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self._row_height = self.table.verticalHeader().defaultSectionSize()
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        widths = {"author": 110, "source": 110, "date": 84, "language": 44, "words": 60, "notes": 48}
        for i, key in enumerate(COLUMN_KEYS):
            if key in widths:
                header.resizeSection(i, widths[key])
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        for i, key in enumerate(COLUMN_KEYS):
            self.table.setColumnHidden(i, key not in DEFAULT_VISIBLE)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.snippet_delegate = SnippetDelegate(self.table)
        self.table.setItemDelegateForColumn(0, self.snippet_delegate)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        left_layout.addWidget(self.table)

        self.pane = ReadingPane(self)
        self.pane.link_activated.connect(self._link_activated)
        self.pane.verticalScrollBar().valueChanged.connect(lambda _v: self._position_timer.start())

        self.side_panel = QWidget(self)  # the annotations panel is added by the annotations controller
        self.side_panel.setObjectName("annotationsPanel")
        QVBoxLayout(self.side_panel).setContentsMargins(0, 0, 0, 0)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.pane)
        self.splitter.addWidget(self.side_panel)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([470, 700, 290])
        self.setCentralWidget(self.splitter)

        status = self.statusBar()
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status_label = QLabel("", self)
        self.problems_button = QPushButton("", self)
        self.problems_button.setObjectName("problemsButton")
        self.problems_button.setFlat(True)
        self.problems_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problems_button.clicked.connect(self.show_problems)
        self.problems_button.hide()
        status.addWidget(self.status_label, 1)
        status.addPermanentWidget(self.problems_button)
        status.addPermanentWidget(self.progress)

    def _build_actions(self) -> None:
        def action(
            text: str,
            slot: object,
            shortcuts: list[QKeySequence | QKeySequence.StandardKey | str] | None = None,
            tip: str = "",
        ) -> QAction:
            act = QAction(text, self)
            if shortcuts:
                act.setShortcuts([QKeySequence(s) for s in shortcuts])
            if tip:
                act.setStatusTip(tip)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.act_open = action("&Open Library…", self._choose_library, [QKeySequence.StandardKey.Open])
        self.act_rescan = action("&Rescan Library", self._library_changed, ["F5"])
        self.act_quit = action("&Quit", self.close, [QKeySequence.StandardKey.Quit])
        self.act_export = action("&Export Notes…", self.show_export, ["Ctrl+E"])
        self.act_import = action("&Import Notes…", self._choose_import, ["Ctrl+I"])
        self.act_all_notes = action("All &Notes…", self.show_all_notes, ["Ctrl+Shift+A"])
        self.act_search = action("&Search Library", self.focus_search, ["Ctrl+K", "Ctrl+F"])
        self.act_clear = action("&Clear Search", self.clear_search, ["Ctrl+Shift+K"])
        self.act_find = action("&Find in Article…", self._find_in_article, ["Ctrl+Shift+F"])
        self.act_next_hit = action("&Next Match", lambda: self._step_hit(1), ["F3"])
        self.act_prev_hit = action("&Previous Match", lambda: self._step_hit(-1), ["Shift+F3"])
        self.act_next_article = action("Next &Article", lambda: self._step_article(1), ["Ctrl+Down"])
        self.act_prev_article = action("Pre&vious Article", lambda: self._step_article(-1), ["Ctrl+Up"])
        self.act_toggle_read = action("Mark as &Unread/Read", self._toggle_read, ["Ctrl+M"])
        self.act_zoom_in = action(
            "Zoom &In", lambda: self._zoom(1), [QKeySequence.StandardKey.ZoomIn, "Ctrl+="]
        )
        self.act_zoom_out = action("Zoom &Out", lambda: self._zoom(-1), [QKeySequence.StandardKey.ZoomOut])
        self.act_zoom_reset = action("&Actual Size", lambda: self._zoom(None), ["Ctrl+0"])
        self.act_problems = action("&Problems…", self.show_problems, ["Ctrl+Shift+P"])
        self.act_shortcuts = action("&Keyboard Shortcuts", self._show_shortcuts, ["F1"])
        self.act_about = action("&About", self._about, ["Shift+F1"])
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for i, name in enumerate(("system", "light", "dark", "sepia")):
            act = QAction(f"{name.capitalize()} theme" if name != "system" else "Follow system", self)
            act.setCheckable(True)
            act.setShortcut(QKeySequence(f"Ctrl+Alt+{i + 1}"))
            act.triggered.connect(lambda _checked=False, n=name: self.set_theme(n))
            self.theme_group.addAction(act)
            self.addAction(act)
            self.theme_actions[name] = act
        self.theme_actions[self.settings.theme()].setChecked(True)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.act_open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addAction(self.act_rescan)
        self.file_menu = file_menu
        file_menu.addSeparator()
        file_menu.addAction(self.act_export)
        file_menu.addAction(self.act_import)
        file_menu.addAction(self.act_all_notes)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        self.edit_menu = bar.addMenu("&Edit")
        self.edit_menu.addAction(self.act_search)
        self.edit_menu.addAction(self.act_clear)
        self.edit_menu.addAction(self.act_find)
        self.edit_menu.addSeparator()
        go = bar.addMenu("&Go")
        for act in (
            self.act_next_hit,
            self.act_prev_hit,
            self.act_next_article,
            self.act_prev_article,
            self.act_toggle_read,
        ):
            go.addAction(act)
        view = bar.addMenu("&View")
        for act in (self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset):
            view.addAction(act)
        view.addSeparator()
        for act in self.theme_actions.values():
            view.addAction(act)
        view.addSeparator()
        view.addAction(self.act_problems)
        self.view_menu = view
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_shortcuts)
        help_menu.addAction(self.act_about)

    # ------------------------------------------------------------------------------------- library
    def open_library(self, library: Path) -> None:
        library = Path(library).resolve()
        if self.session is not None:
            if self._freeze_gc:
                gc.unfreeze()  # the old library's objects may be collected again
            self._save_reading_position()
            self.annotations.set_article(None)
            self.session.close()
            self.session.deleteLater()
        self.library = library
        self.settings.set_library(library)
        self._read = self.settings.read_articles(library)
        self._restore_article = self.settings.last_article(library)
        self.session = LibrarySession(library, self.runner, self._index_dir_override, self)
        self.session.catalog_ready.connect(self._catalog_ready)
        self.session.scan_progressed.connect(lambda d, t: self._show_progress("Reading library", d, t))
        self.session.index_progressed.connect(lambda d, t: self._show_progress("Indexing", d, t))
        self.session.index_updated.connect(self._index_updated)
        self.session.search_finished.connect(self._search_finished)
        self.session.search_failed.connect(self._search_failed)
        self.session.failed.connect(self.report_error)
        self.setWindowTitle(f"{library.name} — {APP_NAME}")
        self.pane.show_article(None)
        self.model.set_rows([])
        self.status_label.setText(f"Reading {library} …")
        self.session.start(self._read)

    def _watch(self, folders: list[str]) -> None:
        """Watch exactly ``folders`` (listed by the scan, off the GUI thread)."""
        current = set(self.watcher.directories())
        wanted = set(folders)
        if current - wanted:
            self.watcher.removePaths(sorted(current - wanted))
        if wanted - current:
            self.watcher.addPaths(sorted(wanted - current))

    def _catalog_ready(self, snapshot: CatalogSnapshot) -> None:
        self._catalog_rows = snapshot.rows
        if not snapshot.provisional:
            self._skipped = snapshot.skipped
            self._update_problems()
        self._refresh_tag_filter()
        if not self._current_query:
            self._show_rows(self._catalog_rows)
        self.progress.hide()
        count = len(snapshot.rows)
        text = f"{count} article{'s' if count != 1 else ''} in {self.library.name}"
        self.status_label.setText(text + (" · checking for changes…" if snapshot.provisional else ""))
        if self._restore_article:
            relpath, self._restore_article = self._restore_article, None
            self.select_article(relpath, restore_position=True)
        self._gc_freeze()
        if snapshot.provisional:
            return
        self._watch(snapshot.folders)
        assert self.session is not None
        self._index_start.start()
        self.catalog_checked.emit(count)

    def _start_index_update(self) -> None:
        """Bring the index up to date, :data:`INDEX_START_DELAY_MS` after a checked catalog is shown."""
        if self.session is not None:
            self.session.update_index()

    def _show_rows(self, rows: list[LibraryRow]) -> None:
        current = self.current_relpath()
        self.model.set_rows(rows)
        if current:
            index = self.proxy.mapFromSource(self.model.index_for(current))
            if index.isValid():
                self.table.selectionModel().setCurrentIndex(
                    index,
                    self.table.selectionModel().SelectionFlag.ClearAndSelect
                    | self.table.selectionModel().SelectionFlag.Rows,
                )

    def _index_updated(self, report: UpdateReport) -> None:
        self.progress.hide()
        if report.recovered:
            self.report_error(f"The search index was damaged and has been rebuilt: {report.recovered}")
        changed = len(report.added) + len(report.updated) + len(report.removed)
        message = f"{len(self._catalog_rows)} articles · index up to date"
        if changed:
            message += f" ({changed} changed)"
        self.status_label.setText(message)
        known = {s.relpath for s in self._skipped}
        extra = [s for s in report.skipped if s.relpath not in known]
        if extra:
            self._skipped.extend(extra)
            self._update_problems()
        if self._current_query and changed:
            self._start_search()

    def _show_progress(self, what: str, done: int, total: int) -> None:
        self.progress.setVisible(total > 0 and done < total)
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(f"{what} %v/%m")

    def _library_changed(self) -> None:
        if self.session is not None:
            self.session.rescan(self._read)

    def _file_changed(self, path: str) -> None:
        """A watched file changed (the open article); reload it if it still exists."""
        current = self.current_relpath()
        if current and Path(path) == self.library / current:
            self._watch_timer.start()
            QTimer.singleShot(WATCH_DEBOUNCE_MS, lambda: self._reload_current(current))

    def _reload_current(self, relpath: str) -> None:
        if self.current_relpath() == relpath:
            self._show_article(relpath, scroll_to=self.pane.scroll_fraction())

    def _choose_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open Library Folder", str(self.library))
        if folder:
            self.open_library(Path(folder))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_libraries():
            act = self.recent_menu.addAction(str(path))
            act.setEnabled(path.is_dir())
            act.triggered.connect(lambda _c=False, p=path: self.open_library(p))

    def _update_problems(self) -> None:
        n = len(self._skipped)
        self.problems_button.setVisible(n > 0)
        self.problems_button.setText(f"{n} problem{'s' if n != 1 else ''}")
        self.problems_button.setToolTip("Files that could not be read; click for details")

    def show_problems(self) -> None:
        self._problems_dialog = ProblemsDialog(self._skipped, self)
        self._problems_dialog.show()

    def catalog_rows(self) -> list[LibraryRow]:
        return list(self._catalog_rows)

    def selected_relpaths(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        values = [index.data(ROW_ROLE) for index in rows]
        return [row.relpath for row in values if isinstance(row, LibraryRow)]

    def show_export(self) -> ExportDialog:
        shown = [self.model.rows()[i].relpath for i in range(self.model.rowCount())]
        dialog = ExportDialog(self, self.selected_relpaths(), self._current_query, lambda: shown)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import Notes (W3C Web Annotation JSON-LD)", str(Path.home()), "JSON-LD (*.jsonld *.json)"
        )
        if path:
            self.import_notes_file(Path(path))

    def import_notes_file(self, source: Path) -> None:
        """Merge a JSON-LD export into this library's sidecars in the background."""
        self.annotations.flush()
        library = self.library

        def work(progress: Callable[[int, int], None]) -> ImportReport:
            return import_notes(source, library, progress=progress)

        def done(report: ImportReport) -> None:
            self.progress.hide()
            text = f"Imported notes from {source.name}: {report.summary()}"
            if report.errors:
                text += "\n" + "\n".join(report.errors[:10])
            self.status_label.setText(text.splitlines()[0])
            self.notes_imported.emit(report)
            self._library_changed()
            if self.session is not None:
                self.session.update_index()

        self.runner.run(
            work,
            on_success=done,
            on_failure=lambda message: self.report_error(f"Import failed: {message}"),
            on_progress=lambda d, t: self._show_progress("Importing notes", d, t),
        )

    def show_all_notes(self) -> LibraryNotesDialog:
        dialog = LibraryNotesDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open_requested.connect(self.open_annotation)
        dialog.show()
        return dialog

    def open_annotation(self, relpath: str, annotation_id: str) -> None:
        if self._current_query:
            self.clear_search()
        self.proxy.set_filters()
        article = self.pane.article
        if article is not None and article.relpath == relpath and self.current_relpath() == relpath:
            self.annotations.jump_to(annotation_id)
            return
        self._pending_jump = (relpath, annotation_id)
        if not self.select_article(relpath):
            self._pending_jump = None

    # ------------------------------------------------------------------------------------- filters
    def _refresh_tag_filter(self) -> None:
        current = self.tag_filter.currentData()
        tags = sorted({t for row in self._catalog_rows for t in row.tags}, key=str.casefold)
        self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem("Any tag", "")
        for tag in tags:
            self.tag_filter.addItem(f"#{tag}", tag)
        i = self.tag_filter.findData(current)
        self.tag_filter.setCurrentIndex(max(0, i))
        self.tag_filter.blockSignals(False)

    def _filters_changed(self) -> None:
        # A filter that hides the current row must not open (and mark read) its neighbour.
        self._suppress_open = True
        try:
            self.proxy.set_filters(
                tag=self.tag_filter.currentData(),
                color=self.color_filter.currentData(),
                has_notes=self.notes_filter.isChecked(),
                unread=self.unread_filter.isChecked(),
            )
            article = self.pane.article
            index = (
                self.proxy.mapFromSource(self.model.index_for(article.relpath)) if article else QModelIndex()
            )
            flags = self.table.selectionModel().SelectionFlag
            if index.isValid():
                self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
            else:
                self.table.selectionModel().setCurrentIndex(QModelIndex(), flags.Clear)
        finally:
            self._suppress_open = False

    def _header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for i, (key, label) in enumerate(COLUMNS):
            act = menu.addAction(label)
            act.setCheckable(True)
            act.setChecked(not self.table.isColumnHidden(i))
            act.setEnabled(key != "title")
            act.toggled.connect(lambda on, col=i: self.table.setColumnHidden(col, not on))
        menu.popup(self.table.horizontalHeader().mapToGlobal(pos))

    # ------------------------------------------------------------------------------------- search
    def focus_search(self) -> None:
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def clear_search(self) -> None:
        self.search_field.clear()

    def eventFilter(self, watched: object, event: object) -> bool:
        from PySide6.QtCore import QEvent
        from PySide6.QtGui import QKeyEvent

        if (
            watched is self.search_field
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Escape
        ):
            self.clear_search()
            return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]

    def _query_edited(self, text: str) -> None:
        self._current_query = text.strip()
        if not self._current_query:
            self._search_timer.stop()
            if self.session is not None:
                self.session.cancel_search()
            self.hit_label.setText("")
            self.snippet_delegate.searching = False
            header = self.table.verticalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            header.setDefaultSectionSize(self._row_height)
            self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
            self._show_rows(self._catalog_rows)
            # The sections that showed hits keep their taller heights unless told otherwise.
            for row in range(min(self.proxy.rowCount(), SEARCH_PAGE)):
                header.resizeSection(row, self._row_height)
            self.pane.set_search_spans([])
            return
        self._search_timer.start()

    def _start_search(self) -> None:
        self._search_timer.stop()
        if not self._current_query or self.session is None:
            return
        if not self.session.searchable:
            self.hit_label.setText("  indexing…")
        self.session.search(self._current_query)

    def _search_finished(self, generation: int, results: SearchResults) -> None:
        if self.session is None or generation != self.session.generation or not self._current_query:
            return
        by_path = {row.relpath: row for row in self._catalog_rows}
        rows = []
        for hit in results.hits:
            row = by_path.get(hit.relpath)
            if row is not None:
                rows.append(LibraryRow(row.entry, row.tags, row.colors, row.read, hit))
        self.snippet_delegate.searching = True
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # rank order
        self._show_rows(rows)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        shown = len(rows)
        total = results.total
        text = f"  {total} hit{'s' if total != 1 else ''}"
        if total > shown:
            text += f" (best {shown} shown)"
        self.hit_label.setText(text)
        self.search_field.setStyleSheet("")
        self.search_field.setToolTip("")
        self._mark_terms()
        self.search_shown.emit(shown)

    def _search_failed(self, generation: int, message: str) -> None:
        if self.session is None or generation != self.session.generation:
            return
        self.hit_label.setText("  " + message.splitlines()[0][:120])
        self.search_field.setToolTip(message)

    def _mark_terms(self) -> None:
        article = self.pane.article
        if article is None or self.session is None:
            return
        spans = self.session.term_spans(self._current_query, article.text) if self._current_query else []
        self.pane.set_search_spans(spans)
        if spans:
            self.pane.next_hit()

    def _step_hit(self, step: int) -> None:
        if self.pane.next_hit(step):
            n = self.pane.search_hit_count
            self.status_label.setText(f"Match {self.pane.current_hit + 1} of {n}")

    def _find_in_article(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        needle, ok = QInputDialog.getText(self, "Find in Article", "Find:")
        if ok:
            n = self.pane.find_in_page(needle)
            self.status_label.setText(f"{n} match{'es' if n != 1 else ''} for “{needle}” in this article")

    # ------------------------------------------------------------------------------------- articles
    def current_relpath(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        row = index.data(ROW_ROLE) if index.isValid() else None
        return row.relpath if isinstance(row, LibraryRow) else None

    def select_article(self, relpath: str, *, restore_position: bool = False) -> bool:
        index = self.proxy.mapFromSource(self.model.index_for(relpath))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index,
            self.table.selectionModel().SelectionFlag.ClearAndSelect
            | self.table.selectionModel().SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        if restore_position:
            fraction = self.settings.reading_positions(self.library).get(relpath)
            if fraction:
                self._show_article(relpath, scroll_to=fraction)
        return True

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._suppress_open:
            return
        self._save_reading_position()
        row = current.data(ROW_ROLE) if current.isValid() else None
        if not isinstance(row, LibraryRow):
            return
        if self.pane.article is not None and self.pane.article.relpath == row.relpath:
            return
        self._show_article(row.relpath)

    def _show_article(self, relpath: str, *, scroll_to: float | None = None) -> None:
        """Read the article in the background, then show it (the newest request wins)."""
        self._load_generation += 1
        generation = self._load_generation
        library = self.library
        self.runner.run(
            lambda: load_article(library / relpath, library),
            on_success=lambda article: self._article_ready(generation, article, scroll_to),
            on_failure=lambda message: self._article_failed(generation, message),
        )

    def _article_failed(self, generation: int, message: str) -> None:
        if generation != self._load_generation:
            return
        self.annotations.set_article(None)
        self.pane.show_article(None)
        self.report_error(message)

    def _article_ready(self, generation: int, article: Article, scroll_to: float | None) -> None:
        if generation != self._load_generation or article.relpath != self.current_relpath():
            return
        relpath = article.relpath
        self.pane.show_article(article)
        if scroll_to:
            self.pane.set_scroll_fraction(scroll_to)
        self.settings.set_last_article(self.library, relpath)
        watched = set(self.watcher.files())
        if watched:
            self.watcher.removePaths(list(watched))
        self.watcher.addPath(str(article.path))
        if relpath not in self._read:
            self._read.add(relpath)
            self.settings.set_read_articles(self.library, self._read)
            self.model.update_row(relpath, read=True)
        if self._current_query:
            self._mark_terms()
        self.article_loaded(article)
        if self._pending_jump is not None and self._pending_jump[0] == relpath:
            self.annotations.jump_to(self._pending_jump[1])
            self._pending_jump = None
        self.article_shown.emit(relpath)

    def article_loaded(self, article: Article) -> None:
        """Show the notes of the article now in the pane."""
        self.annotations.set_article(article)

    def _notes_saved(self, relpath: str, count: int) -> None:
        """A sidecar was written: refresh the row (count, tags, colours) and re-index its notes."""
        store = self.annotations.store
        row = self.model.row_for(relpath)
        if row is not None and store is not None:
            annotations = store.annotations()
            entry = replace(row.entry, notes_count=count)
            self.model.update_row(
                relpath,
                entry=entry,
                tags=frozenset(t for a in annotations for t in a.tags),
                colors=frozenset(a.color for a in annotations),
            )
            self._catalog_rows = [
                self.model.row_for(r.relpath) or r if r.relpath == relpath else r for r in self._catalog_rows
            ]
            self._refresh_tag_filter()
        if self.session is not None:
            self.session.update_articles([relpath])

    def _step_article(self, step: int) -> None:
        current = self.table.selectionModel().currentIndex()
        row = (current.row() + step) if current.isValid() else 0
        if 0 <= row < self.proxy.rowCount():
            self.table.selectRow(row)

    def _toggle_read(self) -> None:
        relpath = self.current_relpath()
        if not relpath:
            return
        if relpath in self._read:
            self._read.discard(relpath)
        else:
            self._read.add(relpath)
        self.settings.set_read_articles(self.library, self._read)
        self.model.update_row(relpath, read=relpath in self._read)

    def _save_reading_position(self) -> None:
        article = self.pane.article
        if article is not None:
            self.settings.set_reading_position(self.library, article.relpath, self.pane.scroll_fraction())

    # ------------------------------------------------------------------------------------- links
    def _link_activated(self, url: QUrl) -> None:
        if url.scheme().lower() not in ("http", "https", "mailto"):
            self.status_label.setText(f"Link not opened: {url.scheme()}: links are never followed")
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Open link",
            f"Open this link in your web browser?\n\n{url.toString()}",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.buttonClicked.connect(
            lambda button: (
                QDesktopServices.openUrl(url)
                if box.standardButton(button) == QMessageBox.StandardButton.Open
                else None
            )
        )
        box.show()
        self._link_box = box

    # ------------------------------------------------------------------------------------- view
    def _zoom(self, step: int | None) -> None:
        self.pane.set_zoom(0 if step is None else self.pane.zoom + step)
        self.settings.set_zoom(self.pane.zoom)

    def set_theme(self, choice: str) -> None:
        self.settings.set_theme(choice)
        self.theme_actions[choice].setChecked(True)
        self._apply_theme(choice)

    def _apply_theme(self, choice: str) -> None:
        name = effective_theme(choice)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        self.pane.set_theme(name)

    def report_error(self, message: str) -> None:
        """Show an error without blocking: status bar, plus a non-modal box for the details."""
        log.warning("%s", message)
        self.status_label.setText(message.splitlines()[0][:200])
        show_error(self, APP_NAME, message)

    def _show_shortcuts(self) -> None:
        ShortcutsDialog(self.actions(), self).show()

    def _about(self) -> None:
        from reader import __version__

        box = QMessageBox(
            QMessageBox.Icon.Information,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\n\nLibrary: {self.library}\nSettings: {self.settings.path}",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.show()

    # ------------------------------------------------------------------------------------- drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(
            u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in ARTICLE_SUFFIXES for u in urls
        ):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        copied = self.import_files(
            [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        )
        if copied:
            event.acceptProposedAction()

    def import_files(self, files: list[Path]) -> list[Path]:
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
                self.report_error(f"Could not copy {source.name} into the library: {exc}")
                continue
            copied.append(target)
        if copied:
            self.status_label.setText(f"Added {len(copied)} file(s) to the library")
            self._library_changed()
        return copied

    # ------------------------------------------------------------------------------------- state
    def _restore_geometry(self) -> None:
        geometry = self.settings.geometry("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 820)
        state = self.settings.geometry("state")
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.geometry("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        header = self.settings.geometry("header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)

    def save_state(self) -> None:
        self._save_reading_position()
        self.settings.set_geometry("geometry", self.saveGeometry())
        self.settings.set_geometry("state", self.saveState())
        self.settings.set_geometry("splitter", self.splitter.saveState())
        self.settings.set_geometry("header", self.table.horizontalHeader().saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.annotations.flush():
            answer = QMessageBox.warning(
                self,
                APP_NAME,
                "Some notes could not be saved (see the message). Close anyway and lose them?",
                QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Discard,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        self.save_state()
        if self.session is not None:
            self.session.close()
        self.runner.shutdown()
        super().closeEvent(event)
