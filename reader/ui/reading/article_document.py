"""The reading pane's document: an article's canonical text with a short header, formatted for reading.

The document is built from the canonical text itself (``Article.text``): a short header (title, byline,
reading time) comes first, then the text verbatim, each ``\\n`` becoming a block break, and only formats are
applied on top. So a document position is ``base + utf16(code point)`` (:class:`~reader.ui.reading.textpos.
OffsetMap` converts), and what the user selects maps exactly to the offsets stored in sidecars.

A huge text is shown only up to :data:`MAX_RENDER_CHARS` code points, with a notice in the header: Qt lays
out a document on the GUI thread, and a 5 MB line takes seconds (the window would freeze). Offsets stay the
same (the shown text is a prefix); marks beyond it are not drawn. The whole text is still indexed, searched
and printed by ``python -m reader text``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextListFormat,
)

from reader.core.models import Article
from reader.ui.dates import display_date
from reader.ui.reading.textpos import OffsetMap

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
#: The reading pane renders at most this many code points of an article (see the module docstring); measured:
#: a 100,000-character single line is laid out in about 80 ms, 5 MB in over 5 s.
MAX_RENDER_CHARS = 100_000
DOCUMENT_MARGIN = 24


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
    selection: str


LIGHT_HIGHLIGHTS = {
    "yellow": "#fff3a3",
    "green": "#c8f0c0",
    "blue": "#c7e0ff",
    "pink": "#ffd1e3",
    "purple": "#e3d4ff",
    "red": "#ffcdc8",
    "orange": "#ffdfb8",
    "gray": "#e4e4e4",
    "magenta": "#f8cdf4",
}
DARK_HIGHLIGHTS = {
    "yellow": "#6b5d12",
    "green": "#2f5a2a",
    "blue": "#234a73",
    "pink": "#6e2946",
    "purple": "#4b3775",
    "red": "#6e2a26",
    "orange": "#6b4313",
    "gray": "#45484c",
    "magenta": "#642a61",
}

THEMES: dict[str, Theme] = {
    "light": Theme(
        "light", "#ffffff", "#1d1f21", "#5f6b76", "#1f5fa8", "#ffd59e", "#ff9f43", LIGHT_HIGHLIGHTS, "#b9d3ee"
    ),
    "sepia": Theme(
        "sepia", "#f7f0e1", "#3b3024", "#7a6a55", "#7a4a12", "#f2c98a", "#e8953a", LIGHT_HIGHLIGHTS, "#e3cfa6"
    ),
    "dark": Theme(
        "dark", "#1b1e22", "#dcdfe3", "#9aa4ae", "#7fb2ea", "#7a5a1c", "#9c4a00", DARK_HIGHLIGHTS, "#2d5a88"
    ),
}


def shown_text(article: Article) -> str:
    """The part of the canonical text that is rendered: all of it, or a prefix ending at a line break."""
    text = article.text
    if len(text) <= MAX_RENDER_CHARS:
        return text
    cut = text.rfind("\n", MAX_RENDER_CHARS // 2, MAX_RENDER_CHARS)
    return text[: cut if cut > 0 else MAX_RENDER_CHARS]


def span_cursor(doc: QTextDocument, base: int, offsets: OffsetMap, start: int, end: int) -> QTextCursor:
    """A cursor selecting code points ``start``..``end`` of the text that starts at document position ``base``
    (offsets beyond the shown text are clamped to its end)."""
    cursor = QTextCursor(doc)
    cursor.setPosition(base + offsets.to_utf16(max(0, min(start, offsets.length_cp))))
    cursor.setPosition(
        base + offsets.to_utf16(max(0, min(end, offsets.length_cp))), QTextCursor.MoveMode.KeepAnchor
    )
    return cursor


def _new_document(parent: QObject, point_size: float) -> tuple[QTextDocument, QTextCursor]:
    doc = QTextDocument(parent)
    doc.setDocumentMargin(DOCUMENT_MARGIN)
    doc.setUndoRedoEnabled(False)
    font = QFont()
    font.setFamilies(SERIF_FAMILIES)
    font.setPointSizeF(point_size)
    doc.setDefaultFont(font)
    return doc, QTextCursor(doc)


def placeholder_document(parent: QObject, theme: Theme, point_size: float) -> QTextDocument:
    """The document shown when no article is open."""
    doc, cursor = _new_document(parent, point_size)
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(theme.muted))
    block = QTextBlockFormat()
    block.setAlignment(Qt.AlignmentFlag.AlignCenter)
    block.setTopMargin(80)
    cursor.setBlockFormat(block)
    cursor.insertText("Select an article to read it.", fmt)
    return doc


def article_document(
    parent: QObject, article: Article, theme: Theme, point_size: float, offsets: OffsetMap
) -> tuple[QTextDocument, int]:
    """The document of ``article`` and the position where its canonical text starts (after the header).

    ``offsets`` maps the shown text (:func:`shown_text`)."""
    doc, cursor = _new_document(parent, point_size)
    meta = article.meta
    size = point_size
    # ---- header (not part of the canonical text; offsets start after it)
    title_fmt = QTextCharFormat()
    title_fmt.setFontPointSize(size * 1.7)
    title_fmt.setFontWeight(QFont.Weight.Bold)
    title_fmt.setForeground(QColor(theme.text))
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
            display_date(meta.date),
            meta.source or "",
            f"{meta.reading_minutes} min read" if meta.reading_minutes else "",
        )
        if part
    )
    muted = QTextCharFormat()
    muted.setForeground(QColor(theme.muted))
    muted.setFontPointSize(size * 0.9)
    sub_block = QTextBlockFormat()
    sub_block.setBottomMargin(size * 1.2)
    cursor.setBlockFormat(sub_block)
    cursor.insertText(byline or article.relpath, muted)
    shown = shown_text(article)
    if len(shown) < len(article.text):
        notice = QTextCharFormat(muted)
        notice.setFontWeight(QFont.Weight.Bold)
        cursor.insertBlock(sub_block)
        cursor.insertText(
            f"This article is too long to show in full: the first {len(shown):,} of "
            f"{len(article.text):,} characters are shown. All of it is searchable.",
            notice,
        )
    cursor.insertBlock(QTextBlockFormat(), _body_format(theme, size))
    base = cursor.position()
    # ---- the canonical text, verbatim (up to MAX_RENDER_CHARS)
    cursor.insertText(shown, _body_format(theme, size))
    _format_blocks(doc, article, theme, size, base, offsets)
    _format_links(doc, article, theme, base, offsets)
    return doc, base


def _body_format(theme: Theme, point_size: float) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(theme.text))
    fmt.setFontPointSize(point_size)
    return fmt


def _format_blocks(
    doc: QTextDocument, article: Article, theme: Theme, size: float, base: int, offsets: OffsetMap
) -> None:
    # Every paragraph of the document first: comfortable line height, blank lines kept small.
    block = doc.findBlock(base)
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
        if b.start >= offsets.length_cp:
            break
        cursor = span_cursor(doc, base, offsets, b.start, b.end)
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
            char.setForeground(QColor(theme.muted))
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
                QColor(theme.muted).lighter(190) if theme.name != "dark" else QColor("#2a2e34")
            )
            cursor.mergeCharFormat(char)
            bf = QTextBlockFormat()
            bf.setLineHeight(120, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
            cursor.mergeBlockFormat(bf)


def _format_links(doc: QTextDocument, article: Article, theme: Theme, base: int, offsets: OffsetMap) -> None:
    for link in article.links:
        if link.start >= offsets.length_cp or not link.href.lower().startswith(
            ("http://", "https://", "mailto:")
        ):
            continue
        cursor = span_cursor(doc, base, offsets, link.start, link.end)
        fmt = QTextCharFormat()
        fmt.setAnchor(True)
        fmt.setAnchorHref(link.href)
        fmt.setForeground(QColor(theme.link))
        fmt.setFontUnderline(True)
        fmt.setToolTip(link.href)
        cursor.mergeCharFormat(fmt)
