"""Highlights from web services: Hypothesis (API search results and the client's JSON export) and Readwise
(API v2 export pages, single highlights, and the CSV export in all its header versions).

- **Hypothesis**: the quote and its context from the ``TextQuoteSelector``; a ``TextPositionSelector`` is
  kept as a hint only (positions in the annotated page, not in our text); the Annotator-style
  ``RangeSelector`` is not needed once the quote anchors. The note is Markdown; tags as given; the page's
  ``uri`` and title identify the article. ``via`` is the annotation's ``https://hypothes.is/a/<id>``.
- **Readwise**: each book's ``title``/``author``/``source_url`` identify the article; highlight ``text``,
  ``note``, ``color``, ``tags[].name`` (the ``favorite``/``discard`` tags mirror two booleans and are kept as
  tags), ``highlighted_at`` else ``created_at`` for ``created``, ``updated_at`` (``updated`` on the
  single-highlight endpoint) for ``modified``. ``via`` is ``readwise_url``.
- **Readwise CSV**: ``Highlight,Book Title,Book Author,Amazon Book ID,Note,Color,Tags,Location Type,Location``
  (2019), ``…,Highlighted at`` (2020), ``…,Highlighted at,Document tags`` (current). No ids: the key is the
  book, the location and the text.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reader.core.exchange.importers.records import (
    SourceBook,
    ToolRecord,
    nearest_color,
    normalize_space,
    parse_iso,
)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


# -------------------------------------------------------------------------------------------- Hypothesis


def _hypothesis_row(row: dict[str, Any]) -> ToolRecord | None:
    ident = _text(row.get("id"))
    if not ident:
        return None
    quote = prefix = suffix = ""
    position: tuple[int, int] | None = None
    source = _text(row.get("uri"))
    targets = row.get("target")
    for target in targets if isinstance(targets, list) else []:
        if not isinstance(target, dict):
            continue
        source = source or _text(target.get("source"))
        for selector in target.get("selector") or []:
            if not isinstance(selector, dict):
                continue
            if selector.get("type") == "TextQuoteSelector":
                quote = str(selector.get("exact") or "")
                prefix, suffix = str(selector.get("prefix") or ""), str(selector.get("suffix") or "")
            elif selector.get("type") == "TextPositionSelector":
                start, end = selector.get("start"), selector.get("end")
                if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end:
                    position = (start, end)
    document = row.get("document") if isinstance(row.get("document"), dict) else {}
    titles = document.get("title") if isinstance(document, dict) else None
    title = _text(titles[0]) if isinstance(titles, list) and titles else _text(titles)
    tags = tuple(t for t in (_text(tag) for tag in row.get("tags") or []) if t)
    created = parse_iso(row.get("created"))
    return ToolRecord(
        tool="hypothesis", key=ident, kind="highlight" if quote.strip() else "note",
        book=SourceBook(title=title, url=source), quote=quote.strip(), note=_text(row.get("text")), tags=tags,
        created=created, modified=parse_iso(row.get("updated")) or created, prefix=prefix, suffix=suffix,
        position=position, location=source, via=f"https://hypothes.is/a/{ident}",
    )  # fmt: skip


def records_from_hypothesis(data: object) -> list[ToolRecord]:
    """Rows of an API search response ``{total, rows}``, an export ``{annotations}``, a list or one row."""
    rows = data.get("rows", data.get("annotations", [data])) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValueError("not a Hypothesis export: no annotation rows")
    records = [_hypothesis_row(row) for row in rows if isinstance(row, dict)]
    return [r for r in records if r is not None]


# ----------------------------------------------------------------------------------------------- Readwise


def _readwise_highlight(item: dict[str, Any], book: SourceBook) -> ToolRecord | None:
    ident = item.get("id")
    text = _text(item.get("text"))
    if ident is None or not text:
        return None
    tags = tuple(
        t for t in (_text(tag.get("name")) for tag in item.get("tags") or [] if isinstance(tag, dict)) if t
    )
    location = item.get("location")
    kind = _text(item.get("location_type"))
    where = f"{kind} {location}" if location not in (None, "") and kind != "order" else ""
    created = parse_iso(item.get("highlighted_at")) or parse_iso(item.get("created_at"))
    modified = parse_iso(item.get("updated_at")) or parse_iso(item.get("updated")) or created
    url = _text(item.get("url")) or book.url
    return ToolRecord(
        tool="readwise", key=str(ident), kind="highlight", book=SourceBook(book.title, book.author, url),
        quote=text, note=_text(item.get("note")), tags=tags,
        color=nearest_color(_text(item.get("color")) or None),
        created=created, modified=modified, location=where,
        via=_text(item.get("readwise_url")) or f"https://readwise.io/open/{ident}",
    )  # fmt: skip


def records_from_readwise(data: object) -> list[ToolRecord]:
    """An export page ``{results: [book]}``, a list of books, or one highlight (``book_id``, no title)."""
    books: list[Any]
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        books = data["results"]
    elif isinstance(data, list):
        books = data
    elif isinstance(data, dict) and "num_highlights" in data:
        return []  # a book's details (``GET /api/v2/books/{id}/``): no highlights in it
    elif isinstance(data, dict) and "text" in data and "book_id" in data:
        return [
            r for r in [_readwise_highlight(data, SourceBook(title=f"Readwise book {data['book_id']}"))] if r
        ]
    else:
        raise ValueError("not a Readwise export: no results")
    out: list[ToolRecord] = []
    for book in books:
        if not isinstance(book, dict):
            continue
        source = SourceBook(
            title=_text(book.get("readable_title")) or _text(book.get("title")),
            author=_text(book.get("author")),
            url=_text(book.get("source_url")) or _text(book.get("unique_url")),
        )
        for item in book.get("highlights") or []:
            if isinstance(item, dict):
                record = _readwise_highlight(item, source)
                if record is not None:
                    out.append(record)
    return out


READWISE_CSV_COLUMNS = ("Highlight", "Book Title", "Book Author")


def records_from_readwise_csv(text: str) -> list[ToolRecord]:
    """Rows of a Readwise CSV export (any of its header versions)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    if not all(column in header for column in READWISE_CSV_COLUMNS):
        raise ValueError(f"not a Readwise CSV export: the header lacks {', '.join(READWISE_CSV_COLUMNS)}")
    out: list[ToolRecord] = []
    for row in reader:
        quote = _text(row.get("Highlight"))
        if not quote:
            continue
        book = SourceBook(title=_text(row.get("Book Title")), author=_text(row.get("Book Author")))
        location = " ".join(v for v in (_text(row.get("Location Type")), _text(row.get("Location"))) if v)
        tags = [t.strip() for t in _text(row.get("Tags")).split(",") if t.strip()]
        tags += [t.strip() for t in _text(row.get("Document tags")).split(",") if t.strip()]
        created = parse_iso(_text(row.get("Highlighted at")).replace(" ", "T", 1))
        out.append(ToolRecord(
            tool="readwise", key=f"csv|{book.title}|{book.author}|{location}|{normalize_space(quote)}",
            kind="highlight", book=book, quote=quote, note=_text(row.get("Note")),
            tags=tuple(dict.fromkeys(tags)),
            color=nearest_color(_text(row.get("Color")) or None), created=created, modified=created,
            location=location,
        ))  # fmt: skip
    return out
