"""Plain data objects shared by every part of the reader.

These are the contracts between the core modules and the Qt side. They hold no behaviour beyond small
derived values, and they never reference Qt or Whoosh.

Offsets everywhere are **Unicode code-point offsets** into an article's canonical text (Python ``str``
indices). Conversion to Qt's UTF-16 positions happens only in :mod:`reader.ui`.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

BlockKind = Literal["heading", "paragraph", "quote", "list_item", "code", "rule"]


@dataclass(frozen=True, slots=True)
class Block:
    """One block of an article's canonical text: ``text[start:end]`` (no trailing newline)."""

    kind: BlockKind
    start: int
    end: int
    level: int = 0  #: heading level (1-6) or list nesting depth
    #: PDF: the 1-based page the block starts on, and that page's label where the PDF has labels (``xii``).
    page: int | None = None
    page_label: str | None = None
    #: EPUB: the title of the chapter (spine item) the block belongs to, from the table of contents.
    chapter: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink over ``text[start:end]`` (from Markdown or HTML sources)."""

    start: int
    end: int
    href: str


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """What the library table shows about an article."""

    title: str
    author: str | None = None
    #: ISO 8601: ``2025-11-20``, or ``--07-24`` when only month and day are known.
    date: str | None = None
    source: str | None = None
    #: BCP 47 primary tag of the main language (``en``, ``ko``), or ``None`` when unknown.
    language: str | None = None
    word_count: int = 0
    #: Whole minutes at ~230 English words or ~500 Korean characters a minute; at least 1 if not empty.
    reading_minutes: int = 0
    #: A DOI (``10.18653/v1/N18-3011``) and an arXiv id (``2004.07180``) found in the document, for citations.
    doi: str | None = None
    arxiv: str | None = None
    #: EPUB: the publisher, and the ISBN when the package names one.
    publisher: str | None = None
    isbn: str | None = None


ArticleFormat = Literal["text", "markdown", "html", "pdf", "epub"]


@dataclass(frozen=True, slots=True)
class Article:
    """An article as the reader understands it: one canonical plain text, its blocks, its metadata.

    ``text`` is derived deterministically from the source file (decoded, line endings normalized to
    ``\\n``, converted from Markdown/HTML, leading and trailing page boilerplate trimmed). The reading pane is
    built from it, the index reads it, and annotation offsets point into it.
    """

    path: Path  #: absolute path of the source file
    relpath: str  #: POSIX path relative to the library root (the article's identity in the library)
    text: str
    blocks: tuple[Block, ...]
    meta: ArticleMeta
    format: ArticleFormat = "text"
    encoding: str = "utf-8"
    content_hash: str = ""  #: ``sha256:<hex>`` of ``text`` encoded as UTF-8
    links: tuple[Link, ...] = ()
    #: EPUB: the table of contents, PDF: the outline (bookmarks), as ``(title, canonical offset)`` in
    #: reading order (empty elsewhere and when the document has none).
    toc: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One row of the library catalog: metadata plus what a rescan needs to skip unchanged files."""

    relpath: str
    meta: ArticleMeta
    size: int
    mtime_ns: int
    content_hash: str
    format: str = "text"
    encoding: str = "utf-8"
    notes_count: int = 0
    #: Article data from the sidecar (issue 16): ``meta`` then shows the user's edits over ``extracted``.
    tags: tuple[str, ...] = ()
    status: str = "unread"  #: reading status: unread, reading or read
    starred: bool = False
    citekey: str = ""  #: the stored citation key ("" until one is assigned)
    url: str = ""
    doi: str = ""
    #: The metadata extracted from the file when the user edited some of it (what the cache keeps).
    extracted: ArticleMeta | None = None
    #: Listed from its file name and stat only: the file is still to be read (a first open's one pass reads
    #: it while indexing). ``meta`` holds the file name as title; ``content_hash`` is empty.
    pending: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file in the library that is not listed, and why (shown to the user)."""

    relpath: str
    reason: str


@dataclass(slots=True)
class ScanResult:
    entries: list[CatalogEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: Relpaths of the entries listed but not read (``CatalogEntry.pending``): see ``scan_library(defer=…)``.
    pending: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- annotations

AnchorStatus = Literal["anchored", "moved", "fuzzy", "orphaned"]

#: The highlight colours offered in the UI, in menu order, with single-key shortcuts 1-9: the reader's first
#: five, then the rest of Zotero's and KOReader's palettes (imported colours map to the nearest of these).
COLORS: tuple[str, ...] = ("yellow", "green", "blue", "pink", "purple", "red", "orange", "gray", "magenta")


def now_iso() -> str:
    """The current UTC time as RFC 3339 with a ``Z`` suffix, second precision."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class PreviousTarget:
    """What an annotation's passage said before re-anchoring changed its words (an approximate match).

    ``exact``/``prefix``/``suffix`` and ``start``/``end`` as they were in the text whose hash is
    ``text_hash``; ``reanchored`` is when the annotation was moved to the current words (RFC 3339 UTC).
    Kept until the user confirms the new passage (reattaching drops it); a second approximate match keeps the
    first record, so it always holds the words the user highlighted or last confirmed.
    """

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int
    text_hash: str = ""
    reanchored: str = ""


@dataclass(frozen=True, slots=True)
class KeptValue:
    """A value of one field that lost a merge to a later edit made elsewhere (the same field edited on two
    devices), kept with the annotation so that no text is dropped: ``field`` is ``note``, ``color`` or
    ``tags``; ``value`` what that side had (tags as a tuple); ``modified`` when it was set there."""

    field: str
    value: str | tuple[str, ...]
    modified: str = ""


@dataclass(slots=True)
class Annotation:
    """A highlight with an optional note and tags.

    The target is stored with two W3C Web Annotation selectors: a TextQuoteSelector (``exact``, ``prefix``,
    ``suffix``) and a TextPositionSelector (``start``, ``end``: code points in the canonical text). Both
    describe the current text, except for an ``orphaned`` annotation, whose passage is no longer there: it
    keeps its last known quote and position. After an approximate re-anchoring (``fuzzy``), ``previous``
    holds what the passage said before.

    ``field_modified`` (optional) says when each of ``color``, ``note``, ``tags`` (and ``position``, set by
    reattaching) was last edited; a field without a time was last edited at ``modified``. ``conflicts``
    holds the values that lost a merge to a later edit of the same field elsewhere (shown for review, never
    dropped).
    """

    exact: str
    start: int
    end: int
    prefix: str = ""
    suffix: str = ""
    color: str = "yellow"
    note: str = ""
    tags: list[str] = field(default_factory=list)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)
    status: AnchorStatus = "anchored"
    previous: PreviousTarget | None = None
    field_modified: dict[str, str] = field(default_factory=dict)
    conflicts: list[KeptValue] = field(default_factory=list)
    #: Where the note came from when it was imported from another tool: the source record's IRI or key
    #: (``https://hypothes.is/a/…``, ``kindle:p. 12, Location 140-142``); ``""`` for the reader's own notes.
    via: str = ""
