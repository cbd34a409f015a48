"""The search box: the query field and hit count, searching as the user types.

A search starts :data:`SEARCH_DEBOUNCE_MS` after the last keystroke (or at once on Enter) in the
:class:`~reader.ui.library.library_session.LibrarySession` of the open library; its hits replace the
library list, and the open article's matching words are marked in the reading pane. Escape, or emptying
the field, brings the whole list back.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit

from reader.core.search.results import SearchResults
from reader.ui.library.article_model import LibraryRow
from reader.ui.library.library_session import LibrarySession
from reader.ui.library.library_view import LibraryView
from reader.ui.reading.reading_pane import ReadingPane

SEARCH_DEBOUNCE_MS = 150
#: The hit count and query messages take this many average characters beside the field, whatever they say
#: (longer messages are elided, in full in the tooltip): the toolbars never move as the text changes.
HIT_LABEL_CHARS = 36
PLACEHOLDER = 'Search the library   (words, "phrases", prefix*, title:, tag:, -not)'


class SearchBox(QObject):
    """The query field and hit label (placed by the window) and the search they drive."""

    shown = Signal(int)  #: hits shown

    def __init__(self, field: QLineEdit, library_view: LibraryView, pane: ReadingPane) -> None:
        """``field`` is made the search field (the window creates it first: the tab order follows the order
        in which widgets are created); hits are shown in ``library_view`` and marked in ``pane``."""
        parent = field.parentWidget()
        super().__init__(parent)
        self._view = library_view
        self._pane = pane
        self.session: LibrarySession | None = None
        #: The query being shown (stripped; empty when the whole library is listed).
        self.query = ""
        self.field = field
        self.field.setObjectName("searchField")
        self.field.setPlaceholderText(PLACEHOLDER)
        self.field.setClearButtonEnabled(True)
        self.field.textChanged.connect(self._query_edited)
        self.field.returnPressed.connect(self.start)
        self.field.installEventFilter(self)
        self.hit_label = QLabel("", parent)
        self.hit_label.setFixedWidth(self.hit_label.fontMetrics().averageCharWidth() * HIT_LABEL_CHARS)
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._timer.timeout.connect(self.start)

    def set_session(self, session: LibrarySession) -> None:
        """Search in ``session`` from now on (a library was opened)."""
        self.session = session
        session.search_finished.connect(self._finished)
        session.search_failed.connect(self._failed)

    def focus(self) -> None:
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def clear(self) -> None:
        self.field.clear()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.field
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Escape
        ):
            self.clear()
            return True
        return super().eventFilter(watched, event)

    def _query_edited(self, text: str) -> None:
        self.query = text.strip()
        if not self.query:
            self._timer.stop()
            if self.session is not None:
                self.session.cancel_search()
            self._say("")
            self._view.end_search()
            self._pane.set_search_spans([])
            return
        self._timer.start()

    def start(self) -> None:
        """Search now for the query in the field (no-op when it is empty)."""
        self._timer.stop()
        if not self.query or self.session is None:
            return
        if not self.session.searchable:  # the index is being opened: show no stale list meanwhile
            self._say("opening the index…")
            self._view.show_hits([])
        self.session.search(self.query)

    def _finished(self, generation: int, results: SearchResults) -> None:
        if self.session is None or generation != self.session.generation or not self.query:
            return
        by_path = {row.relpath: row for row in self._view.catalog_rows}
        rows = []
        for hit in results.hits:
            row = by_path.get(hit.relpath)
            if row is not None:
                rows.append(LibraryRow(row.entry, row.tags, row.colors, row.read, hit))
        self._view.show_hits(rows)
        shown = len(rows)
        total = results.total
        text = f"{total} hit{'s' if total != 1 else ''}"
        if total > shown:
            text += f" (best {shown} shown)"
        self._say(text)
        coverage = self.session.index_coverage()
        self._view.show_notice(
            f"{coverage[0]} of {coverage[1]} articles indexed — results may be incomplete" if coverage else ""
        )
        self.field.setStyleSheet("")
        self.field.setToolTip("")
        self.mark_terms()
        self.shown.emit(shown)

    def _failed(self, generation: int, message: str) -> None:
        if self.session is None or generation != self.session.generation:
            return
        self._say(message.splitlines()[0][:200])
        self.field.setToolTip(message)

    def _say(self, text: str) -> None:
        """Show ``text`` beside the field, elided to the label's fixed width (in full in its tooltip)."""
        label = self.hit_label
        room = label.width() - label.fontMetrics().averageCharWidth()
        shown = label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)
        label.setText("  " + shown if shown else "")
        label.setToolTip(text if shown != text else "")

    def mark_terms(self) -> None:
        """Mark the query's words in the article shown, and go to the first."""
        article = self._pane.article
        if article is None or self.session is None:
            return
        spans = self.session.term_spans(self.query, article.text) if self.query else []
        self._pane.set_search_spans(spans)
        if spans:
            self._pane.next_hit()
