"""The main window: assembles the library list, the reading pane and the notes panel, and wires them.

The parts do the work, each given only what it uses: ``LibraryController`` (the open library: session,
watching, read marks) with ``LibraryView`` and ``SearchBox`` (:mod:`reader.ui.library`); ``ReadingController``
(:mod:`reader.ui.reading`); ``AnnotationController`` and ``LibraryNotes`` (:mod:`reader.ui.notes`). The
window lays them out, builds the menus from the tables of :mod:`reader.ui.actions`, and carries what one
part tells another: the row chosen is loaded, the article loaded gets its notes and search marks, a note
saved updates its row.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from reader import APP_NAME
from reader.core.library.color_labels import cached_color_labels
from reader.core.models import Article, Skipped
from reader.ui import actions, theme
from reader.ui.dialogs import ProblemsDialog, ShortcutsDialog, show_about, show_error
from reader.ui.library.article_data_actions import ArticleDataActions
from reader.ui.library.library_controller import LibraryController
from reader.ui.library.library_session import CatalogSnapshot, LibrarySession
from reader.ui.library.library_view import LibraryView
from reader.ui.library.saved_searches_panel import SavedSearchesPanel
from reader.ui.library.search_box import SearchBox
from reader.ui.notes.annotation_controller import AnnotationController
from reader.ui.notes.annotations_panel import AnnotationsPanel
from reader.ui.notes.library_notes import LibraryNotes
from reader.ui.notes.notes_views import ExportDialog, LibraryNotesDialog
from reader.ui.reading.page_view_controller import PageViewController
from reader.ui.reading.pdf_unlock import PdfUnlocker, opened_article
from reader.ui.reading.reading_controller import ReadingController
from reader.ui.reading.reading_pane import ReadingPane
from reader.ui.settings import Settings
from reader.ui.status_bar import StatusArea
from reader.ui.workers import TaskRunner

log = logging.getLogger(__name__)


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
        #: Freeze the garbage collector's long-lived objects (the application's window only, see _gc_freeze).
        self._freeze_gc = freeze_gc
        self.runner = TaskRunner(self)
        self._restore_article: str | None = None
        self._problems_dialog: ProblemsDialog | None = None
        self._pending_jump: tuple[str, str] | None = None
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(theme.app_icon())
        self.setAcceptDrops(True)
        self.watcher = QFileSystemWatcher(self)
        self._build_parts(library)
        self._build_actions()
        self.libraries = LibraryController(
            self.library_view,
            self.search,
            self.status,
            self.watcher,
            settings,
            self.runner,
            library,
            index_dir=index_dir,
            report_error=self._report,
            parent=self,
        )
        self.libraries.catalog_shown.connect(self._catalog_shown)
        self.libraries.catalog_checked.connect(self.catalog_checked)
        self._build_notes()
        self._build_saved_searches()
        self._apply_theme(self.settings.theme())
        self.pane.set_zoom(self.settings.zoom())
        self.settings.restore_window(self, self.splitter, self.table.horizontalHeader())
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

    # ------------------------------------------------------------------------------------- assembly
    def _build_parts(self, library: Path) -> None:
        # The search field first: the tab order follows the order in which widgets join the window.
        self.search_field = QLineEdit(self)
        self.toolbar = actions.build_toolbar(self, "Search", "searchToolbar", (), {})
        self.toolbar.addWidget(self.search_field)
        view = self.library_view = LibraryView(
            lambda: self.pane.article.relpath if self.pane.article else None, self
        )
        self.model, self.proxy, self.table = view.model, view.proxy, view.table
        self.notes_filter, self.unread_filter = view.notes_filter, view.unread_filter
        view.current_changed.connect(self._current_row_changed)
        self.pane = ReadingPane(self)
        self.search = SearchBox(self.search_field, view, self.pane)
        self.hit_label = self.search.hit_label
        self.toolbar.addWidget(self.hit_label)
        self.search.shown.connect(self.search_shown)

        self.side_panel = QWidget(self)  # holds the annotations panel (see _build_notes)
        self.side_panel.setObjectName("annotationsPanel")
        QVBoxLayout(self.side_panel).setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        # The pane and a PDF's page view share the middle (PageViewController switches them).
        self.pages = PageViewController(
            self.pane, self.runner, self.settings, lambda: self.library,
            show_status=lambda m: self.status.show_message(m), report_error=self._report, parent=self,
        )  # fmt: skip
        self.page_view = self.pages.view
        for i, (widget, stretch) in enumerate(((view, 2), (self.pages.area, 5), (self.side_panel, 2))):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(i, stretch)
        self.splitter.setSizes([470, 700, 290])
        self.setCentralWidget(self.splitter)

        self.status = StatusArea(self.statusBar(), self.show_problems, self)
        self.problems_button = self.status.problems_button
        self.reading = ReadingController(
            self.pane,
            self.runner,
            self.settings,
            library,
            self.watcher,
            show_status=self.status.show_message,
            clear_status=self.status.clear_message,
            parent=self,
        )
        self.reading.file_changed.connect(self._file_changed)
        self.reading.loaded.connect(self._article_ready)
        self.reading.load_failed.connect(self._article_failed)
        self.article_data = ArticleDataActions(
            view, lambda: self.library, self._report, self.status.show_message, self
        )
        self.unlocker = PdfUnlocker(
            self.runner, lambda: self.library, lambda: self._skipped,
            show_status=self.status.show_message, report_error=self._report, parent=self,
        )  # fmt: skip
        self.reading.password_needed.connect(self.unlocker.unlock)
        self.unlocker.unlocked.connect(self._unlocked)

    def _build_actions(self) -> None:
        callbacks: dict[str, actions.Callback] = {
            "open": self._choose_library,
            "rescan": self._library_changed,
            "quit": self.close,
            "export": self.show_export,
            "import": lambda: self.library_notes.choose_import(),
            "sync_vault": lambda: self.library_notes.choose_vault(),
            "all_notes": self.show_all_notes,
            "search": self.search.focus,
            "clear": self.clear_search,
            "find": self.reading.find_in_article,
            "next_hit": lambda: self.reading.step_hit(1),
            "prev_hit": lambda: self.reading.step_hit(-1),
            "next_article": lambda: self.library_view.step(1),
            "prev_article": lambda: self.library_view.step(-1),
            "toggle_read": self._toggle_read,
            "article_info": self.article_data.edit_current,
            "bulk_edit": self.article_data.bulk_edit,
            "copy_citation": self.article_data.copy_citation,
            "go_to_page": lambda: self.pages.go_to_page(),
            "page_view": lambda: self.pages.toggle(),
            "fit_width": lambda: self.pages.fit_width(),
            "unlock_pdf": lambda: self.unlocker.choose(),
            "zoom_in": lambda: self._zoom(1),
            "zoom_out": lambda: self._zoom(-1),
            "zoom_reset": lambda: self._zoom(None),
            "problems": self.show_problems,
            "saved_searches": lambda: self.saved_searches_dock.setVisible(
                not self.saved_searches_dock.isVisible()
            ),
            "shortcuts": lambda: ShortcutsDialog(self.actions(), self).show(),
            "about": lambda: show_about(self, self.library, self.settings.path),
        }
        self.named_actions = actions.build_actions(self, actions.WINDOW_ACTIONS, callbacks)
        self.act_next_hit, self.act_prev_hit = self.named_actions["next_hit"], self.named_actions["prev_hit"]
        self.theme_actions = actions.build_theme_actions(self, self.set_theme)
        self.theme_actions[self.settings.theme()].setChecked(True)
        self.named_actions |= {f"theme_{choice}": act for choice, act in self.theme_actions.items()}

    def _build_notes(self) -> None:
        """The annotations panel and its controller, then the toolbar and menus that include its actions."""
        panel = AnnotationsPanel(self.side_panel)
        side_layout = self.side_panel.layout()
        assert side_layout is not None
        side_layout.addWidget(panel)
        status = self.status.show_message
        self.annotations = AnnotationController(
            self.pane, panel, self.watcher, self, report_error=self._report, show_status=status
        )
        self.annotations.notes_saved.connect(self._notes_saved)
        self.library_notes = LibraryNotes(
            self.libraries,
            self.library_view,
            self.search,
            self.annotations,
            self.status,
            self.runner,
            report_error=self._report,
            parent=self,
        )
        self.library_notes.imported.connect(self.notes_imported)
        self.library_notes.open_requested.connect(self.open_annotation)
        self.named_actions |= self.annotations.actions.by_name()
        self.annotate_toolbar = actions.build_toolbar(
            self, "Annotate", "annotateToolbar", actions.ANNOTATE_TOOLBAR, self.named_actions
        )
        self.menus = actions.build_menus(self.menuBar(), self.named_actions)
        self.pages.bind(
            self.named_actions["page_view"],
            self.annotations.notes_changed,
            lambda: self.annotations.store.anchored() if self.annotations.store is not None else [],
            self.annotations.actions.by_name(),
            lambda source: setattr(self.annotations, "selection", source),
        )
        self.pages.bind_contents(self.menus["contents"])
        recent = self.menus["recent"]
        recent.aboutToShow.connect(
            lambda: actions.fill_recent(recent, self.settings.recent_libraries(), self.open_library)
        )

    def _build_saved_searches(self) -> None:
        """The saved searches sidebar (a dock on the left), counted again when the library changes."""
        self.saved_searches = SavedSearchesPanel(
            self.library_view,
            self.search_field,
            self.runner,
            lambda: self.library,
            lambda: self.session.index if self.session is not None else None,
            self._report,
            self,
        )
        dock = QDockWidget("Saved Searches", self)
        dock.setObjectName("savedSearchesDock")
        dock.setWidget(self.saved_searches)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [170], Qt.Orientation.Horizontal)
        # Hidden until asked for (View → Saved Searches; the window remembers it): an empty sidebar would take
        # the width the article titles need on a first start.
        dock.hide()
        self.saved_searches_dock = dock
        self.libraries.catalog_checked.connect(lambda _count: self.saved_searches.reload())
        self.article_data.changed.connect(self.saved_searches.recount)

    def _toggle_saved_searches(self) -> None:
        self.saved_searches_dock.setVisible(not self.saved_searches_dock.isVisible())

    # ------------------------------------------------------------------------------------- library
    @property
    def library(self) -> Path:
        return self.libraries.library

    @property
    def session(self) -> LibrarySession | None:
        return self.libraries.session

    @property
    def _skipped(self) -> list[Skipped]:
        return self.libraries.skipped

    def open_library(self, library: Path) -> None:
        library = Path(library).resolve()
        if self.libraries.session is not None:
            if self._freeze_gc:
                gc.unfreeze()  # the old library's objects may be collected again
            self._keep_position()
            self.annotations.set_article(None)
        self.reading.library = library
        self._restore_article = self.settings.last_article(library)
        self.setWindowTitle(f"{library.name} — {APP_NAME}")
        self.pane.show_article(None)
        self.reading.shown(None)
        self.pages.show_article(None)
        self.libraries.open(library)
        self.annotations.panel.set_color_labels(cached_color_labels(library))
        if self.libraries.session is not None:
            self.libraries.session.index_updated.connect(lambda _report: self.saved_searches.recount())
            # The rows a first open's index build reads are long-lived too.
            self.libraries.session.articles_read.connect(lambda _n, _items: self._gc_freeze())

    def _catalog_shown(self, _snapshot: CatalogSnapshot) -> None:
        if self._restore_article:
            relpath, self._restore_article = self._restore_article, None
            self.select_article(relpath, restore_position=True)
        self._gc_freeze()

    def _library_changed(self) -> None:
        self.libraries.rescan()

    def _file_changed(self, path: Path) -> None:
        """The open article's file changed on disk (reported once quiet): reload it, and rescan."""
        current = self.current_relpath()
        if current and path == self.library / current:
            self.libraries.schedule_rescan()
            self.reading.load(current, scroll_to=self.pane.scroll_fraction())

    def _choose_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open Library Folder", str(self.library))
        if folder:
            self.open_library(Path(folder))

    def show_problems(self) -> None:
        self._problems_dialog = ProblemsDialog(self._skipped, self)
        self._problems_dialog.show()

    # ------------------------------------------------------------------------------------- notes
    def show_export(self) -> ExportDialog:
        return self.library_notes.show_export()

    def import_notes_file(self, source: Path) -> None:
        """Merge a JSON-LD export into this library's sidecars in the background."""
        self.library_notes.import_file(source)

    def show_all_notes(self) -> LibraryNotesDialog:
        return self.library_notes.show_all()

    def open_annotation(self, relpath: str, annotation_id: str) -> None:
        if self.search.query:
            self.clear_search()
        self.library_view.clear_filters()
        article = self.pane.article
        if article is not None and article.relpath == relpath and self.current_relpath() == relpath:
            self.annotations.jump_to(annotation_id)
            return
        self._pending_jump = (relpath, annotation_id)
        if not self.select_article(relpath):
            self._pending_jump = None

    def _notes_saved(self, relpath: str, count: int) -> None:
        """A sidecar was written: refresh the row (count, tags, colours) and re-index its notes."""
        store = self.annotations.store
        if store is not None:
            self.library_view.notes_saved(relpath, count, store.annotations())
        if self.session is not None:
            self.session.update_articles([relpath])

    # ------------------------------------------------------------------------------------- articles
    def clear_search(self) -> None:
        self.search.clear()

    def _start_search(self) -> None:
        self.search.start()

    def current_relpath(self) -> str | None:
        return self.library_view.current_relpath()

    def select_article(self, relpath: str, *, restore_position: bool = False) -> bool:
        if not self.library_view.select(relpath):
            return False
        if restore_position:
            fraction = self.article_data.position(relpath) or self.reading.saved_position(relpath)
            if fraction:
                self.reading.load(relpath, scroll_to=fraction)
        return True

    def _keep_position(self) -> None:
        """Remember where the open article was left: in this machine's settings, and in its sidecar."""
        self.reading.save_position()
        article = self.pane.article
        if article is not None:
            self.article_data.save_position(article.relpath, self.pane.scroll_fraction())

    def _current_row_changed(self, relpath: str | None) -> None:
        self._keep_position()
        if relpath is None:
            return
        if self.pane.article is not None and self.pane.article.relpath == relpath:
            return
        if self.reading.loading == relpath:
            return  # the same row again (the list was refreshed): the load under way stands
        self.pages.prepare(self.library / relpath)
        self.reading.load(relpath)

    def _article_failed(self, message: str) -> None:
        self.annotations.set_article(None)
        self.pane.show_article(None)
        self.reading.shown(None)
        self.pages.show_article(None)
        self.report_error(message)

    def _article_ready(self, article: Article, scroll_to: float | None) -> None:
        if article.relpath != self.current_relpath():
            return
        self._show_article(article, scroll_to)

    def _unlocked(self, article: Article, data: bytes) -> None:
        """An encrypted PDF opened with its password (it is not in the list: no row stays current)."""
        if self.current_relpath() != article.relpath:
            self.library_view.table.selectionModel().clearCurrentIndex()
        self.pages.unlocked_data[article.relpath] = data
        self._show_article(article, None)
        self.status.show_message(opened_article(article))

    def _show_article(self, article: Article, scroll_to: float | None) -> None:
        relpath = article.relpath
        self.pane.show_article(article)
        if scroll_to:
            self.pane.set_scroll_fraction(scroll_to)
        self.pages.show_article(article, scroll_to)
        self.settings.set_last_article(self.library, relpath)
        self.reading.shown(article)  # watched from now on (before the notes add their sidecar)
        self.libraries.mark_read(relpath)
        self.article_data.migrate(
            relpath, relpath in self.libraries.read, self.reading.saved_position(relpath)
        )
        if self.search.query:
            self.search.mark_terms()
        self.annotations.set_article(article)
        if self._pending_jump is not None and self._pending_jump[0] == relpath:
            self.annotations.jump_to(self._pending_jump[1])
            self._pending_jump = None
        self.article_shown.emit(relpath)

    def _toggle_read(self) -> None:
        relpath = self.current_relpath()
        if relpath:
            self.libraries.toggle_read(relpath)
            self.article_data.set_status(relpath, "read" if relpath in self.libraries.read else "unread")

    # ------------------------------------------------------------------------------------- view
    def set_theme(self, choice: str) -> None:
        self.settings.set_theme(choice)
        self.theme_actions[choice].setChecked(True)
        self._apply_theme(choice)

    def _apply_theme(self, choice: str) -> None:
        self.pane.set_theme(theme.apply_choice(choice))
        self.pages.refresh_marks()

    def _zoom(self, step: int | None) -> None:
        if not self.pages.zoom(step):
            self.reading.zoom(step)

    def report_error(self, message: str) -> None:
        """Show an error without blocking: status bar, plus a non-modal box for the details."""
        log.warning("%s", message)
        self.status.show_message(message.splitlines()[0][:200])
        show_error(self, APP_NAME, message)

    def _report(self, message: str) -> None:
        """The parts' error sink: :meth:`report_error`, looked up at each call (it may be replaced)."""
        self.report_error(message)

    # ------------------------------------------------------------------------------------- drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if all(u.isLocalFile() for u in urls) and self.libraries.accepts(
            [Path(u.toLocalFile()) for u in urls]
        ):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.import_files([Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]):
            event.acceptProposedAction()

    def import_files(self, files: list[Path]) -> list[Path]:
        """Copy article files into the library root (never overwriting) and rescan."""
        return self.libraries.copy_in(files)

    # ------------------------------------------------------------------------------------- state
    def save_state(self) -> None:
        self._keep_position()
        self.settings.save_window(self, self.splitter, self.table.horizontalHeader())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.annotations.may_close():
            event.ignore()
            return
        self.save_state()
        self.libraries.close()
        self.runner.shutdown()
        self.pages.close()
        super().closeEvent(event)
