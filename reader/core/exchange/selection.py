"""What an export holds: the articles of a library with the annotations of each that pass a filter.

Pure Python (no Qt). :func:`select_items` walks the library (or the given article paths), reads each sidecar
and keeps the annotations that a :class:`NoteFilter` accepts, in text order; articles left with no
annotation are dropped. The result, a list of :class:`ExportItem`, is what every format renders.
:class:`ExportReport` is what :func:`reader.core.exchange.export.export_notes` returns.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reader.core.articles.loader import load_article
from reader.core.errors import ArticleReadError, SidecarError
from reader.core.library.scan import iter_article_files
from reader.core.models import Annotation, Article, Skipped
from reader.core.notes.sidecar import load_annotations

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class NoteFilter:
    """Which annotations to export. Empty criteria match everything; criteria combine with AND.

    - ``tags``: annotations having any of these tags (compared case-insensitively);
    - ``colors``: annotations of any of these colours;
    - ``since``/``until``: the UTC date of ``created`` within these bounds (inclusive);
    - ``relpaths``: restrict to articles whose library-relative path is in this collection, or for which
      this predicate is true (e.g. the result of a search, which lives elsewhere).
    """

    tags: Collection[str] = ()
    colors: Collection[str] = ()
    since: _dt.date | None = None
    until: _dt.date | None = None
    relpaths: Collection[str] | Callable[[str], bool] | None = None

    def matches_article(self, relpath: str) -> bool:
        if self.relpaths is None:
            return True
        if callable(self.relpaths):
            return bool(self.relpaths(relpath))
        return relpath in self.relpaths

    def matches(self, annotation: Annotation) -> bool:
        if self.tags:
            wanted = {tag.casefold() for tag in self.tags}
            if not any(tag.casefold() in wanted for tag in annotation.tags):
                return False
        if self.colors and annotation.color not in set(self.colors):
            return False
        if self.since is not None or self.until is not None:
            created = parse_timestamp(annotation.created)
            if created is None:
                return False
            day = created.astimezone(_dt.UTC).date()
            if self.since is not None and day < self.since:
                return False
            if self.until is not None and day > self.until:
                return False
        return True


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One article and the annotations of it to export, in text order."""

    article: Article
    annotations: tuple[Annotation, ...]


@dataclass(slots=True)
class ExportReport:
    written: list[Path] = field(default_factory=list)
    articles: int = 0
    annotations: int = 0
    #: Articles or sidecars that could not be read during selection (exported without them).
    skipped: list[Skipped] = field(default_factory=list)


def parse_timestamp(value: str) -> _dt.datetime | None:
    """An RFC 3339 / ISO 8601 timestamp as an aware datetime (naive ones taken as UTC); ``None`` if bad."""
    try:
        parsed = _dt.datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_dt.UTC)


def text_order(annotations: Iterable[Annotation]) -> list[Annotation]:
    return sorted(annotations, key=lambda a: (a.start, a.end, a.id))


def select_items(
    library: Path,
    paths: Sequence[Path] | None = None,
    *,
    note_filter: NoteFilter | None = None,
    progress: ProgressCallback | None = None,
    skipped: list[Skipped] | None = None,
) -> list[ExportItem]:
    """The articles of ``library`` (all, or ``paths``) with their annotations that pass ``note_filter``.

    Articles without a matching annotation are left out. An article or sidecar that cannot be read is left
    out and, when ``skipped`` is given, recorded there. ``progress(done, total)`` is called per article.
    """
    root = Path(library).resolve()
    files = list(iter_article_files(root)) if paths is None else [Path(p).resolve() for p in paths]
    note_filter = note_filter or NoteFilter()
    items: list[ExportItem] = []
    for done, path in enumerate(files, 1):
        relpath = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        if note_filter.matches_article(relpath):
            try:
                annotations = [a for a in load_annotations(path) if note_filter.matches(a)]
                if annotations:
                    article = load_article(path, root if path.is_relative_to(root) else path.parent)
                    items.append(ExportItem(article, tuple(text_order(annotations))))
            except (ArticleReadError, SidecarError) as exc:
                log.warning("export: skipping %s: %s", relpath, exc)
                if skipped is not None:
                    skipped.append(Skipped(relpath, str(exc)))
        if progress is not None:
            progress(done, len(files))
    return items
