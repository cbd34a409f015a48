"""KOReader sidecars (``book.sdr/metadata.epub.lua``, ``metadata.pdf.lua``, …), old and new layouts.

Read with :mod:`.lua_data` (as data, never run).

- **New layout** (KOReader 2024.07 and later): ``annotations[n] = {text, note, color, drawer, chapter, pos0,
  pos1, datetime, datetime_updated, page, pageno}``; an entry without ``pos0`` is a page bookmark. When
  ``annotations`` exists it is the only table read: the migration leaves the legacy tables behind, and
  reading them too would import everything twice.
- **Old layout**: ``highlight[page][n] = {text, chapter, datetime, drawer, pos0, pos1}`` and ``bookmarks[n] =
  {notes = <highlighted text>, text = <the user's note, or a generated "Page 7 … @ <datetime>">, pos0, pos1,
  datetime, page}``; a highlight's note is the ``text`` of the bookmark with the same ``datetime`` and
  ``pos0``, unless it is the generated one.
- Keys: the document's ``partial_md5_checksum`` (else its title) with ``pos0`` and ``pos1``, the same in both
  layouts, so a book imported from an old and then a new sidecar is not imported twice. Bookmarks: ``page``
  and ``datetime``.
- Times (``2023-12-22 18:17:37``) have no zone: the machine's zone is applied.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import PurePosixPath
from typing import Any

from reader.core.exchange.importers.lua_data import as_list, loads
from reader.core.exchange.importers.records import SourceBook, ToolRecord, local_time, nearest_color

_GENERATED_NOTE = re.compile(r"^Page \S+ .* @ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", re.DOTALL)


def _time(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return local_time(_dt.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S"))
    except ValueError:
        return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _book(data: dict[Any, Any], file_name: str) -> SourceBook:
    props = data.get("doc_props") if isinstance(data.get("doc_props"), dict) else {}
    assert isinstance(props, dict)
    doc_path = _text(data.get("doc_path"))
    name = PurePosixPath(doc_path).name if doc_path else ""
    if not name and file_name:
        # ``Book.sdr/metadata.epub.lua`` belongs to ``Book.epub``.
        path = PurePosixPath(file_name)
        if path.parent.name.endswith(".sdr"):
            suffix = path.name.removeprefix("metadata").removesuffix(".lua")
            name = path.parent.name.removesuffix(".sdr") + suffix
    authors = _text(props.get("authors")).replace("\n", ", ")
    return SourceBook(title=_text(props.get("title")), author=authors, file_name=name)


def _document_key(data: dict[Any, Any], book: SourceBook) -> str:
    return _text(data.get("partial_md5_checksum")) or book.title or book.file_name


def _location(entry: dict[Any, Any]) -> str:
    chapter, pageno = _text(entry.get("chapter")), entry.get("pageno")
    parts = [chapter] if chapter else []
    if isinstance(pageno, int) and not isinstance(pageno, bool):
        parts.append(f"p. {pageno}")
    return ", ".join(parts)


def _from_annotations(entries: list[Any], book: SourceBook, doc: str) -> list[ToolRecord]:
    out: list[ToolRecord] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        pos0, pos1 = entry.get("pos0"), entry.get("pos1")
        created = _time(entry.get("datetime"))
        modified = _time(entry.get("datetime_updated")) or created
        if not isinstance(pos0, str) or not isinstance(pos1, str):
            out.append(ToolRecord(
                tool="koreader", key=f"{doc}|bookmark|{entry.get('page')}|{entry.get('datetime')}",
                kind="bookmark", book=book, created=created, modified=modified, location=_location(entry),
                naive_time=created is not None,
            ))  # fmt: skip
            continue
        out.append(ToolRecord(
            tool="koreader", key=f"{doc}|{pos0}|{pos1}", kind="highlight", book=book,
            quote=_text(entry.get("text")), note=_text(entry.get("note")),
            color=nearest_color(_text(entry.get("color")) or None), created=created, modified=modified,
            location=_location(entry), via=f"koreader:{pos0}", naive_time=created is not None,
            extra={"drawer": _text(entry.get("drawer")), "pos0": pos0, "pos1": pos1},
        ))  # fmt: skip
    return out


def _from_legacy(data: dict[Any, Any], book: SourceBook, doc: str) -> list[ToolRecord]:
    bookmarks = [b for b in as_list(data.get("bookmarks")) if isinstance(b, dict)]
    by_place = {(b.get("datetime"), b.get("pos0")): b for b in bookmarks if b.get("pos0")}
    out: list[ToolRecord] = []
    pages = data.get("highlight") if isinstance(data.get("highlight"), dict) else {}
    assert isinstance(pages, dict)
    for page in sorted(pages, key=lambda k: (str(type(k)), k)):
        for entry in as_list(pages[page]):
            if not isinstance(entry, dict) or not isinstance(entry.get("pos0"), str):
                continue
            pos0, pos1 = entry["pos0"], entry.get("pos1")
            mark = by_place.get((entry.get("datetime"), pos0), {})
            note = _text(mark.get("text"))
            if _GENERATED_NOTE.match(note):
                note = ""
            created = _time(entry.get("datetime"))
            out.append(ToolRecord(
                tool="koreader", key=f"{doc}|{pos0}|{pos1}", kind="highlight", book=book,
                quote=_text(entry.get("text")) or _text(mark.get("notes")), note=note,
                color=nearest_color(_text(entry.get("color")) or None), created=created, modified=created,
                location=_location(entry), via=f"koreader:{pos0}", naive_time=created is not None,
                extra={"drawer": _text(entry.get("drawer")), "pos0": pos0, "pos1": str(pos1)},
            ))  # fmt: skip
    for mark in bookmarks:
        if mark.get("pos0") or mark.get("highlighted"):
            continue
        created = _time(mark.get("datetime"))
        out.append(ToolRecord(
            tool="koreader", key=f"{doc}|bookmark|{mark.get('page')}|{mark.get('datetime')}", kind="bookmark",
            book=book, created=created, modified=created, location=_location(mark),
            naive_time=created is not None,
        ))  # fmt: skip
    return out


def records_from_sidecar(text: str, file_name: str = "") -> list[ToolRecord]:
    """The highlights and bookmarks of one KOReader sidecar. Raises ``LuaDataError`` for a damaged file."""
    data = loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a KOReader sidecar (no table)")
    book = _book(data, file_name)
    doc = _document_key(data, book)
    if "annotations" in data:
        return _from_annotations(as_list(data["annotations"]), book, doc)
    return _from_legacy(data, book, doc)
