"""CSV export: one row per annotation, for spreadsheets.

Format: the columns of :data:`CSV_COLUMNS` (a header row first), UTF-8 (with a byte-order mark when asked,
so that spreadsheet programs detect the encoding), CRLF line ends, tags joined by ``"; "``. Formula
injection guard: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe (``'``), so spreadsheet programs show it as text instead of evaluating it.

The ``status`` column is the anchoring status: ``anchored``, ``moved`` (found exactly, elsewhere),
``fuzzy`` (an approximate match: the passage changed since the note was made) or ``orphaned`` (the passage
was not found in the current text). ``location`` is ``p. 12`` for a PDF (its page label where it has
labels), the chapter for an EPUB, empty otherwise and for orphans; ``link`` opens the reader at the
highlight (``research-reader://open?…``); ``color_label`` is what the colour means in the library. There
are no offset columns, so an orphan's last known position is never presented as a position in the
current text.
"""

from __future__ import annotations

import csv as _csv
import io
from collections.abc import Sequence

from reader.core.exchange.presentation import annotation_link, color_label, location_label
from reader.core.exchange.selection import ExportItem

CSV_COLUMNS: tuple[str, ...] = (
    "article",
    "path",
    "quote",
    "note",
    "color",
    "color_label",
    "tags",
    "created",
    "modified",
    "status",
    "location",
    "link",
    "id",
)
CSV_TAG_SEPARATOR = "; "
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """``value`` guarded against formula injection (a leading ``'`` before ``= + - @``, tab or CR)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def render_csv(items: Sequence[ExportItem], *, bom: bool = False) -> bytes:
    """One row per annotation (columns :data:`CSV_COLUMNS`), UTF-8 (with a BOM when ``bom``), CRLF rows."""
    buffer = io.StringIO(newline="")
    writer = _csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        for a in item.annotations:
            row = [
                item.article.meta.title,
                item.article.relpath,
                a.exact,
                a.note,
                a.color,
                color_label(item.article, a.color),
                CSV_TAG_SEPARATOR.join(a.tags),
                a.created,
                a.modified,
                a.status,
                location_label(item.article, a),
                annotation_link(item.article, a),
                a.id,
            ]
            writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")
