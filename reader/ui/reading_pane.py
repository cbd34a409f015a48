"""The reading pane: an article's canonical text, rendered from its blocks, with highlights and search marks.

The document is built from the canonical text itself (``Article.text``): a short header (title, byline,
reading time) comes first, then the text verbatim, each ``\\n`` becoming a block break, and only formats are
applied on top. So a document position is ``base + utf16(code point)``, and what the user selects maps
exactly to the offsets stored in sidecars (:class:`~reader.ui.textpos.OffsetMap` converts).

Nothing remote is ever loaded: ``loadResource`` returns nothing, and links are only reported through
:attr:`ReadingPane.link_activated` for the window to confirm.

A huge text is shown only up to :data:`MAX_RENDER_CHARS` code points, with a notice in the header: Qt lays
out a document on the GUI thread, and a 5 MB line takes seconds (the window would freeze). Offsets stay the
same (the shown text is a prefix); marks beyond it are not drawn. The whole text is still indexed, searched
and printed by ``python -m reader text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QHelpEvent,
    QMouseEvent,
    QPalette,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextListFormat,
)
from PySide6.QtWidgets import QTextBrowser, QTextEdit, QToolTip, QWidget

from reader.core.models import Annotation, Article
from reader.ui.textpos import OffsetMap

#: Fonts tried in order; Qt falls back per glyph, so Korean text uses a CJK font where one is installed.
SERIF_FAMILIES = [
    "Noto Serif",
    "Source Serif 4",
    "Georgia",
    "DejaVu Serif",
    "Noto Serif CJK KR",
    "Noto Sans CJK KR",
    "NanumMyeongjo",
    "Malgun Gothic",
    "AppleMyungjo",
]
MONO_FAMILIES = ["Noto Sans Mono", "DejaVu Sans Mono", "Menlo", "Consolas", "Noto Sans Mono CJK KR"]
BASE_POINT_SIZE = 12.0
MAX_TEXT_WIDTH_EM = 40  # about 70-80 characters a line
#: The reading pane renders at most this many code points of an article (see the module docstring); measured:
#: a 100,000-character single line is laid out in about 80 ms, 5 MB in over 5 s.
MAX_RENDER_CHARS = 100_000


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    text: str
    muted: str
    link: str
    search: str
    search_current: str
    highlights: dict[str, str]


LIGHT_HIGHLIGHTS = {
    "yellow": "#fff3a3",
    "green": "#c8f0c0",
    "blue": "#c7e0ff",
    "pink": "#ffd1e3",
    "purple": "#e3d4ff",
}
DARK_HIGHLIGHTS = {
    "yellow": "#6b5d12",
    "green": "#2f5a2a",
    "blue": "#234a73",
    "pink": "#6e2946",
    "purple": "#4b3775",
}

THEMES: dict[str, Theme] = {
    "light": Theme(
        "light", "#ffffff", "#1d1f21", "#5f6b76", "#1f5fa8", "#ffd59e", "#ff9f43", LIGHT_HIGHLIGHTS
    ),
    "sepia": Theme(
        "sepia", "#f7f0e1", "#3b3024", "#7a6a55", "#7a4a12", "#f2c98a", "#e8953a", LIGHT_HIGHLIGHTS
    ),
    "dark": Theme("dark", "#1b1e22", "#dcdfe3", "#9aa4ae", "#7fb2ea", "#7a5a1c", "#b86e12", DARK_HIGHLIGHTS),
}


class ReadingPane(QTextBrowser):
    """Shows one article. Offsets in its API are code points of the article's canonical text."""

    link_activated = Signal(QUrl)
    selection_changed_cp = Signal(int, int)  #: start, end (equal when nothing is selected)
    annotation_clicked = Signal(str)  #: annotation id

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
        self.document().setDocumentMargin(24)
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
        self._map = OffsetMap(self._shown_text(article))
        self._build(article)
        self._refresh_extra()
        self.verticalScrollBar().setValue(0)

    @staticmethod
    def _shown_text(article: Article) -> str:
        """The part of the canonical text that is rendered: all of it, or a prefix ending at a line break."""
        text = article.text
        if len(text) <= MAX_RENDER_CHARS:
            return text
        cut = text.rfind("\n", MAX_RENDER_CHARS // 2, MAX_RENDER_CHARS)
        return text[: cut if cut > 0 else MAX_RENDER_CHARS]

    @property
    def shown_length(self) -> int:
        """How many code points of the article's text the pane shows (less than its length when capped)."""
        return self._map.length_cp

    def _new_document(self) -> tuple[QTextDocument, QTextCursor]:
        doc = QTextDocument(self)
        doc.setDocumentMargin(24)
        doc.setUndoRedoEnabled(False)
        font = QFont()
        font.setFamilies(SERIF_FAMILIES)
        font.setPointSizeF(self._point_size())
        doc.setDefaultFont(font)
        return doc, QTextCursor(doc)

    def _show_placeholder(self) -> None:
        doc, cursor = self._new_document()
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(self._theme.muted))
        block = QTextBlockFormat()
        block.setAlignment(Qt.AlignmentFlag.AlignCenter)
        block.setTopMargin(80)
        cursor.setBlockFormat(block)
        cursor.insertText("Select an article to read it.", fmt)
        self._base = 0
        self._map = OffsetMap("")
        self.setDocument(doc)
        self._apply_width()

    def _build(self, article: Article) -> None:
        doc, cursor = self._new_document()
        meta = article.meta
        size = self._point_size()
        # ---- header (not part of the canonical text; offsets start after it)
        title_fmt = QTextCharFormat()
        title_fmt.setFontPointSize(size * 1.7)
        title_fmt.setFontWeight(QFont.Weight.Bold)
        title_fmt.setForeground(QColor(self._theme.text))
        head_block = QTextBlockFormat()
        head_block.setBottomMargin(6)
        head_block.setLineHeight(115, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        cursor.setBlockFormat(head_block)
        # Most clippings start with their headline: then the header shows only the byline.
        if not article.text.lstrip().startswith(meta.title.strip()):
            cursor.insertText(meta.title, title_fmt)
            cursor.insertBlock(QTextBlockFormat())
        byline = " · ".join(
            part
            for part in (
                meta.author or "",
                meta.date or "",
                meta.source or "",
                f"{meta.reading_minutes} min read" if meta.reading_minutes else "",
            )
            if part
        )
        muted = QTextCharFormat()
        muted.setForeground(QColor(self._theme.muted))
        muted.setFontPointSize(size * 0.9)
        sub_block = QTextBlockFormat()
        sub_block.setBottomMargin(size * 1.2)
        cursor.setBlockFormat(sub_block)
        cursor.insertText(byline or article.relpath, muted)
        shown = self._shown_text(article)
        if len(shown) < len(article.text):
            notice = QTextCharFormat(muted)
            notice.setFontWeight(QFont.Weight.Bold)
            cursor.insertBlock(sub_block)
            cursor.insertText(
                f"This article is too long to show in full: the first {len(shown):,} of "
                f"{len(article.text):,} characters are shown. All of it is searchable.",
                notice,
            )
        cursor.insertBlock(QTextBlockFormat(), self._body_format())
        self._base = cursor.position()
        # ---- the canonical text, verbatim (up to MAX_RENDER_CHARS)
        cursor.insertText(shown, self._body_format())
        self._format_blocks(doc, article)
        self._format_links(doc, article)
        self.setDocument(doc)
        self._apply_width()

    def _body_format(self) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(self._theme.text))
        fmt.setFontPointSize(self._point_size())
        return fmt

    def _format_blocks(self, doc: QTextDocument, article: Article) -> None:
        size = self._point_size()
        # Every paragraph of the document first: comfortable line height, blank lines kept small.
        block = doc.findBlock(self._base)
        while block.isValid():
            fmt = block.blockFormat()
            if block.length() <= 1:
                fmt.setLineHeight(45, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
            else:
                fmt.setLineHeight(150, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
                fmt.setBottomMargin(size * 0.5)
            QTextCursor(block).setBlockFormat(fmt)
            block = block.next()
        for b in article.blocks:
            if b.start >= self.shown_length:
                break
            cursor = self._cursor_for(doc, b.start, b.end)
            if b.kind == "heading":
                char = QTextCharFormat()
                char.setFontWeight(QFont.Weight.Bold)
                char.setFontPointSize(size * {1: 1.45, 2: 1.3, 3: 1.15}.get(b.level, 1.05))
                cursor.mergeCharFormat(char)
                bf = cursor.blockFormat()
                bf.setTopMargin(size * 0.8)
                bf.setLineHeight(120, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
                cursor.mergeBlockFormat(bf)
            elif b.kind == "quote":
                bf = QTextBlockFormat()
                bf.setLeftMargin(size * 1.8)
                bf.setRightMargin(size * 1.2)
                cursor.mergeBlockFormat(bf)
                char = QTextCharFormat()
                char.setFontItalic(True)
                char.setForeground(QColor(self._theme.muted))
                cursor.mergeCharFormat(char)
            elif b.kind == "list_item":
                list_fmt = QTextListFormat()
                list_fmt.setStyle(QTextListFormat.Style.ListDisc)
                list_fmt.setIndent(max(1, b.level or 1))
                cursor.createList(list_fmt)
            elif b.kind == "code":
                char = QTextCharFormat()
                mono = QFont()
                mono.setFamilies(MONO_FAMILIES)
                char.setFontFamilies(MONO_FAMILIES)
                char.setFontPointSize(size * 0.9)
                char.setBackground(
                    QColor(self._theme.muted).lighter(190)
                    if self._theme.name != "dark"
                    else QColor("#2a2e34")
                )
                cursor.mergeCharFormat(char)
                bf = QTextBlockFormat()
                bf.setLineHeight(120, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
                cursor.mergeBlockFormat(bf)

    def _format_links(self, doc: QTextDocument, article: Article) -> None:
        for link in article.links:
            if link.start >= self.shown_length or not link.href.lower().startswith(
                ("http://", "https://", "mailto:")
            ):
                continue
            cursor = self._cursor_for(doc, link.start, link.end)
            fmt = QTextCharFormat()
            fmt.setAnchor(True)
            fmt.setAnchorHref(link.href)
            fmt.setForeground(QColor(self._theme.link))
            fmt.setFontUnderline(True)
            fmt.setToolTip(link.href)
            cursor.mergeCharFormat(fmt)

    def loadResource(self, type_: int, name: QUrl | str) -> object:
        """Never load anything (images, stylesheets): an article may name remote resources."""
        return None

    # ------------------------------------------------------------------------------------- offsets
    def to_doc(self, cp: int) -> int:
        return self._base + self._map.to_utf16(max(0, min(cp, self._map.length_cp)))

    def to_cp(self, doc_pos: int) -> int:
        return self._map.to_cp(max(0, min(doc_pos - self._base, self._map.length_utf16)))

    def _cursor_for(self, doc: QTextDocument, start: int, end: int) -> QTextCursor:
        cursor = QTextCursor(doc)
        cursor.setPosition(self.to_doc(start))
        cursor.setPosition(self.to_doc(end), QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def selected_span(self) -> tuple[int, int] | None:
        """The selection as code-point offsets into the canonical text, or ``None``."""
        cursor = self.textCursor()
        if self._article is None or not cursor.hasSelection():
            return None
        start = self.to_cp(cursor.selectionStart())
        end = self.to_cp(cursor.selectionEnd())
        return (start, end) if end > start else None

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
        self._theme = THEMES.get(name, THEMES["light"])
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Base, QColor(self._theme.background))
        palette.setColor(QPalette.ColorRole.Text, QColor(self._theme.text))
        palette.setColor(QPalette.ColorRole.Link, QColor(self._theme.link))
        self.setPalette(palette)
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
