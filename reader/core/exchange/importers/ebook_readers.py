"""Highlights from calibre's e-book viewer and from Kobo devices.

- **calibre** viewer export ``{type: "calibre_highlights", version: 1, highlights: [...]}`` (or a list):
  ``highlighted_text``, ``notes``, ``style.which`` (colour), ``uuid`` (the key; ``via`` is
  ``urn:x-reader:calibre:<uuid>``), ``timestamp`` (both created and modified), ``removed: true`` (a deleted
  highlight: not imported), ``toc_family_titles`` for display.
- **Kobo** ``Bookmark`` rows (``Text``, ``Annotation``, ``Color`` 0-3 = yellow, pink, blue, green,
  ``BookmarkID``, ``ContentID`` = "<book path>!<spine file>", ``DateCreated``/``DateModified``), as JSON rows,
  or as the ``{kobo: …, expected: …}`` pairs of kobo2calibre's test data. Kobo span paths are not portable
  between conversions; the quote anchors.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import Any

from reader.core.exchange.importers.records import SourceBook, ToolRecord, nearest_color, parse_iso

KOBO_COLORS = {0: "yellow", 1: "pink", 2: "blue", 3: "green"}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def records_from_calibre(data: object, book: SourceBook | None = None) -> list[ToolRecord]:
    """The highlights of a calibre viewer export (deleted ones left out)."""
    items = data.get("highlights") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError("not a calibre highlights export: no highlights")
    out: list[ToolRecord] = []
    for item in items:
        if not isinstance(item, dict) or item.get("removed") or item.get("type", "highlight") != "highlight":
            continue
        quote = _text(item.get("highlighted_text"))
        ident = _text(item.get("uuid"))
        if not quote or not ident:
            continue
        style = item.get("style") if isinstance(item.get("style"), dict) else {}
        assert isinstance(style, dict)
        when = parse_iso(item.get("timestamp"))
        titles = [t for t in item.get("toc_family_titles") or [] if isinstance(t, str)]
        out.append(ToolRecord(
            tool="calibre", key=ident, kind="highlight", book=book or SourceBook(), quote=quote,
            note=_text(item.get("notes")), color=nearest_color(_text(style.get("which")) or None),
            created=when, modified=when, location=" › ".join(titles), via=f"urn:x-reader:calibre:{ident}",
        ))  # fmt: skip
    return out


def _kobo_book(content_id: str) -> SourceBook:
    """``/mnt/onboard/Author/Title - Author.kepub.epub!OEBPS!chapter.xhtml`` → the book's file name."""
    path = content_id.split("!", 1)[0]
    name = PurePosixPath(path).name
    stem = name
    for suffix in (".kepub.epub", ".epub", ".kepub", ".pdf"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    parts = stem.split(" - ")
    title = parts[0].replace(" _ ", ": ").strip()
    author = parts[-1].strip() if len(parts) > 1 else ""
    return SourceBook(title=title, author=author, file_name=name)


def records_from_kobo(data: object) -> list[ToolRecord]:
    """Kobo ``Bookmark`` rows (or kobo2calibre's ``{kobo, expected}`` pairs) with a highlighted text."""
    if not isinstance(data, list):
        raise ValueError("not a Kobo bookmark export: expected a list of rows")
    out: list[ToolRecord] = []
    for item in data:
        row: Any = item.get("kobo") if isinstance(item, dict) and isinstance(item.get("kobo"), dict) else item
        if not isinstance(row, dict):
            continue
        quote = _text(row.get("Text"))
        if not quote:
            continue
        content = _text(row.get("ContentID"))
        # Without a BookmarkID: the book, the spine file and the text (span paths differ between conversions).
        spine = content.rsplit("!", 1)[-1]
        ident = (
            _text(row.get("BookmarkID"))
            or hashlib.sha256(
                f"{_kobo_book(content).title}|{spine}|{' '.join(quote.split())}".encode()
            ).hexdigest()[:32]
        )
        color = row.get("Color")
        created = parse_iso(row.get("DateCreated"))
        out.append(ToolRecord(
            tool="kobo", key=ident, kind="highlight", book=_kobo_book(content), quote=quote,
            note=_text(row.get("Annotation")),
            color=KOBO_COLORS.get(color, "yellow") if isinstance(color, int) else "yellow",
            created=created, modified=parse_iso(row.get("DateModified")) or created,
            location=content.rsplit("!", 1)[-1], via=f"urn:uuid:{ident}" if row.get("BookmarkID") else "",
        ))  # fmt: skip
    return out
