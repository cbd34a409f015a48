"""The page view of PDFs: switching views, highlights on the pages, going to a page, the contents menu.

:class:`PageViewController` owns a ``QStackedWidget`` holding the reading pane and the :class:`PageView`; the
window puts it where the pane was. For a PDF the user switches between the reflowed text and the rendered
pages (View → Page View), remembered per article in the settings; a PDF remembered as pages opens them as
soon as its row is chosen (:meth:`PageViewController.prepare`), while its text is still being read. Both
views show the same highlights at the same canonical offsets:

- while the pages are shown, :class:`PageSelection` is the annotation controller's selection source
  (:mod:`.selection_source`): a highlight or note is made from the text selected on a page, as code points,
  through the same undoable edit as one made in the text, and a highlight chosen in the panel is selected
  and scrolled to on its page (any offset: the pane shows only the start of a very long text);
- the annotations are drawn over their words from each page's character boxes.

The background work (opening, rendering, character boxes) is :class:`~reader.ui.reading.page_jobs.PageJobs`.
Go to page (Ctrl+G) and the table of contents (Go → Contents: the EPUB's contents or the PDF's bookmarks)
work in both views. Encrypted PDFs are unlocked by :class:`~reader.ui.reading.pdf_unlock.PdfUnlocker`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, SignalInstance
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu, QStackedWidget, QWidget

from reader.core.models import Annotation, Article
from reader.ui.actions import PANE_CONTEXT_MENU, popup_menu
from reader.ui.reading.article_document import THEMES
from reader.ui.reading.page_jobs import PageJobs
from reader.ui.reading.page_view import PageView
from reader.ui.reading.pdf_pages import PdfPages
from reader.ui.reading.reading_pane import ReadingPane
from reader.ui.reading.selection_source import SelectionSource
from reader.ui.settings import Settings
from reader.ui.workers import TaskRunner

#: Highlight colours on a page: pages are paper, whatever the window's theme.
PAPER_HIGHLIGHTS = THEMES["light"].highlights
#: The reading pane is moved to the page shown this long after the page changed.
FOLLOW_DELAY_MS = 400
#: Each zoom step multiplies the page view's zoom by this.
ZOOM_STEP = 1.2
#: 100% shows a page at its printed size on a screen of this many logical dots per inch.
ACTUAL_SIZE_DPI = 96.0


class PageViewController(QObject):
    """Switches a PDF between the reflowed text and its rendered pages, and keeps the pages fed."""

    def __init__(
        self,
        pane: ReadingPane,
        runner: TaskRunner,
        settings: Settings,
        library: Callable[[], Path],
        *,
        show_status: Callable[[str], None],
        report_error: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.pane = pane
        self.view = PageView(parent)
        self.area = QStackedWidget(parent)
        self.area.setObjectName("readingArea")
        self.area.addWidget(pane)
        self.area.addWidget(self.view)
        self._runner = runner
        self._settings = settings
        self._library = library
        self._show_status = show_status
        self._report_error = report_error
        self._parent = parent
        self.article: Article | None = None
        #: The text hash of the article shown from the pages open (``None``: opened before it was read).
        self._pages_text: str | None = None
        #: Decrypted bytes of the article shown when it was opened with a password (memory only).
        self.unlocked_data: dict[str, bytes] = {}
        self.jobs = PageJobs(self.view, runner, show_status)
        self.jobs.document_ready.connect(self._document_ready)
        self.jobs.open_failed.connect(self._open_failed)
        self.document_ready = self.jobs.document_ready
        self.page_rendered = self.jobs.page_rendered
        self._pending_page: int | None = None
        self._annotations: Callable[[], Sequence[Annotation]] = list
        self._annotation_actions: Mapping[str, QAction] = {}
        self._menu: QMenu | None = None
        self.toggle_action: QAction | None = None
        view = self.view
        view.selection_made.connect(lambda _start, _end: setattr(self, "clicked_offset", None))
        view.offset_clicked.connect(self._clicked_on_page)
        view.annotation_clicked.connect(pane.annotation_clicked)
        view.zoom_requested.connect(lambda step: self.zoom(step))
        view.customContextMenuRequested.connect(self._context_menu)
        #: The offset of the last click on a page (the highlight under it is the current one).
        self.clicked_offset: int | None = None
        #: The page view as the annotation controller's selection source, while it is shown.
        self.selection = PageSelection(self)
        self._use_selection: Callable[[SelectionSource], None] = lambda _source: None
        self.area.currentChanged.connect(self._view_switched)
        self.copy_action = QAction("&Copy", self.view)
        self.copy_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Copy))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy)
        self.view.addAction(self.copy_action)
        # The pane follows the page shown (its scroll position is the reading position that is saved).
        self._follow_timer = QTimer(self, singleShot=True, interval=FOLLOW_DELAY_MS)
        self._follow_timer.timeout.connect(self._pane_follows)
        view.current_page_changed.connect(lambda _page: self._follow_timer.start())

    # ------------------------------------------------------------------------------------- wiring
    def bind(
        self,
        toggle: QAction,
        notes_changed: SignalInstance,
        annotations: Callable[[], Sequence[Annotation]],
        annotation_actions: Mapping[str, QAction],
        use_selection: Callable[[SelectionSource], None],
    ) -> None:
        """The View → Page View action, and the notes: when they change, what they are, their actions
        (highlight, note, delete; their shortcuts then also work on the pages), and how to make a view the
        one the annotation controller takes selections from."""
        self.toggle_action = toggle
        self._use_selection = use_selection
        toggle.setCheckable(True)
        toggle.setEnabled(False)
        self._annotations = annotations
        self._annotation_actions = annotation_actions
        notes_changed.connect(self.refresh_marks)
        for name in (*(n for n in annotation_actions if n.startswith("highlight_")), "note", "delete"):
            if name in annotation_actions:
                self.view.addAction(annotation_actions[name])

    def bind_contents(self, menu: QMenu) -> None:
        """Fill ``menu`` with the article's table of contents each time it opens."""
        menu.aboutToShow.connect(lambda: self._fill_contents(menu))

    # ------------------------------------------------------------------------------------- article
    @property
    def active(self) -> bool:
        """Whether the page view (not the reflowed text) is shown."""
        return self.area.currentWidget() is self.view

    def show_article(self, article: Article | None, scroll_to: float | None = None) -> None:
        """The window shows ``article`` (in the pane already; ``scroll_to``: the reading position restored, a
        fraction of the pane's height): show its pages, at that place, if that is its view."""
        self.article = article
        for relpath in [r for r in self.unlocked_data if article is None or r != article.relpath]:
            del self.unlocked_data[relpath]
        is_pdf = article is not None and article.format == "pdf"
        wanted = bool(is_pdf and article and article.relpath in self._page_view_set())
        if self.toggle_action is not None:
            self.toggle_action.setEnabled(is_pdf)
            self.toggle_action.setChecked(wanted)
        # The pages open stay open for the same file with the same text (or opened before it was read).
        keep = (
            article is not None
            and self.jobs.path == article.path
            and self._pages_text in (None, article.content_hash)
        )
        if not keep or not wanted:
            self._close_pages()
        if article is not None and wanted:
            self._pages_text = article.content_hash
            # The page at the reading position (restored, or kept on reload). A pane never shown has no
            # scroll range: showing it (no paint happens before the pages replace it) lays it out.
            self.area.setCurrentWidget(self.pane)
            if scroll_to:
                self.pane.set_scroll_fraction(scroll_to)
            self._show_pages(article.path, self.pane_page())
        else:
            self.area.setCurrentWidget(self.pane)

    def prepare(self, path: Path) -> None:
        """A PDF shown as pages was chosen: open it and render its first page now, while its text is read."""
        library = self._library()
        relpath = path.relative_to(library).as_posix() if path.is_relative_to(library) else path.name
        if path.suffix.lower() != ".pdf" or relpath not in self._page_view_set():
            return
        if self.jobs.path != path:
            self._close_pages()
            self._show_pages(path, None)

    def _page_view_set(self) -> set[str]:
        return self._settings.page_view_articles(self._library())

    def set_page_view(self, on: bool) -> None:
        """Switch the article shown to its pages (``True``) or its reflowed text; remembered."""
        article = self.article
        if article is None or article.format != "pdf":
            on = False
        if self.toggle_action is not None:
            self.toggle_action.setChecked(on)
        if article is None:
            return
        if on != self.active and article.format == "pdf":
            self._settings.set_page_view(self._library(), article.relpath, on)
        if on and not self.active:
            self._pages_text = article.content_hash
            self._show_pages(article.path, self.pane_page())
        elif not on and self.active:
            page = self.view.current_page
            self.area.setCurrentWidget(self.pane)
            self._scroll_pane_to_page(page + 1)
            self.pane.setFocus()

    def toggle(self) -> None:
        self.set_page_view(not self.active)

    def _show_pages(self, path: Path, page: int | None) -> None:
        self.area.setCurrentWidget(self.view)
        self.view.setFocus()
        self._pending_page = page
        if self.jobs.path == path:
            if page is not None and self.pages is not None:
                self.view.go_to_page(page)
            return
        self.clicked_offset = None
        article = self.article
        data = (
            self.unlocked_data.get(article.relpath) if article is not None and article.path == path else None
        )
        self.jobs.open(path, data, page or 0)

    def _document_ready(self, _count: int) -> None:
        if self._pending_page is not None:
            self.view.go_to_page(self._pending_page)
        self.refresh_marks()

    def _open_failed(self, message: str) -> None:
        self.area.setCurrentWidget(self.pane)
        self._report_error(f"The pages cannot be shown: {message}")

    def _close_pages(self) -> None:
        self.clicked_offset = None
        self._pages_text = None
        self.jobs.close_document()

    @property
    def pages(self) -> PdfPages | None:
        """The open document of the page view, if any."""
        return self.jobs.pages

    def close(self) -> None:
        """Close every document now (the window is closing and its workers have finished)."""
        self.jobs.close()

    # ------------------------------------------------------------------------------------- notes
    def refresh_marks(self) -> None:
        self.view.set_annotations(self._annotations(), PAPER_HIGHLIGHTS)
        background = QColor(self.pane.theme.background)
        self.view.set_background(
            background.lighter(135) if background.lightness() < 128 else background.darker(112)
        )

    @property
    def shows_article(self) -> bool:
        """Whether the pages shown are those of the article shown (not of one whose text is being read)."""
        return self.article is not None and self.article.path == self.jobs.path and self.pages is not None

    def _clicked_on_page(self, offset: int) -> None:
        self.clicked_offset = offset

    def _pane_follows(self) -> None:
        if self.active and self.shows_article:
            self._scroll_pane_to_page(self.view.current_page + 1)

    def _view_switched(self, _index: int) -> None:
        self._use_selection(self.selection if self.active else self.pane)

    def copy(self) -> None:
        """Copy the text selected on the pages (the canonical text, in reading order)."""
        span = self.selection.selected_span()
        if span is not None and self.article is not None:
            QApplication.clipboard().setText(self.article.text[span[0] : span[1]])

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self.view)
        menu.addAction(self.copy_action)
        entries = [e for e in PANE_CONTEXT_MENU if e in self._annotation_actions]
        self._menu = popup_menu(menu, entries, self._annotation_actions, self.view.viewport(), pos)

    # ------------------------------------------------------------------------------------- places
    def page_of(self, offset: int) -> int | None:
        """The 1-based page of the block holding ``offset`` (PDFs), else ``None``."""
        article = self.article
        if article is None or not article.blocks:
            return None
        i = max(0, bisect_right([b.start for b in article.blocks], offset) - 1)
        return article.blocks[i].page

    def pane_page(self) -> int | None:
        """The 0-based page of the text at the top of the reading pane."""
        if self.pane.verticalScrollBar().value() == 0:
            return 0
        pos = self.pane.cursorForPosition(QPoint(self.pane.viewport().width() // 2, 20)).position()
        page = self.page_of(self.pane.to_cp(pos))
        return page - 1 if page else None

    def _scroll_pane_to_page(self, page: int) -> None:
        article = self.article
        if article is None:
            return
        block = next((b for b in article.blocks if (b.page or 0) >= page), None)
        if block is not None:
            self._scroll_pane_to(block.start)

    def _scroll_pane_to(self, offset: int) -> None:
        self.pane.scroll_to(offset)
        bar = self.pane.verticalScrollBar()
        bar.setValue(bar.value() + self.pane.cursorRect().top())

    def show_offset(self, offset: int, *, only_if_hidden: bool = False) -> None:
        """Bring canonical ``offset`` into sight in the view shown."""
        if not self.active:
            self._scroll_pane_to(offset)
            return
        page = self.page_of(offset)
        if page is None:
            return
        page -= 1
        boxes = self.view.boxes(page)
        y = 0.0
        if boxes is not None and boxes.offsets:
            i = min(len(boxes.offsets) - 1, max(0, bisect_right(boxes.offsets, offset) - 1))
            y = max(0.0, boxes.boxes[i].top() - 24)
        if only_if_hidden and page in self.view.visible_pages():
            return
        self.view.go_to_page(page, y)

    def page_count(self) -> int:
        if self.pages is not None:
            return self.pages.count
        article = self.article
        return max((b.page or 0 for b in article.blocks), default=0) if article is not None else 0

    def go_to_page(self, page: int | None = None) -> None:
        """Go to 1-based ``page``; without one, ask for it (Ctrl+G). PDFs only, in either view."""
        count = self.page_count()
        if count <= 0:
            self._show_status("This article has no pages")
            return
        if page is None:
            current = self.view.current_page + 1 if self.active else (self.pane_page() or 0) + 1
            page, ok = QInputDialog.getInt(
                self._parent, "Go to Page", f"Page (1–{count}):", max(1, current), 1, count
            )
            if not ok:
                return
        page = max(1, min(count, page))
        if self.active:
            self.view.go_to_page(page - 1)
        else:
            self._scroll_pane_to_page(page)
        self._show_status(f"Page {page} of {count}")

    def _fill_contents(self, menu: QMenu) -> None:
        menu.clear()
        article = self.article
        toc = article.toc if article is not None else ()
        if not toc:
            menu.addAction("(no table of contents)").setEnabled(False)
            return
        for title, offset in toc[:500]:
            label = title if len(title) <= 80 else title[:79] + "…"
            page = self.page_of(offset)
            if article is not None and article.format == "pdf" and page:
                label = f"{label}\tp. {page}"
            action = menu.addAction(label.replace("&", "&&"))
            action.triggered.connect(lambda _checked=False, o=offset: self.show_offset(o))

    # ------------------------------------------------------------------------------------- zoom
    def zoom(self, step: int | None) -> bool:
        """Zoom the page view (``None``: actual size); False when the page view is not shown."""
        if not self.active:
            return False
        if step is None:
            self.view.set_factor(ACTUAL_SIZE_DPI / 72.0)
        else:
            self.view.set_factor(self.view.factor * ZOOM_STEP**step)
        self._show_status(f"Zoom {round(self.view.factor * 72 / ACTUAL_SIZE_DPI * 100)}%")
        return True

    def fit_width(self) -> None:
        if self.active:
            self.view.set_factor(None)


class PageSelection:
    """The page view as a :class:`~reader.ui.reading.selection_source.SelectionSource`: the annotation
    controller takes new highlights from the text selected on the pages, and shows the highlight chosen in
    the panel there (any offset: the reading pane shows only the start of a very long text)."""

    def __init__(self, controller: PageViewController) -> None:
        self._controller = controller

    def selected_span(self) -> tuple[int, int] | None:
        controller = self._controller
        return controller.view.selected_span() if controller.shows_article else None

    def cursor_offset(self) -> int | None:
        controller = self._controller
        if not controller.shows_article or controller.view.selected_span() is not None:
            return None
        return controller.clicked_offset

    def select_span(self, start: int, end: int) -> None:
        controller = self._controller
        controller.view.set_selection(start, end)
        controller.clicked_offset = start if end <= start else None
        if end > start:
            controller.show_offset(start, only_if_hidden=True)
