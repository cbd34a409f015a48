"""Kindle ``My Clippings.txt``: highlights, notes and bookmarks, in every locale of the samples.

A record is a ``Title (Author)`` line, a metadata line (``- Your Highlight on page 12 | Location 140-142 |
Added on …``, localised; Russian starts it with an en dash), an empty line, the text (empty for bookmarks) and
a line of ten ``=``. Byte-order marks may stand before any title line; lines may end in CRLF.

- The kind (highlight / note / bookmark) is read from localised words; the location range (``5444-45`` is
  5444-5445; Dutch ``1300 t/m 1301``) and page from localised labels; the "added" date from the last field,
  with localised month names (the month is the word next to the day, so weekday names never pass for one).
- A note is a separate record at the end location of its highlight: it is joined to the highlight of the same
  book whose range holds that location (the nearest before it in the file when several do).
- Kindle appends a new record when a highlight is edited: of highlights of one book whose ranges overlap, the
  newest is kept.
- There are no ids: a record's key is the book, the kind, the location start and the normalised text.
- Times have no zone: the machine's zone is applied (``naive_time``).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, replace

from reader.core.exchange.importers.records import (
    RecordKind,
    SourceBook,
    ToolRecord,
    local_time,
    normalize_space,
)

SEPARATOR = "=========="

_KIND_WORDS: tuple[tuple[RecordKind, tuple[str, ...]], ...] = (
    ("bookmark", ("bookmark", "lesezeichen", "marcador", "signet", "segnalibro", "ブックマーク", "bladwijzer",
                  "закладк", "书签")),
    ("note", ("note", "notiz", "nota", "メモ", "notitie", "заметк", "笔记")),
    ("highlight", ("highlight", "markierung", "subrayado", "surlignement", "evidenziazione", "ハイライト",
                   "destaque", "выделен", "标注", "markering")),
)  # fmt: skip

_LOCATION = re.compile(
    r"(?:location|loc\.|position|posición|emplacement|posizione|位置no\.|位置\s*#|locatie|posição|место)"
    r"\s*(\d+)(?:\s*(?:-|–|t/m)\s*(\d+))?",
    re.IGNORECASE,
)
_PAGE = re.compile(
    r"(?:\bpage|seite|página|pagina|странице)\s*(\d+)(?:\s*[-–]\s*(\d+))?|(\d+)\s*ページ|第\s*(\d+)\s*页",
    re.IGNORECASE,
)
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("jan", "janv", "ene", "gen", "янв"),
        ("feb", "févr", "fev", "фев"),
        ("mar", "mär", "mars", "maa", "мар"),
        ("apr", "avr", "abr", "апр"),
        ("may", "mai", "mei", "mag", "мая", "май"),
        ("jun", "juin", "giu", "июн"),
        ("jul", "juil", "lug", "июл"),
        ("aug", "août", "ago", "авг"),
        ("sep", "sept", "set", "сен"),
        ("oct", "okt", "ott", "out", "окт"),
        ("nov", "ноя"),
        ("dec", "dez", "déc", "dic", "дек"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number
_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_TOKENS = re.compile(r"\d+|[^\W\d_]+")
_PM = ("pm", "下午", "午後")
_AM = ("am", "上午", "午前")
_SKIP_WORDS = {"de", "del", "г", "в", "le", "am", "el", "op", "on"}


@dataclass(slots=True)
class _Raw:
    book: SourceBook
    kind: RecordKind
    text: str
    start: int | None
    end: int | None
    page: str
    added: _dt.datetime | None
    order: int


def _month(word: str) -> int | None:
    word = word.lower()
    for size in (4, 3):
        if word[:size] in _MONTHS:
            return _MONTHS[word[:size]]
    return None


def parse_added(text: str) -> _dt.datetime | None:
    """The localised "added on" date and time of a metadata field, as a naive datetime."""
    cjk = _CJK_DATE.search(text)
    after = text
    month: int | None
    day: int | None
    if cjk:
        year, month, day = (int(g) for g in cjk.groups())
        after = text[cjk.end() :]
    else:
        matches = list(_TOKENS.finditer(text))
        tokens = [m.group(0) for m in matches]
        years = [i for i, t in enumerate(tokens) if t.isdigit() and len(t) == 4]
        if not years:
            return None
        at = years[0]
        year = int(tokens[at])
        before = [t for t in tokens[:at] if t.lower() not in _SKIP_WORDS]
        month = day = None
        if len(before) >= 2 and before[-1].isdigit():  # "August 22, 2024"
            month, day = _month(before[-2]), int(before[-1])
        elif len(before) >= 2 and before[-2].isdigit():  # "22 août 2024", "22. August 2024"
            month, day = _month(before[-1]), int(before[-2])
        after = text[matches[at].end() :]
    if month is None or day is None:
        return None
    hour = minute = second = 0
    clock = _TIME.search(after)
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        second = int(clock.group(3) or 0)
        lowered = after.lower()
        if any(m in lowered for m in _PM) and hour < 12:
            hour += 12
        elif any(m in lowered for m in _AM) and hour == 12:
            hour = 0
    try:
        return _dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _expand(start: str, end: str | None) -> tuple[int, int]:
    if end is None:
        return int(start), int(start)
    if len(end) < len(start):  # Kindle 2: "5444-45" is 5444-5445
        end = start[: len(start) - len(end)] + end
    return int(start), int(end)


def _kind(meta: str) -> RecordKind | None:
    lowered = meta.lower()
    for kind, words in _KIND_WORDS:
        if any(word in lowered for word in words):
            return kind
    return None


def _book(title_line: str) -> SourceBook:
    line = title_line.strip()
    if line.endswith(")") and "(" in line:
        depth, index = 0, len(line) - 1
        while index >= 0:
            depth += {")": 1, "(": -1}.get(line[index], 0)
            if depth == 0:
                break
            index -= 1
        if index > 0:
            return SourceBook(title=line[:index].strip(), author=line[index + 1 : -1].strip())
    return SourceBook(title=line)


def parse_clippings(data: str) -> list[_Raw]:
    """The records of a ``My Clippings.txt`` text, in file order (unjoined)."""
    text = data.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    records: list[_Raw] = []
    for order, chunk in enumerate(text.split(SEPARATOR)):
        lines = chunk.strip("\n").split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
        if len(lines) < 2 or not lines[1].lstrip().startswith(("-", "–")):
            continue
        meta = lines[1].strip().lstrip("-–").strip()
        kind = _kind(meta)
        if kind is None:
            continue
        location = _LOCATION.search(meta)
        start, end = _expand(location.group(1), location.group(2)) if location else (None, None)
        page_match = _PAGE.search(meta)
        page = ""
        if page_match:
            page = next(g for g in page_match.groups() if g)
        body = "\n".join(lines[2:]).strip("\n")
        fields = [f for f in re.split(r"\s*\|\s*", meta) if f]
        added = parse_added(fields[-1]) if fields else None
        records.append(_Raw(_book(lines[0]), kind, body.strip(), start, end, page, added, order))
    return records


def _is_edit(a: _Raw, b: _Raw) -> bool:
    """Whether ``b`` is ``a`` edited: the same book, overlapping places, and one text holding the other
    (neighbouring highlights also share a boundary location, but not their words)."""
    if a.book != b.book:
        return False
    if a.start is not None and b.start is not None and a.end is not None and b.end is not None:
        if not (a.start <= b.end and b.start <= a.end):
            return False
    elif a.page != b.page:
        return False
    x, y = normalize_space(a.text), normalize_space(b.text)
    return bool(x and y) and (x in y or y in x)


def _location_label(raw: _Raw) -> str:
    parts = []
    if raw.page:
        parts.append(f"p. {raw.page}")
    if raw.start is not None:
        parts.append(f"Location {raw.start}" + (f"-{raw.end}" if raw.end != raw.start else ""))
    return ", ".join(parts)


def _key(raw: _Raw) -> str:
    where = raw.start if raw.start is not None else f"p{raw.page}"
    # Bookmarks have no text: their time tells two at one place apart.
    when = raw.added.isoformat() if raw.kind == "bookmark" and raw.added else ""
    return f"{raw.book.title}|{raw.book.author}|{raw.kind}|{where}|{normalize_space(raw.text)}|{when}"


def records_from_clippings(data: str) -> list[ToolRecord]:
    """Highlights (with their notes joined), stand-alone notes and bookmarks of a clippings text."""
    raws = parse_clippings(data)
    highlights: list[_Raw] = []
    for raw in (r for r in raws if r.kind == "highlight"):
        # An edited highlight is a new record overlapping the old one: keep the newest.
        same = [h for h in highlights if _is_edit(h, raw)]
        newer = all(h.added is None or (raw.added is not None and raw.added >= h.added) for h in same)
        if same and newer:
            highlights = [h for h in highlights if h not in same]
        if not same or newer:
            highlights.append(raw)
    notes_of: dict[int, list[_Raw]] = {}
    loose: list[_Raw] = []
    for raw in (r for r in raws if r.kind == "note"):
        holders = [
            h for h in highlights
            if h.book == raw.book and raw.start is not None and h.start is not None and h.end is not None
            and h.start <= raw.start <= h.end
        ]  # fmt: skip
        if holders:
            best = min(
                holders, key=lambda h: (abs((h.end or 0) - (raw.start or 0)), abs(h.order - raw.order))
            )
            notes_of.setdefault(id(best), []).append(raw)
        else:
            loose.append(raw)
    out: list[ToolRecord] = []
    for raw in sorted(
        [*highlights, *loose, *(r for r in raws if r.kind == "bookmark")], key=lambda r: r.order
    ):
        notes = notes_of.get(id(raw), [])
        moments = [r.added for r in [raw, *notes] if r.added is not None]
        record = ToolRecord(
            tool="kindle",
            key=_key(raw),
            kind=raw.kind,
            book=raw.book,
            quote=raw.text if raw.kind == "highlight" else "",
            note="\n\n".join(n.text for n in notes) if raw.kind == "highlight" else raw.text,
            created=local_time(raw.added) if raw.added else None,
            modified=local_time(max(moments)) if moments else None,
            location=_location_label(raw),
            via=f"kindle:{_location_label(raw)}",
            naive_time=raw.added is not None,
        )
        out.append(replace(record, note=record.note.strip()))
    return out
