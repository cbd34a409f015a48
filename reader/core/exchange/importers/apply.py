"""Bringing another tool's records into the library: match each book to an article, anchor each quote in the
article's canonical text, and merge into its sidecar by the record's stable id.

- A quote is found by the existing anchoring (exact quote with the context the source gives, the position as
  a hint only), then with whitespace and typographic quotes relaxed, then approximately; one that cannot be
  found is still imported, as orphaned, so nothing is lost.
- Re-importing changes nothing: the id is derived from the source's own key, and the source record's IRI or
  key is kept in the annotation's ``via``. A record edited in the source tool (a newer ``modified``)
  replaces the note, the older note, tags and colour kept with it (``conflicts``, as a merge keeps a losing
  value); an older or equal one is left alone.
- Bookmarks and notes without a highlighted passage have no place in the reader's notes: they are counted in
  the report, not imported. Books that match no article are reported with their best candidates, and nothing
  is written for them: import the file again once the article is in the library.
- With ``dry_run`` nothing is written, not even the catalog cache.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reader.core import paths
from reader.core.articles.loader import load_article
from reader.core.errors import ArticleReadError, ReaderError, SidecarError
from reader.core.exchange.importers.matching import BookMatcher, LibraryArticle, find_quote_loosely
from reader.core.exchange.importers.reading import read_records
from reader.core.exchange.importers.records import SourceBook, ToolRecord, parse_iso
from reader.core.library.scan import scan_library
from reader.core.models import Annotation, Article, KeptValue, now_iso
from reader.core.notes.anchoring import context_at, reanchor
from reader.core.notes.store import open_notes

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]


@dataclass(slots=True)
class UnmatchedBook:
    label: str
    records: int
    candidates: tuple[str, ...]


@dataclass(slots=True)
class ToolImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    tool: str
    read: Counter[str] = field(default_factory=Counter)  #: records by kind
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    orphaned: int = 0  #: of imported + updated, not found in the article's text (kept as orphans)
    duplicates: int = 0  #: on a passage already highlighted (merged into that highlight, not added)
    unmatched: int = 0  #: highlights whose book matched no article (nothing written)
    bookmarks: int = 0  #: bookmarks, not imported (the reader has none)
    loose_notes: int = 0  #: notes without a highlighted passage, not imported
    naive_times: int = 0  #: times without a zone, read as the machine's local time
    zone: str = ""
    matched: list[tuple[str, str, str]] = field(default_factory=list)  #: (book, relpath, rule)
    unmatched_books: list[UnmatchedBook] = field(default_factory=list)
    sidecars: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.imported} imported, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.unmatched} unmatched"
        )
        if self.orphaned:
            text += f" ({self.orphaned} not found in their article's text: kept as orphaned)"
        return text

    def notes(self) -> list[str]:
        """Lines for the user beyond the summary."""
        out = []
        if self.bookmarks:
            marks = f"{self.bookmarks} bookmark{'s' * (self.bookmarks != 1)}"
            out.append(f"{marks} not imported (the reader has none)")
        if self.loose_notes:
            notes = f"{self.loose_notes} note{'s' * (self.loose_notes != 1)}"
            out.append(f"{notes} without a highlighted passage not imported")
        if self.duplicates:
            out.append(
                f"{self.duplicates} already highlighted (the same passage): merged into that highlight"
            )
        if self.naive_times:
            times = "1 time had" if self.naive_times == 1 else f"{self.naive_times} times had"
            out.append(f"{times} no zone: read as the local time ({self.zone})")
        return out


def _local_zone() -> str:
    now = _dt.datetime.now().astimezone()
    return f"{now.tzname()}, UTC{now.strftime('%z')[:3]}:{now.strftime('%z')[3:]}"


def _anchored(record: ToolRecord, text: str) -> Annotation:
    """The annotation for ``record`` placed in ``text`` (orphaned when its quote is not there)."""
    hint = record.position[0] if record.position else 0
    created = record.created or now_iso()
    base = Annotation(
        id=record.id, exact=record.quote, start=hint, end=hint + len(record.quote), prefix=record.prefix,
        suffix=record.suffix, color=record.color, note=record.note, tags=list(record.tags), created=created,
        modified=record.modified or created, via=record.via or f"{record.tool}:{record.key}",
    )  # fmt: skip
    placed, result = reanchor(base, text)
    if result.status in ("anchored", "moved"):
        return dataclasses.replace(placed, status="anchored")
    span = find_quote_loosely(text, record.quote, hint)
    if span is not None:
        prefix, suffix = context_at(text, *span)
        return dataclasses.replace(
            base, exact=text[span[0] : span[1]], start=span[0], end=span[1], prefix=prefix, suffix=suffix,
            status="anchored",
        )  # fmt: skip
    return placed


def _newer(incoming: str, existing: str) -> bool:
    new, old = parse_iso(incoming), parse_iso(existing)
    return new is not None and (old is None or new > old)


def _same(a: Annotation, b: Annotation) -> bool:
    return (a.exact, a.note, sorted(a.tags), a.color) == (b.exact, b.note, sorted(b.tags), b.color)


def _older_values(current: Annotation) -> list[KeptValue]:
    """What an annotation said before a newer version from the source tool replaced it: kept with it (like
    a merge's losing values) so that the older note, tags and colour stay readable."""
    return [
        KeptValue("note", current.note, current.modified),
        KeptValue("tags", tuple(current.tags), current.modified),
        KeptValue("color", current.color, current.modified),
    ]


def _same_passage(annotations: Iterable[Annotation], annotation: Annotation) -> Annotation | None:
    """An existing highlight of exactly the passage ``annotation`` is on (orphans are on none)."""
    if annotation.status == "orphaned":
        return None
    for other in annotations:
        if other.status != "orphaned" and (other.start, other.end) == (annotation.start, annotation.end):
            return other
    return None


def _merge(article: Article, records: Sequence[ToolRecord], report: ToolImportReport, dry_run: bool) -> None:
    store = open_notes(article, persist_reanchoring=False)
    if store.read_only_reason is not None:
        raise SidecarError(store.path.name, f"is read-only: {store.read_only_reason}")
    existing = {a.id: a for a in store.annotations()}
    changed = False
    for record in records:
        annotation = _anchored(record, article.text)
        current = existing.get(annotation.id)
        stale = current is not None and not _newer(annotation.modified, current.modified)
        if current is not None and (stale or _same(current, annotation)):
            report.unchanged += 1
            continue
        twin = _same_passage(existing.values(), annotation) if current is None else None
        if twin is not None:
            # The passage is highlighted already (by hand, or from another tool: the Kindle and KOReader
            # samples share a sentence): one highlight, not two; a note the existing one lacks is added.
            report.duplicates += 1
            if annotation.note and annotation.note not in twin.note and not dry_run:
                joined = f"{twin.note}\n\n{annotation.note}" if twin.note else annotation.note
                store.update(twin.id, note=joined)
                changed = True
            continue
        if current is None:
            report.imported += 1
        else:
            report.updated += 1
            annotation = dataclasses.replace(
                annotation, conflicts=[*current.conflicts, *_older_values(current)]
            )
        if annotation.status == "orphaned":
            report.orphaned += 1
        if not dry_run:
            store.put(annotation)
            changed = True
    if changed and store.save():
        report.sidecars.append(store.path)


def import_tool_file(
    source: Path,
    library: Path,
    *,
    tool: str | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ToolImportReport:
    """Import the highlights of another tool's export ``source`` into ``library``.

    Raises :class:`~reader.core.errors.ExportError` when the file cannot be read (nothing is written).
    """
    library = Path(library).resolve()
    tool, records = read_records(Path(source), tool)
    report = ToolImportReport(tool=tool, zone=_local_zone())
    report.read.update(r.kind for r in records)
    report.bookmarks = report.read["bookmark"]
    report.loose_notes = sum(1 for r in records if r.kind == "note" and not r.quote)
    report.naive_times = sum(1 for r in records if r.naive_time)
    highlights = [r for r in records if r.kind == "highlight" and r.quote]
    by_book: dict[SourceBook, list[ToolRecord]] = {}
    for record in highlights:
        by_book.setdefault(record.book, []).append(record)
    scan = scan_library(library, cache_path=None if dry_run else paths.catalog_cache_path(library))
    articles = [LibraryArticle(e.relpath, e.meta.title, e.meta.author or "") for e in scan.entries]

    def read_text(relpath: str) -> str | None:
        try:
            return load_article(library / relpath, library).text
        except ArticleReadError:
            return None

    matcher = BookMatcher(articles, read_text)
    groups: dict[str, list[ToolRecord]] = {}
    for book, items in by_book.items():
        # A short quote is looked for with the context the source gives (Hypothesis), if any.
        quotes = [r.quote if len(r.quote.split()) >= 3 else f"{r.prefix}{r.quote}{r.suffix}" for r in items]
        found = matcher.match(book, quotes)
        if found.relpath is None:
            report.unmatched += len(items)
            report.unmatched_books.append(UnmatchedBook(book.label(), len(items), found.candidates))
            continue
        report.matched.append((book.label(), found.relpath, found.rule))
        groups.setdefault(found.relpath, []).extend(items)
    for done, (relpath, items) in enumerate(groups.items(), 1):
        try:
            _merge(load_article(library / relpath, library), items, report, dry_run)
        except (ReaderError, OSError) as exc:
            message = str(exc) if isinstance(exc, ReaderError) else f"{relpath}: {exc.strerror or exc}"
            log.warning("import: %s", message)
            report.errors.append(message)
        if progress is not None:
            progress(done, len(groups))
    return report
