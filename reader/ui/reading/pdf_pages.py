"""A PDF's pages for the page view: sizes, rendered images and the character boxes of the canonical text.

:class:`PdfPages` keeps one PDFium document open for the page view of one article. Every PDFium call holds
:data:`~reader.core.articles.pdf.PDFIUM_LOCK` (PDFium is not thread-safe, and the library scan uses it from
other threads), and every method but the trivial accessors is meant to run off the GUI thread: the page view
controller runs them through the window's :class:`~reader.ui.workers.TaskRunner`. A rendered page is a
``QImage`` (safe to make on any thread), never a ``QPixmap``.

Geometry: sizes are in PDF points of the page's crop box (what a viewer shows), with the origin at its top
left; character boxes are moved into the same frame (PDFium gives them in page space, lower left origin,
which for a book with printer's bleed is not the crop box's corner). Rotated pages are shown rotated, but
their boxes are not rotated (a known limit, like the text's).

Offsets: :func:`~reader.core.articles.pdf.offset_map` of :func:`~reader.core.articles.pdf.pdf_text` gives the
canonical offset of every character with its page and PDFium character index, the same offsets the loader's
article text has; the character index gives the box.

Encrypted files: :func:`unlock_pdf` opens one with a password and returns the article read from a decrypted
copy held in memory only (nothing is written, the password is not kept).
"""

from __future__ import annotations

import io
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage

from reader.core.articles.loader import article_from_bytes, relpath_of
from reader.core.articles.pdf import PDFIUM_LOCK, PdfText, offset_map, open_pdf, pdf_text
from reader.core.errors import ArticleReadError
from reader.core.models import Article

#: Pixels a rendered page may have at most (a 10x zoom of a poster must not take gigabytes).
MAX_RENDER_PIXELS = 40_000_000


@dataclass(frozen=True, slots=True)
class PageBoxes:
    """The characters of one page that are in the canonical text: offsets ascending, and their boxes
    (``QRectF`` in points, crop box frame, top left origin)."""

    offsets: list[int]
    boxes: list[QRectF]

    def span(self, start: int, end: int) -> list[QRectF]:
        """The boxes of the offsets in ``start:end``, merged into one rectangle per run on a line."""
        i, j = bisect_left(self.offsets, start), bisect_left(self.offsets, end)
        return merge_line_boxes(self.boxes[i:j])

    def nearest(self, x: float, y: float) -> int | None:
        """The canonical offset of the character at or nearest to the point (points), or ``None``."""
        best: tuple[float, int] | None = None
        for offset, box in zip(self.offsets, self.boxes, strict=True):
            dx = max(box.left() - x, 0.0, x - box.right())
            dy = max(box.top() - y, 0.0, y - box.bottom())
            distance = dx + 4 * dy  # a point between lines belongs to the line it is on, not the next word
            if best is None or distance < best[0]:
                best = (distance, offset)
                if distance == 0:
                    break
        return best[1] if best is not None else None


def merge_line_boxes(boxes: list[QRectF]) -> list[QRectF]:
    """Consecutive character boxes on the same line become one rectangle (drawn as one highlight)."""
    merged: list[QRectF] = []
    for box in boxes:
        if box.isEmpty() and box.width() <= 0:
            continue
        last = merged[-1] if merged else None
        if (
            last is not None
            and abs(box.center().y() - last.center().y()) < 0.5 * max(last.height(), box.height(), 1.0)
            and box.left() >= last.left() - 1.0
            and box.left() - last.right() < 3 * max(box.height(), 1.0)
        ):
            merged[-1] = last.united(box)
        else:
            merged.append(QRectF(box))
    return merged


class PdfPages:
    """One open PDF: page count and sizes at once, rendering and character boxes on request."""

    def __init__(self, data: bytes, name: str, password: str | None = None) -> None:
        self._data = data
        self._name = name
        self._password = password
        self._text: PdfText | None = None
        self._by_page: dict[int, list[tuple[int, int]]] = {}
        with PDFIUM_LOCK:
            try:
                self._doc = pdfium.PdfDocument(data, password=password)
            except pdfium.PdfiumError as exc:
                raise ArticleReadError(name, f"cannot be shown as pages ({exc})") from exc
            count = len(self._doc)
            #: Each page's (width, height) in points, as shown (crop box, rotation applied).
            self.sizes: list[tuple[float, float]] = [tuple(self._doc.get_page_size(i)) for i in range(count)]
            #: Each page's label (``xii``) where the PDF has labels, else ``None``.
            self.labels: list[str | None] = [self._doc.get_page_label(i) or None for i in range(count)]

    @classmethod
    def open(cls, path: Path, password: str | None = None, data: bytes | None = None) -> PdfPages:
        """Read ``path`` (or use ``data``, its bytes) and open it; raises :class:`ArticleReadError`."""
        path = Path(path)
        if data is None:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ArticleReadError(path.name, f"cannot be read ({exc.strerror or exc})") from exc
        return cls(data, path.name, password)

    @property
    def count(self) -> int:
        return len(self.sizes)

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._doc.close()

    # ------------------------------------------------------------------------------------- rendering
    def render(self, page: int, scale: float) -> QImage:
        """Page ``page`` (0-based) at ``scale`` device pixels per point, as an opaque ``QImage``."""
        width, height = self.sizes[page]
        if width * height * scale * scale > MAX_RENDER_PIXELS:
            scale = (MAX_RENDER_PIXELS / max(width * height, 1.0)) ** 0.5
        with PDFIUM_LOCK:
            pdf_page = self._doc[page]
            try:
                bitmap = pdf_page.render(scale=scale, prefer_bgrx=True, rev_byteorder=True)
                try:
                    fmt = (
                        QImage.Format.Format_RGBX8888
                        if bitmap.n_channels == 4
                        else QImage.Format.Format_RGB888
                    )
                    image = QImage(
                        bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, fmt
                    ).copy()
                finally:
                    bitmap.close()
            finally:
                pdf_page.close()
        return image

    # ------------------------------------------------------------------------------------- text boxes
    @property
    def text_ready(self) -> bool:
        return self._text is not None

    def load_text(self) -> None:
        """Extract the canonical text's character map (the whole document: run it in the background)."""
        if self._text is not None:
            return
        text = pdf_text(self._data, self._name, self._password)
        by_page: dict[int, list[tuple[int, int]]] = {}
        for offset, number, index in offset_map(text):
            by_page.setdefault(number - 1, []).append((offset, index))
        self._by_page = by_page
        self._text = text

    def char_boxes(self, page: int) -> PageBoxes:
        """The boxes of page ``page`` (0-based) for the canonical offsets on it (:meth:`load_text` first)."""
        self.load_text()
        wanted = sorted(self._by_page.get(page, []))
        offsets: list[int] = []
        boxes: list[QRectF] = []
        with PDFIUM_LOCK:
            pdf_page = self._doc[page]
            textpage = pdf_page.get_textpage()
            try:
                crop_left, _bottom, _right, crop_top = pdf_page.get_cropbox()
                for offset, index in wanted:
                    left, bottom, right, top = textpage.get_charbox(index)
                    offsets.append(offset)
                    boxes.append(QRectF(left - crop_left, crop_top - top, right - left, top - bottom))
            finally:
                textpage.close()
                pdf_page.close()
        return PageBoxes(offsets, boxes)


def unlock_pdf(path: Path, root: Path | None, password: str) -> tuple[Article, bytes]:
    """The article of the encrypted PDF ``path`` opened with ``password``, and its decrypted bytes (held in
    memory only, for the page view). Raises :class:`~reader.core.articles.pdf.PdfPasswordError` for a wrong
    password, :class:`ArticleReadError` for anything else."""
    path = Path(path)
    rel = relpath_of(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleReadError(rel, f"cannot be read ({exc.strerror or exc})") from exc
    buffer = io.BytesIO()
    with open_pdf(data, rel, password) as doc:
        doc.save(buffer, flags=pdfium_c.FPDF_REMOVE_SECURITY)
    decrypted = buffer.getvalue()
    return article_from_bytes(decrypted, path, rel), decrypted
