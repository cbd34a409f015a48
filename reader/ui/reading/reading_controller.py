"""Reading: loading the article shown, its reading position, zoom, find in article, and links.

:class:`ReadingController` reads an article off the GUI thread (the newest request wins) and reports it;
the window decides what else follows (notes, read marks). It remembers where the reader is in each article
(:class:`~reader.ui.settings.Settings`, a short timer after scrolling stops), and it never follows a link
without asking.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from reader.core.articles.loader import load_article
from reader.core.articles.pdf import ENCRYPTED
from reader.core.models import Article
from reader.ui.reading.article_watch import ArticleWatch, FileSignature, file_signature
from reader.ui.reading.reading_pane import ReadingPane
from reader.ui.settings import Settings
from reader.ui.workers import TaskRunner

#: The reading position is saved this long after the last scroll.
POSITION_SAVE_DELAY_MS = 800


class ReadingController(QObject):
    """Loads articles into the pane's keeping and keeps the reader's place in them."""

    loaded = Signal(object, object)  #: Article, scroll fraction to restore (or None)
    #: The file of the article shown changed on disk (another program edited it): its Path.
    file_changed = Signal(object)
    load_failed = Signal(str)  #: message
    password_needed = Signal(str)  #: relpath of an encrypted PDF (the window asks for its password)

    def __init__(
        self,
        pane: ReadingPane,
        runner: TaskRunner,
        settings: Settings,
        library: Path,
        watcher: QFileSystemWatcher,
        *,
        show_status: Callable[[str], None],
        clear_status: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        """``show_status`` shows a message; ``clear_status(text)`` clears it if it still shows ``text``."""
        super().__init__(parent)
        self.pane = pane
        self._runner = runner
        self._settings = settings
        self._show_status = show_status
        self._clear_status = clear_status
        #: The "Match i of n" message shown last (cleared when the marks it counts are replaced).
        self._match_message = ""
        self._parent = parent
        #: The library the relpaths are relative to (the window sets it when it opens another).
        self.library = library
        self._generation = 0
        #: The file signature each article shown had when it was read (see :meth:`shown`).
        self._read_as: dict[Path, FileSignature | None] = {}
        #: Watches the file of the article shown (:meth:`shown`), reporting outside edits.
        self.watch = ArticleWatch(watcher, self)
        self.watch.changed.connect(self.file_changed)
        #: The relpath being read (``None`` when no load is under way).
        self.loading: str | None = None
        self._position_timer = QTimer(self, singleShot=True, interval=POSITION_SAVE_DELAY_MS)
        self._position_timer.timeout.connect(self.save_position)
        pane.link_activated.connect(self._link_activated)
        pane.search_marks_changed.connect(self._marks_changed)
        pane.verticalScrollBar().valueChanged.connect(lambda _v: self._position_timer.start())

    # ------------------------------------------------------------------------------------- loading
    def load(self, relpath: str, *, scroll_to: float | None = None) -> None:
        """Read the article in the background, then report it (the newest request wins)."""
        self._generation += 1
        generation = self._generation
        self.loading = relpath
        library = self.library

        def read() -> tuple[FileSignature | None, Article]:
            # The signature first: a change after it is noticed by :meth:`shown`, even one made while reading.
            signature = file_signature(library / relpath)
            return signature, load_article(library / relpath, library)

        self._runner.run(
            read,
            on_success=lambda result: self._ready(generation, result[0], result[1], scroll_to),
            on_failure=lambda message: self._failed(generation, message, relpath),
        )

    def _ready(
        self, generation: int, signature: FileSignature | None, article: Article, scroll_to: float | None
    ) -> None:
        if generation == self._generation:
            self._read_as = {article.path: signature}
            self.loading = None
            self.loaded.emit(article, scroll_to)

    def shown(self, article: Article | None) -> None:
        """``article`` is shown now (``None``: nothing is): watch its file for outside edits; one made since
        it was read is reported at once."""
        if article is None:
            self.watch.stop()
            return
        self.watch.follow(article.path, self._read_as.get(article.path))

    def _failed(self, generation: int, message: str, relpath: str) -> None:
        if generation == self._generation:
            self.loading = None
            if message.endswith(ENCRYPTED) and relpath.lower().endswith(".pdf"):
                self.password_needed.emit(relpath)
            else:
                self.load_failed.emit(message)

    # ------------------------------------------------------------------------------------- position
    def saved_position(self, relpath: str) -> float | None:
        """Where the reader left ``relpath`` (a fraction of its length), if anywhere."""
        return self._settings.reading_positions(self.library).get(relpath)

    def save_position(self) -> None:
        article = self.pane.article
        if article is not None:
            self._settings.set_reading_position(self.library, article.relpath, self.pane.scroll_fraction())

    def zoom(self, step: int | None) -> None:
        """Zoom in (``1``), out (``-1``) or back to the normal size (``None``); remembered."""
        self.pane.set_zoom(0 if step is None else self.pane.zoom + step)
        self._settings.set_zoom(self.pane.zoom)

    # ------------------------------------------------------------------------------------- find
    def step_hit(self, step: int) -> None:
        """Go to the next (``1``) or previous (``-1``) marked match."""
        if self.pane.next_hit(step):
            n = self.pane.search_hit_count
            self._match_message = f"Match {self.pane.current_hit + 1} of {n}"
            self._show_status(self._match_message)

    def _marks_changed(self) -> None:
        if self._match_message:
            self._clear_status(self._match_message)
            self._match_message = ""

    def find_in_article(self) -> None:
        """Ask for a word or phrase and mark it throughout the article shown."""
        needle, ok = QInputDialog.getText(self._parent, "Find in Article", "Find:")
        if ok:
            n = self.pane.find_in_page(needle)
            self._show_status(f"{n} match{'es' if n != 1 else ''} for “{needle}” in this article")

    # ------------------------------------------------------------------------------------- links
    def _link_activated(self, url: QUrl) -> None:
        if url.scheme().lower() not in ("http", "https", "mailto"):
            self._show_status(f"Link not opened: {url.scheme()}: links are never followed")
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Open link",
            f"Open this link in your web browser?\n\n{url.toString()}",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            self._parent,
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
