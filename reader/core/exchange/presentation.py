"""What the export formats share in how they present notes: colours, links and the exporter's name.

- :data:`SWATCHES`: the display colours (highlight background, accent) of the named highlight colours, and
  :func:`color_class`, a CSS class name for any colour (JSON-LD ``styleClass``, HTML classes);
- :func:`file_uri` and :func:`relative_link`: links from an export to the article files;
- :data:`STATUS_NOTICES` and :func:`status_notice`: what a reader of an export is told about a highlight
  whose passage changed (``fuzzy``: re-anchored by approximate matching) or was not found (``orphaned``);
  :func:`has_position`: whether the stored offsets point into the current text (not for an orphan, whose
  offsets are only its last known position, so no export presents them as a position);
- :func:`location_label` and :func:`pdf_page`: where a highlight is: a PDF page (``p. 12``), an EPUB chapter;
- :func:`annotation_link`: the ``research-reader://`` link that opens the reader at a highlight;
- :func:`color_label`: what a colour means in the article's library (``red = disagree``);
- :data:`GENERATOR`: the name written as the exporting software.
"""

from __future__ import annotations

import bisect
import os
import re
import urllib.parse
from pathlib import Path, PurePosixPath

from reader.core.library.color_labels import label_of
from reader.core.library.links import make_uri
from reader.core.models import Annotation, Article, Block

GENERATOR = "research-notes-reader"

#: Display colours (highlight background, accent) for the named colours; others get :data:`DEFAULT_SWATCH`.
SWATCHES: dict[str, tuple[str, str]] = {
    "yellow": ("#fff3a3", "#e0b400"),
    "green": ("#c9f0c4", "#3c9a35"),
    "blue": ("#cde4ff", "#2f6fc0"),
    "pink": ("#ffd3e6", "#d0497f"),
    "purple": ("#e6d5fa", "#7a4cc2"),
    "red": ("#ffd0cc", "#c8402f"),
    "orange": ("#ffe0b8", "#c7711a"),
    "gray": ("#e6e6e6", "#7a7a7a"),
    "magenta": ("#f9d0f5", "#b23aa8"),
}
DEFAULT_SWATCH = ("#e8e8e8", "#777777")

#: The notice shown with a highlight of each status that is not an exact match in the current text.
STATUS_NOTICES: dict[str, str] = {
    "fuzzy": "approximate match: the passage changed since this note was made",
    "orphaned": "passage not found in the current text",
}


def status_notice(annotation: Annotation) -> str | None:
    """The notice to show with ``annotation`` (see :data:`STATUS_NOTICES`), ``None`` for an exact match."""
    return STATUS_NOTICES.get(annotation.status)


def has_position(annotation: Annotation) -> bool:
    """Whether ``annotation.start``/``end`` point into the current text (``False`` for an orphan)."""
    return annotation.status != "orphaned"


def color_class(color: str) -> str:
    """A CSS class name for a colour: lower-case letters, digits and dashes (``"hl"`` if nothing is left)."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", color.lower()).strip("-")
    if not cleaned or cleaned[0].isdigit() or cleaned.startswith("-"):
        cleaned = "hl-" + cleaned if cleaned else "hl"
    return cleaned


def file_uri(path: Path) -> str:
    return Path(path).resolve().as_uri()


def relative_link(target: Path, from_dir: Path) -> str:
    """A percent-encoded relative URL from a file in ``from_dir`` to ``target`` (file URI if impossible)."""
    try:
        rel = os.path.relpath(Path(target).resolve(), Path(from_dir).resolve())
    except ValueError:  # pragma: no cover - different drives on Windows
        return file_uri(target)
    return urllib.parse.quote(Path(rel).as_posix(), safe="/")


def library_root(article: Article) -> Path:
    """The library folder ``article`` belongs to (its path without its relpath)."""
    depth = len(PurePosixPath(article.relpath).parts)
    return Path(article.path).parents[depth - 1] if depth else Path(article.path).parent


def annotation_link(article: Article, annotation: Annotation) -> str:
    """The ``research-reader://`` link that opens the reader at this highlight (see
    :mod:`reader.core.library.links`)."""
    return make_uri(library_root(article), article.relpath, annotation.id)


def color_label(article: Article, color: str) -> str:
    """What ``color`` means in ``article``'s library ("disagree"), or ``""`` (see
    :mod:`reader.core.library.color_labels`)."""
    return label_of(library_root(article), color)


def block_at(article: Article, offset: int) -> Block | None:
    """The block of ``article`` holding code point ``offset`` (the last one starting at or before it)."""
    starts = [block.start for block in article.blocks]
    index = bisect.bisect_right(starts, offset) - 1
    return article.blocks[index] if 0 <= index < len(article.blocks) else None


def location_label(article: Article, annotation: Annotation) -> str:
    """Where a highlight is, for people: ``p. 12`` (the page label where the PDF has labels: ``p. xii``) for a
    PDF, the chapter for an EPUB, ``""`` otherwise or for an orphan (it has no place in the current text)."""
    if not has_position(annotation):
        return ""
    block = block_at(article, annotation.start)
    if block is None:
        return ""
    if block.page is not None:
        return f"p. {block.page_label or block.page}"
    return block.chapter or ""


def pdf_page(article: Article, annotation: Annotation) -> int | None:
    """The 1-based PDF page a highlight starts on (for a ``page=N`` fragment), or ``None``."""
    block = block_at(article, annotation.start) if has_position(annotation) else None
    return block.page if block is not None else None
