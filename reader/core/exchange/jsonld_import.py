"""Importing notes back from the reader's own W3C Web Annotation JSON-LD export.

Pure Python (no Qt). The GUI calls, in a worker thread::

    report = import_notes(Path("notes.jsonld"), library, progress=cb)   # cb(done, total) per article
    report.imported, report.updated, report.unchanged, report.unmatched, report.orphaned

What is read: an ``AnnotationCollection`` with an embedded ``first`` page (what :mod:`.jsonld`
writes), an ``AnnotationPage``, a JSON array of annotations, or one annotation. For each annotation:

- ``id``: ``urn:uuid:<uuid>`` becomes ``<uuid>`` (other ids are kept as they are);
- the note is the ``TextualBody`` with ``purpose: commenting`` (or ``bodyValue``); tags are the ``tagging``
  bodies; the colour is ``reader:color`` or else ``target.styleClass`` (default ``yellow``);
- the passage is the ``TextQuoteSelector`` (required) and the ``TextPositionSelector`` (a hint).

Matching an annotation to an article of ``library``: the stored ``reader:relpath``, else the longest trailing
run of path components shared by the ``source`` file URI (or the relpath) and an article's relative path, so
a file name alone matches when it is unique in the library. Matched annotations are re-anchored against the
article's canonical text with :func:`.notes.anchoring.reanchor` (the quote decides; the position is only
a hint), so notes survive a library whose files were edited or moved. An annotation whose quote cannot be
found is still imported, with status ``orphaned``, so that no note is lost.

Merging is by annotation id, through :class:`reader.core.notes.store.NotesStore` (atomic sidecar writes):

- an id the article's sidecar does not hold is added (``imported``);
- an id it holds with the same content is left alone (``unchanged``);
- an id it holds with different content is replaced when the incoming ``modified`` is newer (``updated``),
  and otherwise left alone (``unchanged``: the local edit is newer or as new).

A file that is not valid JSON, or not a Web Annotation document, raises :class:`ExportError` before anything
is written.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from reader.core.articles.loader import load_article
from reader.core.errors import ExportError, ReaderError, SidecarError
from reader.core.exchange.jsonld import COLOR_KEY, RELPATH_KEY
from reader.core.exchange.selection import parse_timestamp
from reader.core.library.scan import iter_article_files
from reader.core.models import Annotation, now_iso
from reader.core.notes.anchoring import reanchor
from reader.core.notes.store import NotesStore, open_notes

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

#: Largest import file read (a guard against reading something that is not an export).
MAX_IMPORT_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class IncomingAnnotation:
    """An annotation read from an export, with what identifies its article."""

    annotation: Annotation
    source: str | None  #: the target's ``source`` (a file URI when exported by the reader)
    relpath: str | None  #: the stored library-relative path, when present


@dataclass(slots=True)
class ImportReport:
    imported: int = 0  #: new annotations added to a sidecar
    updated: int = 0  #: existing annotations replaced by a newer incoming version
    unchanged: int = 0  #: already present with the same content, or the local copy is as new or newer
    unmatched: int = 0  #: annotations whose article is not in the library (nothing written for them)
    orphaned: int = 0  #: of imported + updated, how many could not be re-anchored (kept, status orphaned)
    #: Sidecars written, in order.
    sidecars: list[Path] = field(default_factory=list)
    #: The sources (relpath or URI) that matched no article, each once.
    unmatched_sources: list[str] = field(default_factory=list)
    #: Articles whose notes could not be merged, as one-line messages (their annotations are not counted).
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.imported + self.updated + self.unchanged + self.unmatched

    def summary(self) -> str:
        text = (
            f"{self.imported} imported, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.unmatched} unmatched"
        )
        if self.orphaned:
            text += f" ({self.orphaned} could not be re-anchored and are listed as orphaned)"
        return text


# ----------------------------------------------------------------------------------------------- parsing


class _InvalidError(Exception):
    pass


def _types(obj: dict[str, Any]) -> list[str]:
    value = obj.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _annotation_objects(doc: object) -> list[object]:
    if isinstance(doc, list):
        return list(doc)
    if not isinstance(doc, dict):
        raise _InvalidError("not a Web Annotation document (expected a JSON object or array)")
    kinds = _types(doc)
    page: object = None
    if "AnnotationCollection" in kinds:
        page = doc.get("first")
        if isinstance(page, str):
            raise _InvalidError("the collection's first page is a link; only embedded pages can be read")
        if page is None:
            if doc.get("total") in (0, None):
                return []
            raise _InvalidError("the collection has no embedded 'first' page")
    elif "AnnotationPage" in kinds:
        page = doc
    elif "Annotation" in kinds:
        return [doc]
    else:
        raise _InvalidError("not a Web Annotation document (no AnnotationCollection, Page or Annotation)")
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise _InvalidError("the annotation page has no 'items' list")
    items: list[object] = page["items"]
    return items


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise _InvalidError(f"{what} is not a string")
    return value


def _int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _InvalidError(f"{what} is not a non-negative integer")
    return value


def _annotation_id(value: object) -> str:
    text = _str(value, "'id'").strip()
    if not text:
        raise _InvalidError("empty 'id'")
    if text.lower().startswith("urn:uuid:"):
        return text[len("urn:uuid:") :]
    return text


def _parse_annotation(obj: object) -> IncomingAnnotation:
    if not isinstance(obj, dict):
        raise _InvalidError("an item is not a JSON object (linked annotations cannot be imported)")
    if "Annotation" not in _types(obj):
        raise _InvalidError("an item's type is not Annotation")
    annotation_id = _annotation_id(obj.get("id"))
    targets = _as_list(obj.get("target"))
    target = next((t for t in targets if isinstance(t, dict) and "selector" in t), None)
    if target is None:
        raise _InvalidError(f"annotation {annotation_id}: no target with selectors")
    quote = position = None
    for selector in _as_list(target.get("selector")):
        if isinstance(selector, dict):
            kinds = _types(selector)
            if "TextQuoteSelector" in kinds and quote is None:
                quote = selector
            elif "TextPositionSelector" in kinds and position is None:
                position = selector
    if quote is None:
        raise _InvalidError(f"annotation {annotation_id}: no TextQuoteSelector")
    exact = _str(quote.get("exact"), f"annotation {annotation_id}: 'exact'")
    prefix = _str(quote.get("prefix", ""), f"annotation {annotation_id}: 'prefix'")
    suffix = _str(quote.get("suffix", ""), f"annotation {annotation_id}: 'suffix'")
    if position is not None:
        start = _int(position.get("start"), f"annotation {annotation_id}: 'start'")
        end = _int(position.get("end"), f"annotation {annotation_id}: 'end'")
    else:
        start, end = 0, len(exact)
    notes: list[str] = []
    tags: list[str] = []
    if isinstance(obj.get("bodyValue"), str):
        notes.append(obj["bodyValue"])
    for body in _as_list(obj.get("body")):
        if not isinstance(body, dict) or ("TextualBody" not in _types(body) and "value" not in body):
            continue
        value = body.get("value")
        if not isinstance(value, str):
            continue
        purposes = [p for p in _as_list(body.get("purpose")) if isinstance(p, str)]
        if "tagging" in purposes:
            if value.strip() and value not in tags:
                tags.append(value)
        elif not purposes or "commenting" in purposes or "describing" in purposes:
            notes.append(value)
    color = obj.get(COLOR_KEY)
    if not isinstance(color, str) or not color:
        style = target.get("styleClass")
        color = (
            style
            if isinstance(style, str)
            else next((s for s in _as_list(style) if isinstance(s, str)), None)
        )
    source_value = target.get("source")
    if isinstance(source_value, dict):
        source_value = source_value.get("id")
    relpath = obj.get(RELPATH_KEY)
    now = now_iso()
    created = obj.get("created") if isinstance(obj.get("created"), str) else None
    modified = obj.get("modified") if isinstance(obj.get("modified"), str) else None
    annotation = Annotation(
        exact=exact,
        start=start,
        end=max(start, end),
        prefix=prefix,
        suffix=suffix,
        color=color or "yellow",
        note="\n\n".join(notes),
        tags=tags,
        id=annotation_id,
        created=created or modified or now,
        modified=modified or created or now,
    )
    return IncomingAnnotation(
        annotation,
        source_value if isinstance(source_value, str) else None,
        relpath if isinstance(relpath, str) and relpath else None,
    )


def parse_export(text: str, name: str = "the import file") -> list[IncomingAnnotation]:
    """The annotations in a JSON-LD export. Raises :class:`ExportError` with a one-line reason."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ExportError(f"{name}: not valid JSON ({exc})") from exc
    try:
        objects = _annotation_objects(doc)
        result = []
        for index, obj in enumerate(objects):
            try:
                result.append(_parse_annotation(obj))
            except _InvalidError as exc:
                raise _InvalidError(f"item {index + 1}: {exc}") from None
    except _InvalidError as exc:
        raise ExportError(f"{name}: cannot import: {exc}") from exc
    return result


def read_export(path: Path) -> list[IncomingAnnotation]:
    """:func:`parse_export` of a file. Raises :class:`ExportError` when it cannot be read or parsed."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise ExportError(f"{path.name}: larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExportError(f"{path.name}: not valid JSON (not UTF-8 text, byte {exc.start})") from exc
    return parse_export(text, path.name)


# ----------------------------------------------------------------------------------------------- matching


def _uri_parts(uri: str) -> tuple[str, ...]:
    parsed = urllib.parse.urlsplit(uri)
    path = urllib.parse.unquote(parsed.path if parsed.scheme else uri)
    return tuple(part for part in PurePosixPath(path.replace("\\", "/")).parts if part not in ("/", "", "."))


class ArticleMatcher:
    """Finds the article of ``library`` an incoming annotation belongs to (see the module documentation)."""

    def __init__(self, library: Path, relpaths: Iterable[str]) -> None:
        self.library = Path(library)
        self._relpaths = {rel: tuple(PurePosixPath(rel).parts) for rel in relpaths}
        self._by_name: dict[str, list[str]] = {}
        for rel, parts in self._relpaths.items():
            self._by_name.setdefault(parts[-1], []).append(rel)

    @classmethod
    def for_library(cls, library: Path) -> ArticleMatcher:
        root = Path(library)
        return cls(root, (p.relative_to(root).as_posix() for p in iter_article_files(root)))

    def _by_suffix(self, parts: Sequence[str]) -> str | None:
        if not parts:
            return None
        candidates = self._by_name.get(parts[-1], [])
        best: list[str] = []
        best_len = 0
        for rel in candidates:
            rel_parts = self._relpaths[rel]
            shared = 0
            while shared < min(len(rel_parts), len(parts)) and rel_parts[-1 - shared] == parts[-1 - shared]:
                shared += 1
            if shared > best_len:
                best, best_len = [rel], shared
            elif shared == best_len:
                best.append(rel)
        return best[0] if len(best) == 1 else None

    def match(self, incoming: IncomingAnnotation) -> str | None:
        """The matching article's relpath, or ``None``."""
        if incoming.relpath is not None and incoming.relpath in self._relpaths:
            return incoming.relpath
        for parts in (
            _uri_parts(incoming.source) if incoming.source else (),
            tuple(PurePosixPath(incoming.relpath).parts) if incoming.relpath else (),
        ):
            found = self._by_suffix(parts)
            if found is not None:
                return found
        return None


# ----------------------------------------------------------------------------------------------- merging


def _content(annotation: Annotation) -> tuple[object, ...]:
    return (
        annotation.exact,
        annotation.start,
        annotation.end,
        annotation.color,
        annotation.note,
        tuple(annotation.tags),
        annotation.created,
        annotation.modified,
    )


def _newer(incoming: Annotation, existing: Annotation) -> bool:
    new, old = parse_timestamp(incoming.modified), parse_timestamp(existing.modified)
    if new is None:
        return False
    return old is None or new > old


def _dedupe(items: Sequence[Annotation]) -> list[Annotation]:
    """One annotation per id (the newest ``modified`` wins), first-seen order."""
    chosen: dict[str, Annotation] = {}
    for annotation in items:
        current = chosen.get(annotation.id)
        if current is None or _newer(annotation, current):
            chosen[annotation.id] = annotation
    return list(chosen.values())


def import_notes(
    source: Path,
    library: Path,
    *,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Merge the annotations of the JSON-LD export ``source`` into the sidecars of ``library``.

    With ``dry_run`` the report says what would happen and nothing is written. Raises :class:`ExportError`
    when ``source`` cannot be read or is not a Web Annotation export (nothing is written then).
    """
    library = Path(library).resolve()
    if not library.is_dir():
        raise ExportError(f"not a library folder: {library}")
    incoming = read_export(source)
    return merge_incoming(incoming, library, dry_run=dry_run, progress=progress)


def merge_incoming(
    incoming: Sequence[IncomingAnnotation],
    library: Path,
    *,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Match, re-anchor and merge already-parsed annotations into ``library`` (see :func:`import_notes`)."""
    library = Path(library).resolve()
    report = ImportReport()
    matcher = ArticleMatcher.for_library(library)
    groups: dict[str, list[Annotation]] = {}
    for item in incoming:
        relpath = matcher.match(item)
        if relpath is None:
            report.unmatched += 1
            label = item.relpath or item.source or item.annotation.id
            if label not in report.unmatched_sources:
                report.unmatched_sources.append(label)
            continue
        groups.setdefault(relpath, []).append(item.annotation)
    total = len(groups)
    for done, (relpath, group) in enumerate(groups.items(), 1):
        try:
            _merge_article(library, relpath, _dedupe(group), report, dry_run)
        except (ReaderError, OSError) as exc:
            message = str(exc) if isinstance(exc, ReaderError) else f"{relpath}: {exc.strerror or exc}"
            log.warning("import: %s", message)
            report.errors.append(message)
        if progress is not None:
            progress(done, total)
    return report


def _merge_article(
    library: Path, relpath: str, annotations: Sequence[Annotation], report: ImportReport, dry_run: bool
) -> None:
    article = load_article(library / relpath, library)
    anchored = [reanchor(annotation, article.text)[0] for annotation in annotations]
    store = open_notes(article, persist_reanchoring=not dry_run)
    if store.read_only_reason is not None:
        raise SidecarError(store.path.name, f"is read-only: {store.read_only_reason}")
    existing = {a.id: a for a in store.annotations()}
    changes: list[Annotation] = []
    counts = {"imported": 0, "updated": 0, "unchanged": 0, "orphaned": 0}
    for annotation in anchored:
        current = existing.get(annotation.id)
        if current is None:
            counts["imported"] += 1
        elif _content(current) == _content(annotation) or not _newer(annotation, current):
            counts["unchanged"] += 1
            continue
        else:
            counts["updated"] += 1
        changes.append(annotation)
        if annotation.status == "orphaned":
            counts["orphaned"] += 1
    if changes and not dry_run:
        for annotation in changes:
            _put(store, annotation)
        if store.save():
            report.sidecars.append(store.path)
    report.imported += counts["imported"]
    report.updated += counts["updated"]
    report.unchanged += counts["unchanged"]
    report.orphaned += counts["orphaned"]


def _put(store: NotesStore, annotation: Annotation) -> None:
    """Insert or replace ``annotation`` (keeping its id and timestamps) in ``store``; saved by ``save()``.

    :class:`NotesStore` has no public call for this yet (``add`` makes a new id); ``put`` is used when it
    appears, otherwise the store's own map is set, exactly as its edit methods do.
    """
    put = getattr(store, "put", None)
    if callable(put):
        put(annotation)
        return
    store._annotations[annotation.id] = dataclasses.replace(annotation, tags=list(annotation.tags))
    store.dirty = True


__all__ = [
    "ArticleMatcher",
    "ImportReport",
    "IncomingAnnotation",
    "import_notes",
    "merge_incoming",
    "parse_export",
    "read_export",
]
