"""The one shape every importer produces: a :class:`ToolRecord` per highlight, note or bookmark.

Each tool's module (Kindle, KOReader, Hypothesis, Readwise, calibre/Kobo) reads its own format into these
records; matching them to articles, anchoring and merging is the same for all (:mod:`.apply`).

- **Stable ids.** A record's annotation id is the UUIDv5 of ``"<tool>:<source key>"`` (:func:`stable_id`), so
  re-importing the same file finds the notes it made before instead of adding them again.
- **Times.** Tools that write a local wall-clock time without a zone (Kindle, KOReader) are given the
  machine's zone (:func:`local_time`); the record says so (``naive_time``) and the import report counts them.
- **Colours.** A tool's colour is mapped to the nearest colour of the palette (:func:`nearest_color`).
"""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Literal

from reader.core.models import COLORS

#: Namespace of the ids of imported annotations (a fixed, random UUID: never change it).
IMPORT_NAMESPACE = uuid.UUID("5b0e7c2e-6f0b-4f4e-9d0a-3c1f2b7e8a11")

RecordKind = Literal["highlight", "note", "bookmark"]

#: Approximate sRGB values of colour names tools use, for mapping them onto the reader's palette.
COLOR_RGB: dict[str, tuple[int, int, int]] = {
    "yellow": (255, 226, 80),
    "green": (120, 200, 90),
    "blue": (90, 160, 240),
    "pink": (245, 130, 190),
    "purple": (170, 120, 220),
    "red": (235, 80, 70),
    "orange": (245, 160, 60),
    "gray": (160, 160, 160),
    "grey": (160, 160, 160),
    "magenta": (230, 80, 220),
    "cyan": (80, 210, 220),
    "olive": (150, 160, 60),
    "white": (250, 250, 250),
}


@dataclass(frozen=True, slots=True)
class SourceBook:
    """What a tool says about the document a record belongs to (any field may be empty)."""

    title: str = ""
    author: str = ""
    url: str = ""
    file_name: str = ""

    def label(self) -> str:
        """A short human-readable name for reports."""
        name = self.title or self.file_name or self.url or "(untitled)"
        return f"{name} ({self.author})" if self.author else name


@dataclass(frozen=True, slots=True)
class ToolRecord:
    """One highlight, note or bookmark read from another tool's export."""

    tool: str  #: ``kindle``, ``koreader``, ``hypothesis``, ``readwise``, ``calibre``, ``kobo``
    key: str  #: the source's own key for the record, unique within the tool
    kind: RecordKind
    book: SourceBook
    quote: str = ""  #: the highlighted text ("" for bookmarks and stand-alone notes)
    note: str = ""
    tags: tuple[str, ...] = ()
    color: str = "yellow"  #: already mapped to the reader's palette
    created: str | None = None  #: RFC 3339 with a zone
    modified: str | None = None
    prefix: str = ""  #: context the source gives (Hypothesis); otherwise computed when anchored
    suffix: str = ""
    position: tuple[int, int] | None = None  #: a position hint in the source's text (may be off)
    location: str = ""  #: where the tool says it is, for people ("Location 1300-1301", "p. 112", a chapter)
    via: str = ""  #: the source record's own IRI or key, kept in the annotation
    naive_time: bool = False  #: the source's time had no zone; the machine's zone was applied
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return stable_id(self.tool, self.key)


def stable_id(tool: str, key: str) -> str:
    """The annotation id of a record: UUIDv5 of ``"<tool>:<key>"``."""
    return str(uuid.uuid5(IMPORT_NAMESPACE, f"{tool}:{key}"))


def normalize_space(text: str) -> str:
    """Whitespace runs as single spaces, trimmed (for keys and matching, never for stored quotes)."""
    return " ".join(text.split())


def rfc3339(moment: _dt.datetime) -> str:
    """``moment`` (aware) as RFC 3339, second precision, ``Z`` for UTC."""
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def local_time(naive: _dt.datetime) -> str:
    """A wall-clock time without a zone, read as this machine's local time (DST-aware)."""
    return rfc3339(naive.astimezone())


def parse_iso(value: object) -> str | None:
    """An ISO 8601 string with a zone as RFC 3339; ``None`` for empty or unparsable values or no zone."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return rfc3339(moment)


def unix_time(value: object) -> str | None:
    """Seconds since the epoch (UTC) as RFC 3339."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return rfc3339(_dt.datetime.fromtimestamp(float(value), _dt.UTC))
    except (OverflowError, OSError, ValueError):
        return None


_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def _rgb(color: str) -> tuple[int, int, int] | None:
    name = color.strip().lower()
    if name in COLOR_RGB:
        return COLOR_RGB[name]
    match = _HEX.match(name)
    if match:
        value = int(match.group(1), 16)
        return (value >> 16) & 255, (value >> 8) & 255, value & 255
    return None


def nearest_color(color: str | None, palette: tuple[str, ...] = COLORS) -> str:
    """The palette colour closest to ``color`` (a name or ``#rrggbb``); yellow when unknown or empty."""
    if not color:
        return "yellow" if "yellow" in palette else palette[0]
    name = color.strip().lower()
    if name in palette:
        return name
    rgb = _rgb(name)
    if rgb is None:
        return "yellow" if "yellow" in palette else palette[0]

    def distance(candidate: str) -> int:
        other = COLOR_RGB.get(candidate, (0, 0, 0))
        return sum((a - b) ** 2 for a, b in zip(rgb, other, strict=True))

    return min((c for c in palette if c in COLOR_RGB), key=distance)
