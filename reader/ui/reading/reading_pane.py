"""The reading pane: an article's canonical text, rendered from its blocks, with highlights and search marks.

The document comes from :mod:`reader.ui.reading.article_document`: a header, then the canonical text
verbatim, so a document position is ``base + utf16(code point)``. The pane's API speaks code points only;
:class:`~reader.ui.reading.textpos.OffsetMap` converts at this boundary, and nothing outside this package
sees a Qt text position.

Nothing remote is ever loaded: ``loadResource`` returns nothing, and links are only reported through
:attr:`ReadingPane.link_activated` for the reading controller to confirm.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QHelpEvent,
    QMouseEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QTextBrowser, QTextEdit, QToolTip, QWidget

from reader.core.models import Annotation, Article
from reader.ui.reading.article_document import (
    DOCUMENT_MARGIN,
    THEMES,
    Theme,
    article_document,
    placeholder_document,
    shown_text,
    span_cursor,
)
from reader.ui.reading.textpos import OffsetMap

BASE_POINT_SIZE = 12.0
MAX_TEXT_WIDTH_EM = 40  # about 70-80 characters a line


class ReadingPane(QTextBrowser):
    """Shows one article. Offsets in its API are code points of the article's canonical text."""

    link_activated = Signal(QUrl)
    selection_changed_cp = Signal(int, int)  #: start, end (equal when nothing is selected)
    annotation_clicked = Signal(str)  #: annotation id
    search_marks_changed = Signal()  #: the search marks were replaced (another query, find, article)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readingPane")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.setMouseTracking(True)
        self.anchorClicked.connect(self.link_activated.emit)
        self.selectionChanged.connect(self._emit_selection)
        self._article: Article | None = None
        self._map = OffsetMap("")
        self._base = 0
        self._theme = THEMES["light"]
        self._zoom = 0
        self._annotations: list[Annotation] = []
        self._search_spans: list[tuple[int, int]] = []
        self._current_hit = -1
        self._find_spans: list[tuple[int, int]] = []
        self.document().setDocumentMargin(DOCUMENT_MARGIN)
        self._show_placeholder()

    # ------------------------------------------------------------------------------------- content
    @property
    def article(self) -> Article | None:
        return self._article

    def show_article(self, article: Article | None) -> None:
        self._article = article
        self._annotations = []
        self._search_spans = []
        self._find_spans = []
        self._current_hit = -1
        if article is None:
            self._show_placeholder()
            return
        self._map = OffsetMap(shown_text(article))
        self._build(article)
        self._refresh_extra()
        self.verticalScrollBar().setValue(0)

    @property
    def shown_length(self) -> int:
        """How many code points of the article's text the pane shows (less than its length when capped)."""
        return self._map.length_cp

    def _show_placeholder(self) -> None:
        self._base = 0
        self._map = OffsetMap("")
        self.setDocument(placeholder_document(self, self._theme, self._point_size()))
        self._apply_width()

    def _build(self, article: Article) -> None:
        doc, self._base = article_document(self, article, self._theme, self._point_size(), self._map)
        self.setDocument(doc)
        self._apply_width()

    def loadResource(self, type_: int, name: QUrl | str) -> object:
        """Never load anything (images, stylesheets): an article may name remote resources."""
        return None

    # ------------------------------------------------------------------------------------- offsets
    def to_doc(self, cp: int) -> int:
        return self._base + self._map.to_utf16(max(0, min(cp, self._map.length_cp)))

    def to_cp(self, doc_pos: int) -> int:
        return self._map.to_cp(max(0, min(doc_pos - self._base, self._map.length_utf16)))

    def _cursor_for(self, doc: QTextDocument, start: int, end: int) -> QTextCursor:
        return span_cursor(doc, self._base, self._map, start, end)

    def selected_span(self) -> tuple[int, int] | None:
        """The selection as code-point offsets into the canonical text, or ``None``."""
        cursor = self.textCursor()
        if self._article is None or not cursor.hasSelection():
            return None
        start = self.to_cp(cursor.selectionStart())
        end = self.to_cp(cursor.selectionEnd())
        return (start, end) if end > start else None

    def cursor_offset(self) -> int | None:
        """The text cursor's code-point offset when nothing is selected, else ``None``."""
        cursor = self.textCursor()
        return None if cursor.hasSelection() else self.to_cp(cursor.position())

    def select_span(self, start: int, end: int) -> None:
        cursor = self._cursor_for(self.document(), start, end)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def scroll_to(self, cp: int) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(self.to_doc(cp))
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def _emit_selection(self) -> None:
        span = self.selected_span()
        if span is None:
            self.selection_changed_cp.emit(0, 0)
        else:
            self.selection_changed_cp.emit(*span)

    # ------------------------------------------------------------------------------------- marks
    def set_annotations(self, annotations: Sequence[Annotation]) -> None:
        self._annotations = [a for a in annotations if a.status != "orphaned"]
        self._refresh_extra()

    def annotation_at(self, cp: int) -> Annotation | None:
        for annotation in self._annotations:
            if annotation.start <= cp < annotation.end:
                return annotation
        return None

    def set_search_spans(self, spans: Sequence[tuple[int, int]]) -> None:
        self._search_spans = sorted(spans)
        self._current_hit = -1
        self._refresh_extra()
        self.search_marks_changed.emit()

    @property
    def search_hit_count(self) -> int:
        return len(self._search_spans)

    @property
    def current_hit(self) -> int:
        return self._current_hit

    def next_hit(self, step: int = 1) -> bool:
        """Move to the next (or, with ``step=-1``, previous) search mark, wrapping around."""
        if not self._search_spans:
            return False
        self._current_hit = (self._current_hit + step) % len(self._search_spans)
        start, _end = self._search_spans[self._current_hit]
        cursor = self._cursor_for(self.document(), start, start)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        self._refresh_extra()
        return True

    def find_in_page(self, needle: str) -> int:
        """Mark every case-insensitive occurrence of ``needle`` (no index needed); returns the count."""
        spans: list[tuple[int, int]] = []
        if self._article is not None and needle:
            hay = self._article.text.casefold()
            folded = needle.casefold()
            if len(hay) == len(self._article.text):  # casefold kept offsets aligned
                start = hay.find(folded)
                while start != -1 and len(spans) < 10000:
                    spans.append((start, start + len(folded)))
                    start = hay.find(folded, start + max(1, len(folded)))
        self.set_search_spans(spans)
        if spans:
            self.next_hit()
        return len(spans)

    def _refresh_extra(self) -> None:
        selections: list[QTextEdit.ExtraSelection] = []
        doc = self.document()
        for annotation in self._annotations:
            if annotation.start >= self.shown_length:
                continue
            sel = QTextEdit.ExtraSelection()
            sel.cursor = self._cursor_for(doc, annotation.start, annotation.end)
            fmt = QTextCharFormat()
            fmt.setBackground(QBrush(QColor(self._theme.highlights.get(annotation.color, "#fff3a3"))))
            if annotation.note:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
                fmt.setUnderlineColor(QColor(self._theme.muted))
            fmt.setProperty(QTextFormat.Property.UserProperty, annotation.id)
            sel.format = fmt
            selections.append(sel)
        for i, (start, end) in enumerate(self._search_spans):
            if start >= self.shown_length:
                continue
            sel = QTextEdit.ExtraSelection()
            sel.cursor = self._cursor_for(doc, start, end)
            fmt = QTextCharFormat()
            color = self._theme.search_current if i == self._current_hit else self._theme.search
            fmt.setBackground(QBrush(QColor(color)))
            sel.format = fmt
            selections.append(sel)
        self.setExtraSelections(selections)

    # ------------------------------------------------------------------------------------- view
    def _point_size(self) -> float:
        return max(6.0, BASE_POINT_SIZE * (1.1**self._zoom))

    @property
    def zoom(self) -> int:
        return self._zoom

    def set_zoom(self, steps: int) -> None:
        steps = max(-6, min(12, steps))
        if steps == self._zoom:
            return
        fraction = self.scroll_fraction()
        self._zoom = steps
        self._rebuild()
        self.set_scroll_fraction(fraction)

    def set_theme(self, name: str) -> None:
        """Restyle the pane for theme ``name``: its background, text, link and selection colours, and the
        document (text, highlight and search-mark colours are part of it).

        The colours are set in the pane's own style sheet as well as its palette: the application's style
        sheet, applied when the theme changes at run time, re-polishes every widget and gives the viewport
        a palette of its own, so a palette set on the pane alone no longer reaches what is drawn."""
        self._theme = THEMES.get(name, THEMES["light"])
        t = self._theme
        palette = self.palette()
        for role, value in (
            (QPalette.ColorRole.Base, t.background),
            (QPalette.ColorRole.Window, t.background),
            (QPalette.ColorRole.Text, t.text),
            (QPalette.ColorRole.Link, t.link),
            (QPalette.ColorRole.Highlight, t.selection),
            (QPalette.ColorRole.HighlightedText, t.text),
        ):
            palette.setColor(role, QColor(value))
        self.setPalette(palette)
        self.viewport().setPalette(palette)
        self.setStyleSheet(
            f"QTextBrowser#readingPane {{ background-color: {t.background}; color: {t.text}; "
            f"selection-background-color: {t.selection}; selection-color: {t.text}; }}"
        )
        self._rebuild()

    @property
    def theme(self) -> Theme:
        return self._theme

    def _rebuild(self) -> None:
        if self._article is None:
            self._show_placeholder()
            return
        spans, hit, annotations = self._search_spans, self._current_hit, self._annotations
        self._build(self._article)
        self._annotations, self._search_spans, self._current_hit = annotations, spans, hit
        self._refresh_extra()

    def scroll_fraction(self) -> float:
        bar = self.verticalScrollBar()
        return bar.value() / bar.maximum() if bar.maximum() > 0 else 0.0

    def set_scroll_fraction(self, fraction: float) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(round(fraction * bar.maximum()))

    def _apply_width(self) -> None:
        """Keep a comfortable line length: centre a column of about 40em in wide windows."""
        em = (
            self.fontMetrics().averageCharWidth()
            * 2.0
            * (self._point_size() / max(1.0, self.font().pointSizeF()))
        )
        max_width = MAX_TEXT_WIDTH_EM * em
        side = max(24.0, (self.viewport().width() - max_width) / 2)
        root = self.document().rootFrame()
        fmt = root.frameFormat()
        if abs(fmt.leftMargin() - side) > 1:
            fmt.setLeftMargin(side)
            fmt.setRightMargin(side)
            root.setFrameFormat(fmt)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_width()

    # ------------------------------------------------------------------------------------- mouse
    def _annotation_under(self, pos: QPoint) -> Annotation | None:
        if self._article is None:
            return None
        doc_pos = self.cursorForPosition(pos).position()
        if doc_pos < self._base:
            return None
        return self.annotation_at(self.to_cp(doc_pos))

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            annotation = self._annotation_under(event.pos())
            if annotation is not None:
                text = annotation.note or "(no note)"
                if annotation.tags:
                    text += "\n" + " ".join(f"#{t}" for t in annotation.tags)
                QToolTip.showText(event.globalPos(), text, self)
                return True
        return super().viewportEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            annotation = self._annotation_under(event.position().toPoint())
            if annotation is not None:
                self.annotation_clicked.emit(annotation.id)
