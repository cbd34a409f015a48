"""Item delegates: the title column shows the search snippet, with matched terms in bold, under the title."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QFont, QFontMetrics, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from reader.ui.library.article_model import SNIPPET_ROLE

Index = QModelIndex | QPersistentModelIndex


class SnippetDelegate(QStyledItemDelegate):
    """Paints ``title`` and, when the row is a search hit, a two-line snippet below it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.searching = False

    def _document(self, option: QStyleOptionViewItem, index: Index) -> QTextDocument | None:
        snippet = index.data(SNIPPET_ROLE)
        if not snippet:
            return None
        doc = QTextDocument()
        doc.setDocumentMargin(2)
        font = option.font
        font.setBold(False)
        doc.setDefaultFont(font)
        doc.setTextWidth(max(50, option.rect.width()))
        doc.setHtml(f"<span style='font-size:small'>{snippet}</span>")
        return doc

    @staticmethod
    def _two_lines(doc: QTextDocument) -> float:
        """The height of the snippet's first two laid-out lines (CJK fallback fonts are taller)."""
        doc.documentLayout()  # lays the document out
        layout = doc.firstBlock().layout()
        if layout is None or layout.lineCount() == 0:
            return doc.size().height()
        last = layout.lineAt(min(1, layout.lineCount() - 1))
        return doc.documentMargin() + last.rect().bottom() + 1

    @staticmethod
    def _snippet_height(option: QStyleOptionViewItem) -> int:
        """Two lines of the snippet's small font: the rest is clipped, never shown half-cut."""
        font = QFont(option.font)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.83))
        return round(QFontMetrics(font).lineSpacing() * 2.4) + 4

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        if not self.searching or not index.data(SNIPPET_ROLE):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget else QApplication.style()
        title = opt.text
        opt.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(opt.palette.color(role))
        line = opt.fontMetrics.height()
        title_rect = opt.rect.adjusted(4, 2, -4, 0)
        title_rect.setHeight(line)
        elided = opt.fontMetrics.elidedText(title, Qt.TextElideMode.ElideRight, title_rect.width())
        painter.drawText(title_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), elided)
        doc = self._document(opt, index)
        if doc is not None:
            doc.setTextWidth(opt.rect.width() - 8)
            painter.translate(opt.rect.left() + 2, opt.rect.top() + line + 2)
            clip = QRectF(0, 0, opt.rect.width() - 4, min(opt.rect.height() - line - 4, self._two_lines(doc)))
            painter.setClipRect(clip)
            ctx = QAbstractTextDocumentLayout.PaintContext()
            ctx.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
            ctx.clip = clip
            doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        base = super().sizeHint(option, index)
        if self.searching and index.data(SNIPPET_ROLE):
            return QSize(base.width(), option.fontMetrics.height() + self._snippet_height(option) + 6)
        return base
