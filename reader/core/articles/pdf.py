"""PDF articles with pypdfium2 (PDFium): canonical text, page of every block, metadata, character boxes.

Why PDFium: measured on papers and a book with hand-corrected text (issue 14), pypdfium2 scores a word F1 of
0.975 at 5-8 ms a page, pypdf 0.979 at 60-185 ms, pdfminer.six 0.957 at 160-357 ms; its licence
(Apache-2.0/BSD) suits the app. Its limits, handled here: **PDFium is not thread-safe**, so every call goes
through :data:`PDFIUM_LOCK`; its text carries CRLF line ends and U+0002/U+FFFE soft-hyphen markers, which
:mod:`.pdf_layout` turns into paragraphs. Known limits, not handled: Arabic lam-alef ligatures come out
decomposed in the wrong order; vertical Japanese comes out one character or column per line, not in
right-to-left column order; rotated pages are read in their unrotated coordinates.

Text: each page's lines (PDFium's line breaks, one box per line from its text rectangles, the size from the
loose box of a character) -> running heads dropped across pages -> reading order -> paragraphs, each block
tagged with its page and page label (:mod:`.pdf_layout` has the rules).

Metadata: title, author and date from the document information dictionary, then XMP (``dc:title``,
``dc:creator``, ``xmp:CreateDate``), then page 1 (the title is the largest text in its upper part; the block
below it names the authors); a DOI or arXiv id on the first :data:`ID_PAGES` pages is kept.

Refused, each with a one-line reason (a scan is never stopped): no text layer (``no text layer (scanned;
needs OCR)``), a text layer without letters, a password (``encrypted (needs a password)``; an *empty* user
password opens without asking), a damaged or truncated file, more than :data:`MAX_PAGES` pages.

Mapping to the page (for highlights drawn on rendered pages): :func:`pdf_text` returns, with the blocks, the
PDFium character index of every character of each block's text (``-1`` for a space made from a line
break); since blocks are joined with ``"\\n\\n"`` in order, canonical offset ``block.start + j`` is the
block's ``j``-th character. :func:`pdf_char_boxes` turns that into ``(offset, box)`` for one page.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import logging
import re
import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

from reader.core.articles.blocks import RawBlock
from reader.core.articles.pdf_layout import (
    Line,
    TextBlock,
    clean_chars,
    merge_continuations,
    page_blocks,
    resolve_hyphens,
)
from reader.core.articles.pdf_meta import find_ids, page_one_author, valid_author, valid_title, xmp_fields
from reader.core.articles.pdf_order import drop_running_heads, reading_order
from reader.core.errors import ArticleReadError

log = logging.getLogger(__name__)

#: PDFium is not thread-safe: every use of pypdfium2 holds this lock (re-entrant).
PDFIUM_LOCK = threading.RLock()
#: Documents with more pages are refused (reading 2,000 pages takes ~10-15 s).
MAX_PAGES = 2000
#: Characters read from one page at most (a page of vector junk must not stall the scan).
MAX_PAGE_CHARS = 200_000
#: Outline (bookmark) entries read at most, and how deep.
MAX_OUTLINE = 2000
OUTLINE_DEPTH = 4
#: Pages searched for a DOI or arXiv id.
ID_PAGES = 2
#: A block this much larger than the body text is a heading; on page 1, the largest one is the title.
HEADING_SIZE = 1.15
TITLE_SIZE = 1.12
#: Characters of a line whose loose boxes give its text size (the median: subscripts and symbols vary).
SIZE_SAMPLES = 5
NO_TEXT = "no text layer (scanned; needs OCR)"
NO_LETTERS = "no readable text (its fonts do not map glyphs to characters)"
ENCRYPTED = "encrypted (needs a password)"

_ERRORS = {1: "unknown error", 2: "cannot be opened", 3: "damaged or not a PDF",
           5: "unsupported security handler", 6: "damaged (a page cannot be read)"}  # fmt: skip


_LINE_END_RE = re.compile("[\r\n\x02\ufffe]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_NUMBERED_RE = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+[A-Z][a-z]")


class PdfPasswordError(ArticleReadError):
    """The PDF needs a password (the window asks for one; it is never stored)."""


@dataclass(slots=True)
class PdfText:
    """A PDF's blocks in reading order (``index``: the PDFium char index of each character) and metadata."""

    blocks: list[TextBlock]
    page_labels: list[str | None]
    meta: dict[str, Any] = field(default_factory=dict)
    pages: int = 0
    #: The document outline (bookmarks) as ``(title, 0-based page)``, in order.
    outline: list[tuple[str, int]] = field(default_factory=list)


@contextmanager
def open_pdf(data: bytes, rel: str, password: str | None = None) -> Iterator[Any]:
    """The PDFium document for ``data``, with :data:`PDFIUM_LOCK` held; raises :class:`ArticleReadError`."""
    with PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data, password=password)
        except pdfium.PdfiumError as exc:
            code = getattr(exc, "err_code", None)
            if code == 4:
                reason = ENCRYPTED if not password else "encrypted (wrong password)"
                raise PdfPasswordError(rel, reason) from exc
            raise ArticleReadError(
                rel, f"{_ERRORS.get(code or 1, 'damaged')} (PDFium: {_detail(exc)})"
            ) from exc
        try:
            yield doc
        finally:
            doc.close()


def _detail(exc: BaseException) -> str:
    m = re.search(r"PDFium: ([^)]+)", str(exc))
    return m.group(1) if m else str(exc).splitlines()[0][:120]


def page_chars(textpage: Any) -> str:
    """The page's characters, one per PDFium char index (``\\x00`` where a glyph maps to none)."""
    raw = textpage.raw
    count = min(pdfium_c.FPDFText_CountChars(raw), MAX_PAGE_CHARS)
    text = textpage.get_text_range(0, count) if count else ""
    # One call is ~10x faster than one per character; it agrees with them unless PDFium dropped a
    # character without Unicode or the page has characters outside the BMP (UTF-16 pairs).
    if len(text) == count and not _SURROGATE_RE.search(text):
        return str(text)
    return "".join(chr(min(pdfium_c.FPDFText_GetUnicode(raw, i), 0x10FFFF)) for i in range(count))


def _page_lines(textpage: Any) -> list[Line]:
    """The text lines of a page, split at PDFium's line breaks, each with its box and text size."""
    raw = textpage.raw
    chars = page_chars(textpage)
    lines: list[Line] = []
    rect = pdfium_c.FS_RECTF()
    left, bottom, right, top = (ctypes.c_double() for _ in range(4))
    start = 0
    for m in [*_LINE_END_RE.finditer(chars), None]:
        i = m.start() if m else len(chars)
        end = i + 1 if m and m.group() in "\x02\ufffe" else i  # a soft hyphen ends its line
        if end > start:
            text, index = clean_chars(chars[start:end], start)
            if text.strip():
                n_rects = pdfium_c.FPDFText_CountRects(raw, start, end - start)
                boxes = []
                for k in range(n_rects):
                    if pdfium_c.FPDFText_GetRect(raw, k, left, top, right, bottom):
                        boxes.append((left.value, bottom.value, right.value, top.value))
                if boxes:
                    samples = index[:: max(1, len(index) // SIZE_SAMPLES)][:SIZE_SAMPLES]
                    heights = [
                        abs(rect.top - rect.bottom)
                        for j in samples
                        if chars[j] > " " and pdfium_c.FPDFText_GetLooseCharBox(raw, j, rect)
                    ]
                    size = statistics.median(heights) if heights else 0.0
                    x0 = min(b[0] for b in boxes)
                    y0 = min(b[1] for b in boxes)
                    x1 = max(b[2] for b in boxes)
                    y1 = max(b[3] for b in boxes)
                    lines.append(Line(text, index, x0, y0, x1, y1, size or max(y1 - y0, 1.0)))
        start = max(end, i + 1)
    return lines


def _visible(lines: list[Line], left: float, bottom: float, right: float, top: float) -> list[Line]:
    """The lines whose middle is inside the page's visible area (crop box), moved so that its lower left
    corner is the origin. Text outside it is not shown by any viewer: printers' line numbers and job slugs
    in the bleed (the 352-page book numbers every line of every page out there)."""
    out = []
    for ln in lines:
        if left <= (ln.x0 + ln.x1) / 2 <= right and bottom <= (ln.y0 + ln.y1) / 2 <= top:
            if left or bottom:
                ln.x0, ln.x1, ln.y0, ln.y1 = ln.x0 - left, ln.x1 - left, ln.y0 - bottom, ln.y1 - bottom
            out.append(ln)
    return out


def pdf_text(data: bytes, rel: str, password: str | None = None) -> PdfText:
    """Blocks and metadata of the PDF ``data`` (module docstring). Raises :class:`ArticleReadError`."""
    with open_pdf(data, rel, password) as doc:
        pages = len(doc)
        if pages > MAX_PAGES:
            raise ArticleReadError(rel, f"too many pages ({pages}; the limit is {MAX_PAGES})")
        if pages == 0:
            raise ArticleReadError(rel, "damaged or not a PDF (no pages)")
        all_lines: list[list[Line]] = []
        heights: list[float] = []
        labels: list[str | None] = []
        for number in range(pages):
            page = doc[number]
            try:
                textpage = page.get_textpage()
                try:
                    left, bottom, right, top = page.get_cropbox()
                    all_lines.append(_visible(_page_lines(textpage), left, bottom, right, top))
                finally:
                    textpage.close()
                heights.append(top - bottom)
            finally:
                page.close()
            labels.append(doc.get_page_label(number) or None)
        info = doc.get_metadata_dict(skip_empty=True)
        outline = _outline(doc)
    chars = sum(len(ln.text.strip()) for lines in all_lines for ln in lines)
    if chars == 0:
        raise ArticleReadError(rel, NO_TEXT)
    if not any(ch.isalpha() for lines in all_lines for ln in lines for ch in ln.text):
        raise ArticleReadError(rel, NO_LETTERS)
    kept = drop_running_heads(all_lines, heights)
    blocks: list[TextBlock] = []
    for number, lines in enumerate(kept):
        blocks.extend(page_blocks(reading_order(lines), number))
    _mark_headings(blocks)
    blocks = merge_continuations(blocks)
    resolve_hyphens(blocks)
    meta = _metadata(info, data, blocks)
    return PdfText(blocks, labels, meta, pages, outline)


def _outline(doc: Any) -> list[tuple[str, int]]:
    """The bookmarks (at most :data:`MAX_OUTLINE`, :data:`OUTLINE_DEPTH` levels) with their target pages."""
    out: list[tuple[str, int]] = []
    try:
        for item in doc.get_toc(max_depth=OUTLINE_DEPTH):
            dest = item.get_dest()
            page = dest.get_index() if dest is not None else None
            title = " ".join(str(item.get_title() or "").split())
            if title and page is not None and page >= 0:
                out.append((title, int(page)))
            if len(out) >= MAX_OUTLINE:
                break
    except pdfium.PdfiumError:
        log.info("unreadable outline", exc_info=True)
    return out


def _body_size(blocks: list[TextBlock]) -> float:
    sizes = [b.size for b in blocks for _ in range(min(len(b.text) // 20 + 1, 50))]
    return statistics.median(sizes) if sizes else 10.0


def _mark_headings(blocks: list[TextBlock]) -> None:
    """Large short blocks become headings; the largest text in the upper part of page 1 is the title."""
    if not blocks:
        return
    body = _body_size(blocks)
    for block in blocks:
        if block.size >= HEADING_SIZE * body and block.lines <= 3 and len(block.text) <= 200:
            block.kind, block.level = "heading", 2
        elif _numbered_heading(block):
            block.kind, block.level = "heading", 3 if re.match(r"^\d+\.\d", block.text) else 2
    first = [b for b in blocks if b.page == 0 and b.lines <= 4 and len(b.text) <= 300]
    if first:
        title = max(first, key=lambda b: (b.size, -blocks.index(b)))
        if title.size >= TITLE_SIZE * body:
            title.kind, title.level = "heading", 1


def _numbered_heading(block: TextBlock) -> bool:
    """A one-line ``2.1 Node Types`` (not a sentence, not a table row of numbers)."""
    text = block.text
    short = block.lines == 1 and len(text) <= 80
    return (
        short
        and bool(_NUMBERED_RE.match(text))
        and not text.endswith(".")
        and not re.search(r"\d\s+\d", text)
    )


def _pdf_date(value: str | None) -> str | None:
    m = re.match(r"^(?:D:)?((?:19|20)\d\d)-?(\d\d)?-?(\d\d)?", (value or "").strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        return _dt.date(year, month, day).isoformat() if m.group(3) else f"{year:04d}"
    except ValueError:
        return f"{year:04d}"


def _metadata(info: dict[str, str], data: bytes, blocks: list[TextBlock]) -> dict[str, Any]:
    xmp = xmp_fields(data)
    meta: dict[str, Any] = {}
    title = next((t for t in (info.get("Title"), xmp.get("title")) if valid_title(t)), None)
    title_block = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
    if title is None and title_block is not None:
        title = " ".join(title_block.text.split())
    if title:
        meta["title"] = " ".join(title.split())
    author = next((a for a in (info.get("Author"), xmp.get("author")) if valid_author(a)), None)
    if author is None and title_block is not None:
        author = page_one_author(blocks, blocks.index(title_block))
    if author:
        meta["author"] = re.sub(r"\s*;\s*", ", ", " ".join(author.split()))
    date = _pdf_date(xmp.get("date")) or _pdf_date(info.get("CreationDate"))
    if date:
        meta["date"] = date
    early = "\n".join(b.text for b in blocks if b.page < ID_PAGES)
    meta.update(
        find_ids(" ".join([info.get("Subject", ""), info.get("Keywords", ""), xmp.get("doi", ""), early]))
    )
    return meta


def offset_map(text: PdfText) -> Iterator[tuple[int, int, int]]:
    """``(canonical offset, 1-based page, PDFium char index)`` of every character of ``text``'s blocks that
    came from the page (spaces made from line breaks are left out), in canonical order.

    A ligature expanded to several characters maps each of them to the ligature's char index; a character
    composed by NFC maps to its first source character.
    """
    for start, block in zip(block_offsets(text.blocks), text.blocks, strict=True):
        if block.page_breaks:
            for j, char_index in enumerate(block.index):
                if char_index >= 0:
                    yield start + j, block.page_at(j) + 1, char_index
        else:
            yield from ((start + j, block.page + 1, i) for j, i in enumerate(block.index) if i >= 0)


def pdf_char_boxes(
    path: Path, page: int, password: str | None = None, text: PdfText | None = None
) -> list[tuple[int, tuple[float, ...]]]:
    """``(canonical offset, (left, bottom, right, top))`` of every character of 1-based ``page`` that is in
    the canonical text (PDF points, origin at the page's lower left), in canonical order: what the page view
    needs to draw a highlight ``start:end`` over its words (the boxes of the offsets inside it), and to turn
    a selection of boxes on the page back into canonical offsets.

    The offsets are those of :func:`reader.core.articles.loader.load_article`'s text for the same file (the
    blocks are assembled the same way, see :func:`offset_map`). Pass ``text`` (:func:`pdf_text` of the same
    bytes, kept by the caller) to avoid extracting the whole document again for every page.
    """
    data = Path(path).read_bytes()
    if text is None:
        text = pdf_text(data, Path(path).name, password)
    wanted = [(offset, index) for offset, number, index in offset_map(text) if number == page]
    out: list[tuple[int, tuple[float, ...]]] = []
    with open_pdf(data, Path(path).name, password) as doc:
        pdf_page = doc[page - 1]
        textpage = pdf_page.get_textpage()
        try:
            out = [(offset, tuple(textpage.get_charbox(index))) for offset, index in wanted]
        finally:
            textpage.close()
            pdf_page.close()
    return out


def block_offsets(blocks: list[TextBlock]) -> list[int]:
    """The canonical offset of each block's first character (blocks joined with ``"\\n\\n"``)."""
    offsets: list[int] = []
    pos = 0
    for block in blocks:
        offsets.append(pos)
        pos += len(block.text) + 2
    return offsets


def pdf_raw_blocks(
    data: bytes, rel: str
) -> tuple[list[RawBlock], dict[str, Any], dict[str, Any], list[tuple[str, int]]]:
    """The loader's view: blocks tagged with their page, explicit metadata, ``doi``/``arxiv``, and the
    outline as ``(title, index of the first block on or after its page)``."""
    text = pdf_text(data, rel)
    raw = [
        RawBlock(
            b.kind,  # type: ignore[arg-type]
            b.text,
            b.level,
            page=b.page + 1,
            page_label=text.page_labels[b.page] if b.page < len(text.page_labels) else None,
        )
        for b in text.blocks
    ]
    explicit = {k: v for k, v in text.meta.items() if k in ("title", "author", "date")}
    extra = {k: v for k, v in text.meta.items() if k in ("doi", "arxiv")}
    toc: list[tuple[str, int]] = []
    for title, page in text.outline:
        at = next((i for i, b in enumerate(text.blocks) if b.page >= page), None)
        if at is not None:
            toc.append((title, at))
    return raw, explicit, extra, toc
