"""The page view: a PDF's rendered pages in one continuous column, with highlights drawn over their words.

:class:`PageView` paints only the pages in sight: the image of each from its :class:`PageCache` at the scale
shown (zoom x device pixel ratio), else the same page at another scale stretched, else a blank page of the
right size with its number. The pages it lacks are asked for with :attr:`PageView.pages_needed` (after the
paint, never during it); the page view controller renders them off the GUI thread and puts them in the cache.

Text on the page is known from character boxes (:class:`~reader.ui.reading.pdf_pages.PageBoxes`), given per
page with :meth:`PageView.set_boxes`: highlights are drawn over the boxes of their canonical offsets, and a
mouse drag selects from the character under the press to the character under the pointer, in canonical
(reading) order, reported as code-point offsets ``start, end`` of the article's text.

Geometry: a page's size is in PDF points; at zoom factor ``f`` (logical pixels per point) page ``i`` spans
``f * size`` logical pixels, pages stacked with :data:`PAGE_GAP` between them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QWidget

from reader.core.models import Annotation
from reader.ui.reading.page_cache import PageCache, page_key
from reader.ui.reading.pdf_pages import PageBoxes

PAGE_GAP = 12
MARGIN = 16
MIN_FACTOR, MAX_FACTOR = 0.25, 8.0
#: A press and release closer than this (pixels) is a click, not a drag.
CLICK_SLOP = 3
SELECTION_COLOR = QColor(51, 132, 255, 90)


def fit_factor(sizes: Sequence[tuple[float, float]], width: int) -> float:
    """The zoom (logical pixels per point) at which the widest page fills ``width`` pixels but margins."""
    widest = max((w for w, _h in sizes), default=1.0)
    return max(MIN_FACTOR, min(MAX_FACTOR, (width - 2 * MARGIN) / max(widest, 1.0)))


class PageView(QAbstractScrollArea):
    """Rendered pages of one PDF; offsets in its API are code points of the article's canonical text."""

    pages_needed = Signal(list)  #: 0-based pages in sight (and the next) without an image at the scale shown
    boxes_needed = Signal(list)  #: 0-based pages in sight whose character boxes are not known
    selection_made = Signal(int, int)  #: start, end of the text selected with the mouse
    annotation_clicked = Signal(str)  #: annotation id
    offset_clicked = Signal(int)  #: a click (no drag) on the character at this offset
    current_page_changed = Signal(int)  #: 0-based
    zoom_requested = Signal(int)  #: Ctrl+wheel: 1 (in) or -1 (out)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageView")
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.cache = PageCache()
        self._sizes: list[tuple[float, float]] = []
        self._labels: list[str | None] = []
        self._tops: list[float] = []
        self._height = 0.0
        self._fit_width = True
        self._factor = 1.0
        self._boxes: dict[int, PageBoxes] = {}
        self._annotations: list[Annotation] = []
        self._colors: dict[str, str] = {}
        self._background = QColor("#e4e4e4")
        self._anchor: int | None = None
        self._focus: int | None = None
        self._dragging = False
        self._press = QPoint()
        self._current = -1
        self._missing: set[int] = set()
        self._request_timer = QTimer(self, singleShot=True, interval=0)
        self._request_timer.timeout.connect(self._request_missing)
        self.page_label = QLabel(self)
        self.page_label.setObjectName("pageNumber")
        self.page_label.setStyleSheet(
            "QLabel#pageNumber { background: rgba(40, 40, 40, 170); color: white; padding: 3px 8px;"
            " border-radius: 4px; }"
        )
        self.page_label.hide()
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.horizontalScrollBar().valueChanged.connect(lambda _v: self.viewport().update())

    # ------------------------------------------------------------------------------------- document
    def set_document(self, sizes: Sequence[tuple[float, float]], labels: Sequence[str | None] = ()) -> None:
        """Show a document of pages of these sizes (points); images and boxes come later."""
        self._sizes = list(sizes)
        self._labels = list(labels) or [None] * len(self._sizes)
        self._boxes = {}
        self._anchor = self._focus = None
        self._current = -1
        self.cache.clear()
        self._relayout(keep_place=False)
        self.verticalScrollBar().setValue(0)
        self._scrolled()

    def clear(self) -> None:
        self.set_document([])

    @property
    def page_count(self) -> int:
        return len(self._sizes)

    def set_boxes(self, page: int, boxes: PageBoxes) -> None:
        self._boxes[page] = boxes
        self.viewport().update()

    def boxes(self, page: int) -> PageBoxes | None:
        return self._boxes.get(page)

    def set_annotations(self, annotations: Sequence[Annotation], colors: dict[str, str]) -> None:
        self._annotations = [a for a in annotations if a.status != "orphaned"]
        self._colors = dict(colors)
        self.viewport().update()

    def set_background(self, color: QColor) -> None:
        """The colour around the pages (the theme's, a shade off its text background)."""
        self._background = QColor(color)
        self.viewport().update()

    # ------------------------------------------------------------------------------------- geometry
    @property
    def factor(self) -> float:
        """Logical pixels per PDF point."""
        return self._factor

    @property
    def fit_width(self) -> bool:
        return self._fit_width

    def device_scale(self) -> float:
        """Device pixels per PDF point: what pages are rendered at."""
        return self._factor * self.devicePixelRatioF()

    def set_factor(self, factor: float | None) -> None:
        """Zoom to ``factor`` logical pixels per point, or (``None``) to the width of the view."""
        self._fit_width = factor is None
        if factor is not None:
            self._factor = max(MIN_FACTOR, min(MAX_FACTOR, factor))
        self._relayout(keep_place=True)

    def _relayout(self, *, keep_place: bool) -> None:
        place = self._place() if keep_place and self._tops else None
        if self._fit_width and self._sizes:
            self._factor = fit_factor(self._sizes, self.viewport().width())
        y = float(MARGIN)
        self._tops = []
        for _w, h in self._sizes:
            self._tops.append(y)
            y += h * self._factor + PAGE_GAP
        self._height = y - PAGE_GAP + MARGIN if self._sizes else 0.0
        widest = max((w for w, _h in self._sizes), default=0.0) * self._factor + 2 * MARGIN
        vbar, hbar = self.verticalScrollBar(), self.horizontalScrollBar()
        vbar.setRange(0, max(0, round(self._height - self.viewport().height())))
        vbar.setPageStep(self.viewport().height())
        vbar.setSingleStep(40)
        hbar.setRange(0, max(0, round(widest - self.viewport().width())))
        hbar.setPageStep(self.viewport().width())
        hbar.setSingleStep(40)
        if place is not None:
            page, fraction = place
            vbar.setValue(round(self._tops[page] + fraction * self._sizes[page][1] * self._factor))
        self.viewport().update()

    def _place(self) -> tuple[int, float]:
        """The page at the top of the view and how far down it the view starts (a fraction of its height)."""
        y = self.verticalScrollBar().value()
        page = max(0, bisect_right(self._tops, y) - 1)
        height = self._sizes[page][1] * self._factor
        return page, max(0.0, min(1.0, (y - self._tops[page]) / max(height, 1.0)))

    def page_rect(self, page: int) -> QRectF:
        """Page ``page``'s rectangle in viewport coordinates (logical pixels)."""
        w, h = self._sizes[page]
        width = w * self._factor
        left = max(float(MARGIN), (self.viewport().width() - width) / 2)
        return QRectF(
            left - self.horizontalScrollBar().value(),
            self._tops[page] - self.verticalScrollBar().value(),
            width,
            h * self._factor,
        )

    def visible_pages(self) -> list[int]:
        if not self._sizes:
            return []
        top = self.verticalScrollBar().value()
        bottom = top + self.viewport().height()
        first = max(0, bisect_right(self._tops, top) - 1)
        pages = []
        for page in range(first, len(self._sizes)):
            if self._tops[page] > bottom:
                break
            if self._tops[page] + self._sizes[page][1] * self._factor >= top:
                pages.append(page)
        return pages

    def to_page(self, pos: QPointF) -> tuple[int, float, float] | None:
        """The page under (or nearest to) a viewport position, and the position on it in points."""
        if not self._sizes:
            return None
        y = pos.y() + self.verticalScrollBar().value()
        page = max(0, min(len(self._sizes) - 1, bisect_right(self._tops, y) - 1))
        rect = self.page_rect(page)
        return page, (pos.x() - rect.left()) / self._factor, (pos.y() - rect.top()) / self._factor

    def from_page(self, page: int, x: float, y: float) -> QPointF:
        """The viewport position of the point ``(x, y)`` (points) of ``page``."""
        rect = self.page_rect(page)
        return QPointF(rect.left() + x * self._factor, rect.top() + y * self._factor)

    def _to_view(self, page_rect: QRectF, box: QRectF) -> QRectF:
        f = self._factor
        return QRectF(page_rect.left() + box.left() * f, page_rect.top() + box.top() * f,
                      box.width() * f, box.height() * f)  # fmt: skip

    # ------------------------------------------------------------------------------------- navigation
    @property
    def current_page(self) -> int:
        """The 0-based page most in sight (the one under the upper third of the view)."""
        if not self._sizes:
            return -1
        y = self.verticalScrollBar().value() + self.viewport().height() / 3
        return max(0, min(len(self._sizes) - 1, bisect_right(self._tops, y) - 1))

    def go_to_page(self, page: int, y: float = 0.0) -> None:
        """Scroll so that ``page`` (0-based), ``y`` points down it, is at the top of the view."""
        if self._sizes:
            page = max(0, min(len(self._sizes) - 1, page))
            self.verticalScrollBar().setValue(round(self._tops[page] + y * self._factor - MARGIN))

    def page_label_text(self, page: int) -> str:
        label = self._labels[page] if 0 <= page < len(self._labels) else None
        number = f"{page + 1} / {len(self._sizes)}"
        return f"{label} ({number})" if label and label != str(page + 1) else number

    def _scrolled(self) -> None:
        page = self.current_page
        if page != self._current:
            self._current = page
            if page >= 0:
                self.page_label.setText(self.page_label_text(page))
                self.page_label.adjustSize()
                self._place_label()
                self.current_page_changed.emit(page)
        self.page_label.setVisible(page >= 0)
        self.viewport().update()

    def _place_label(self) -> None:
        vp = self.viewport().geometry()
        self.page_label.move(
            vp.right() - self.page_label.width() - 10, vp.bottom() - self.page_label.height() - 10
        )

    # ------------------------------------------------------------------------------------- selection
    def selected_span(self) -> tuple[int, int] | None:
        if self._anchor is None or self._focus is None:
            return None
        start, last = sorted((self._anchor, self._focus))
        return start, last + 1

    def set_selection(self, start: int, end: int) -> None:
        """Select canonical ``start:end`` (nothing when ``end <= start``)."""
        if end > start:
            self._anchor, self._focus = start, end - 1
        else:
            self._anchor = self._focus = None
        self.viewport().update()

    def annotation_at(self, offset: int) -> Annotation | None:
        return next((a for a in self._annotations if a.start <= offset < a.end), None)

    def _offset_at(self, pos: QPointF) -> int | None:
        hit = self.to_page(pos)
        if hit is None:
            return None
        page, x, y = hit
        boxes = self._boxes.get(page)
        return boxes.nearest(x, y) if boxes is not None and boxes.offsets else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._press = event.position().toPoint()
            offset = self._offset_at(event.position())
            self._anchor = self._focus = offset
            self._dragging = offset is not None
            self.viewport().update()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            offset = self._offset_at(event.position())
            if offset is not None and offset != self._focus:
                self._focus = offset
                self.viewport().update()
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._dragging:
            super().mouseReleaseEvent(event)
            return
        self._dragging = False
        moved = (event.position().toPoint() - self._press).manhattanLength() > CLICK_SLOP
        offset = self._focus
        if not moved or offset is None:
            self._anchor = self._focus = None
            self.viewport().update()
            if offset is not None:
                self.offset_clicked.emit(offset)
                annotation = self.annotation_at(offset)
                if annotation is not None:
                    self.annotation_clicked.emit(annotation.id)
            return
        span = self.selected_span()
        if span is not None:
            self.selection_made.emit(*span)

    # ------------------------------------------------------------------------------------- events
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Home:
            self.verticalScrollBar().setValue(0)
        elif event.key() == Qt.Key.Key_End:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_requested.emit(1 if event.angleDelta().y() > 0 else -1)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout(keep_place=True)
        self._place_label()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        painter.fillRect(self.viewport().rect(), self._background)
        scale = self.device_scale()
        missing: set[int] = set()
        visible = self.visible_pages()
        for page in visible:
            rect = self.page_rect(page)
            image = self.cache.get(page_key(page, scale))
            if image is None:
                missing.add(page)
                image = self.cache.any_scale(page)
            if image is not None:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                painter.drawImage(rect, image)
            else:
                painter.fillRect(rect, QColor("white"))
                painter.setPen(QColor("#b0b0b0"))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(page + 1))
            self._paint_marks(painter, page, rect)
        if visible and visible[-1] + 1 < len(self._sizes):
            ahead = visible[-1] + 1
            if page_key(ahead, scale) not in self.cache:
                missing.add(ahead)
        painter.end()
        self._missing = missing
        if missing or any(p not in self._boxes for p in visible):
            self._request_timer.start()

    def _paint_marks(self, painter: QPainter, page: int, rect: QRectF) -> None:
        boxes = self._boxes.get(page)
        if boxes is None or not boxes.offsets:
            return
        first, last = boxes.offsets[0], boxes.offsets[-1] + 1
        painter.save()
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        for annotation in self._annotations:
            if annotation.end <= first or annotation.start >= last:
                continue
            color = QColor(self._colors.get(annotation.color, "#fff3a3"))
            for box in boxes.span(annotation.start, annotation.end):
                painter.fillRect(self._to_view(rect, box).adjusted(-1, -1, 1, 1), color)
        painter.restore()
        span = self.selected_span()
        if span is not None and span[0] < last and span[1] > first:
            for box in boxes.span(*span):
                painter.fillRect(self._to_view(rect, box), SELECTION_COLOR)

    def _request_missing(self) -> None:
        visible = self.visible_pages()
        wanted = [p for p in sorted(self._missing) if p < len(self._sizes)]
        if wanted:
            self.pages_needed.emit(wanted)
        need_boxes = [p for p in visible if p not in self._boxes]
        if need_boxes:
            self.boxes_needed.emit(need_boxes)

    def highlight_rects(self, page: int, start: int, end: int) -> list[QRectF]:
        """The viewport rectangles a highlight of ``start:end`` covers on ``page`` (for tests and tools)."""
        boxes = self._boxes.get(page)
        if boxes is None:
            return []
        rect = self.page_rect(page)
        return [self._to_view(rect, box) for box in boxes.span(start, end)]

    def drawn_annotations(self, page: int) -> list[str]:
        """The ids of the annotations drawn on ``page`` (those with boxes on it)."""
        boxes = self._boxes.get(page)
        if boxes is None:
            return []
        return [a.id for a in self._annotations if boxes.span(a.start, a.end)]
