"""Exporting highlights and notes: Markdown (note vaults), W3C Web Annotation JSON-LD, HTML and CSV.

Pure Python (no Qt). Everything is written through :mod:`reader.core.atomic`, file names made from titles
go through :mod:`reader.core.exchange.filenames`, and nothing is overwritten unless ``force=True``.

API for the GUI (run both calls in a worker thread; ``progress(done, total)`` is called from that thread)::

    items = select_items(library, paths=None, note_filter=NoteFilter(tags={"method"}), progress=cb)
    report = export_notes(library, items, "markdown", dest, per_article=True, force=False, bom=False,
                          progress=cb)
    report.written      # list[Path], in write order

- ``library``: the library root (relative paths and links are computed from it).
- ``items``: the scope. ``None`` = the whole library; a sequence of article ``Path``s = those articles;
  or the ``ExportItem``s returned by :func:`select_items` (which applies a :class:`NoteFilter`: tags,
  colours, a ``created`` date range, and the relpaths a search returned).
- ``fmt``: ``"markdown"``, ``"jsonld"``, ``"html"`` or ``"csv"`` (see :data:`FORMATS`).
- ``dest``: with ``per_article=True`` a folder (created when missing), one file per article named after its
  title; otherwise the output file, or an existing folder in which ``<library name> notes.<ext>`` is written.
- ``force``: overwrite existing files; without it :class:`ExistingFilesError` (an :class:`ExportError`) is
  raised before anything is written, listing the existing files.
- ``bom``: CSV only, write ``utf-8-sig`` (a byte-order mark) so that spreadsheet programs detect UTF-8.

Only articles with at least one (matching) annotation are exported; annotations are in text order.

Format decisions
----------------
Markdown (CommonMark, renders in Obsidian): YAML front matter (title, author, date, source, tags = the union
of the article's annotation tags, source_path, source_uri); each highlight is a blockquote whose text is
backslash-escaped (every line prefixed with ``> ``) and whose last paragraph names the colour
(``> — *yellow*``), then an Obsidian block id on its own paragraph (``^`` + the first 8 hex digits of the
annotation UUID), then the note as the user's own Markdown (wrapped in a code fence if it would otherwise
swallow the rest of the file, e.g. an unclosed fence), then the tags as ``#tags``.

JSON-LD: one ``AnnotationCollection`` with an embedded ``first`` ``AnnotationPage`` whose ``items`` are the
annotations. Each annotation has ``@context`` ``http://www.w3.org/ns/anno.jsonld``, ``id`` ``urn:uuid:…``,
``motivation: highlighting``, ``created``/``modified``, a ``TextualBody`` note (``text/markdown``,
``purpose: commenting``), one ``TextualBody`` per tag (``purpose: tagging``), and a ``SpecificResource``
target (``source`` = file URI, ``selector`` = [TextQuoteSelector, TextPositionSelector]). The colour uses the
model's own styling (§4.4): ``target.styleClass`` is the colour name and the annotation carries a
``CssStylesheet`` defining it. The article's library-relative path is kept in ``reader:relpath`` (an
absolute-IRI key, kept by JSON-LD processors) so that :mod:`.jsonld_import` can match articles in
another library.

HTML: one self-contained page (inline CSS, no scripts, no remote resources, ``@media print`` rules); one
``<section>`` per article with its metadata; notes rendered from Markdown with raw HTML disabled and then
sanitized with nh3 (no images, so nothing is fetched).

CSV: one row per annotation with the columns of :data:`CSV_COLUMNS`; tags joined by ``"; "``. Formula
injection guard: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe (``'``), so spreadsheet programs show it as text instead of evaluating it.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import html
import io
import json
import logging
import os
import re
import unicodedata
import urllib.parse
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import nh3
import yaml
from markdown_it import MarkdownIt

from reader.core.articles.loader import load_article
from reader.core.atomic import atomic_write_bytes
from reader.core.errors import ArticleReadError, ExportError, SidecarError
from reader.core.exchange.filenames import ensure_inside, safe_filename
from reader.core.library.scan import iter_article_files
from reader.core.models import COLORS, Annotation, Article, Skipped
from reader.core.notes.sidecar import load_annotations

log = logging.getLogger(__name__)

ExportFormat = Literal["markdown", "jsonld", "html", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("markdown", "jsonld", "html", "csv")
EXTENSIONS: dict[str, str] = {"markdown": ".md", "jsonld": ".jsonld", "html": ".html", "csv": ".csv"}

ProgressCallback = Callable[[int, int], None]

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
#: Key of the library-relative path in exported annotations (see the module documentation).
RELPATH_KEY = "reader:relpath"
GENERATOR = "research-notes-reader"

#: Display colours (highlight background, accent) for the named colours; others get :data:`_DEFAULT_SWATCH`.
SWATCHES: dict[str, tuple[str, str]] = {
    "yellow": ("#fff3a3", "#e0b400"),
    "green": ("#c9f0c4", "#3c9a35"),
    "blue": ("#cde4ff", "#2f6fc0"),
    "pink": ("#ffd3e6", "#d0497f"),
    "purple": ("#e6d5fa", "#7a4cc2"),
}
_DEFAULT_SWATCH = ("#e8e8e8", "#777777")

CSV_COLUMNS: tuple[str, ...] = (
    "article",
    "path",
    "quote",
    "note",
    "color",
    "tags",
    "created",
    "modified",
    "status",
    "id",
)
CSV_TAG_SEPARATOR = "; "
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExistingFilesError(ExportError):
    """Export target files exist and ``force`` was not given; ``paths`` lists them (in write order)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        more = f" (and {len(self.paths) - 1} more)" if len(self.paths) > 1 else ""
        super().__init__(
            f"will not overwrite existing file {self.paths[0]}{more}; export with force to replace"
        )


# ----------------------------------------------------------------------------------------------- scope


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


# ----------------------------------------------------------------------------------------------- helpers


def file_uri(path: Path) -> str:
    return Path(path).resolve().as_uri()


def relative_link(target: Path, from_dir: Path) -> str:
    """A percent-encoded relative URL from a file in ``from_dir`` to ``target`` (file URI if impossible)."""
    try:
        rel = os.path.relpath(Path(target).resolve(), Path(from_dir).resolve())
    except ValueError:  # pragma: no cover - different drives on Windows
        return file_uri(target)
    return urllib.parse.quote(Path(rel).as_posix(), safe="/")


def color_class(color: str) -> str:
    """A CSS class name for a colour: lower-case letters, digits and dashes (``"hl"`` if nothing is left)."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", color.lower()).strip("-")
    if not cleaned or cleaned[0].isdigit() or cleaned.startswith("-"):
        cleaned = "hl-" + cleaned if cleaned else "hl"
    return cleaned


def block_id(annotation_id: str, used: set[str] | None = None) -> str:
    """An Obsidian block id (letters, digits, dashes) for an annotation: the first 8 hex digits of its UUID.

    Lengthened when ``used`` already holds it; the result is added to ``used``.
    """
    digits = re.sub(r"[^0-9a-f]", "", annotation_id.lower())
    if len(digits) < 8:
        digits = hashlib.sha1(annotation_id.encode("utf-8")).hexdigest()
    length = 8
    candidate = digits[:length]
    while used is not None and candidate in used:
        length += 4
        candidate = digits[:length] if length <= len(digits) else f"{digits[:8]}-{length}"
    if used is not None:
        used.add(candidate)
    return candidate


def sanitize_tag(tag: str) -> str:
    """A tag usable as an Obsidian ``#tag``: no spaces, only letters, digits, ``_``, ``-`` and ``/``.

    Returns ``""`` when nothing usable is left; an all-digit tag gets a leading ``_`` (Obsidian needs one
    non-digit).
    """
    text = unicodedata.normalize("NFC", tag).strip().lstrip("#")
    text = re.sub(r"\s+", "-", text)
    text = re.sub(r"[^\w/-]", "", text).strip("/")
    if text.isdigit():
        text = "_" + text
    return text


def tags_union(annotations: Iterable[Annotation]) -> list[str]:
    seen: dict[str, str] = {}
    for annotation in annotations:
        for tag in annotation.tags:
            seen.setdefault(tag.casefold(), tag)
    return sorted(seen.values(), key=str.casefold)


def _write_plan(plan: Sequence[tuple[Path, bytes]], dest_root: Path, force: bool) -> list[Path]:
    for path, _ in plan:
        ensure_inside(dest_root, path)
    if not force:
        existing = [path for path, _ in plan if path.exists() or path.is_symlink()]
        if existing:
            raise ExistingFilesError(existing)
    written: list[Path] = []
    for path, data in plan:
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
        written.append(path)
    return written


# ----------------------------------------------------------------------------------------------- markdown

_MD_ESCAPE = re.compile(r"([\\`*_\[\]<>#|~=^&$%!{}])")
_ORDERED_LIST = re.compile(r"^(\d{1,9})([.)])")
_FENCE_RUN = re.compile(r"`+")
_SENTINEL = "reader-export-sentinel-7f3a"
_COMMONMARK = MarkdownIt("commonmark")


def escape_markdown_line(line: str) -> str:
    """One line of plain text as CommonMark inline content that renders as exactly that text.

    Leading and trailing whitespace is dropped (it would start a code block or a hard line break).
    """
    text = line.strip()
    text = _MD_ESCAPE.sub(r"\\\1", text)
    if text[:1] in ("+", "-"):
        text = "\\" + text
    return _ORDERED_LIST.sub(r"\1\\\2", text)


def markdown_blockquote(text: str) -> list[str]:
    """Lines of a blockquote holding ``text``; each line of the text is its own paragraph."""
    lines = [escape_markdown_line(line) for line in text.split("\n") if line.strip()]
    if not lines:
        lines = ["…"]
    out: list[str] = []
    for index, line in enumerate(lines):
        if index:
            out.append(">")
        out.append("> " + line)
    return out


def _is_contained(note: str) -> bool:
    """Whether ``note`` parses as self-contained blocks (a paragraph after it stays a top-level paragraph)."""
    tokens = _COMMONMARK.parse(note + "\n\n" + _SENTINEL + "\n")
    if len(tokens) < 3:
        return False
    opening, inline, closing = tokens[-3:]
    return (
        opening.type == "paragraph_open"
        and opening.level == 0
        and inline.type == "inline"
        and inline.content == _SENTINEL
        and closing.type == "paragraph_close"
    )


def markdown_note(note: str) -> list[str]:
    """The note as Markdown lines: verbatim when self-contained, otherwise inside a code fence."""
    text = note.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not text.strip():
        return []
    if _is_contained(text):
        return text.split("\n")
    longest = max((len(run) for run in _FENCE_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "markdown", *text.split("\n"), fence]


def _markdown_highlight(annotation: Annotation, used_ids: set[str]) -> list[str]:
    lines = markdown_blockquote(annotation.exact)
    lines += [
        ">",
        f"> — *{escape_markdown_line(annotation.color)}*",
        "",
        "^" + block_id(annotation.id, used_ids),
    ]
    note = markdown_note(annotation.note)
    if note:
        lines += ["", *note]
    tags = [t for t in (sanitize_tag(tag) for tag in annotation.tags) if t]
    if tags:
        lines += ["", " ".join("#" + t for t in tags)]
    return lines


def _front_matter(data: dict[str, Any]) -> list[str]:
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=4096)
    return ["---", *dumped.rstrip("\n").split("\n"), "---"]


def _article_front(item: ExportItem) -> dict[str, Any]:
    meta = item.article.meta
    return {
        "title": meta.title,
        "author": meta.author,
        "date": meta.date,
        "source": meta.source,
        "tags": [t for t in (sanitize_tag(tag) for tag in tags_union(item.annotations)) if t],
        "source_path": item.article.relpath,
        "source_uri": file_uri(item.article.path),
    }


def _markdown_source_line(item: ExportItem, out_dir: Path) -> str:
    article = item.article
    link = relative_link(article.path, out_dir)
    return f"Source: [{escape_markdown_line(article.relpath)}]({link}) · [file]({file_uri(article.path)})"


def _markdown_highlights(item: ExportItem, used_ids: set[str]) -> list[str]:
    lines: list[str] = []
    for annotation in item.annotations:
        lines += ["", *_markdown_highlight(annotation, used_ids)]
    return lines


def _markdown_title(title: str) -> str:
    return escape_markdown_line(title) or "Untitled"


def render_markdown_article(item: ExportItem, out_dir: Path) -> str:
    """One article's notes as a Markdown file to be written in ``out_dir`` (links are relative to it)."""
    lines = _front_matter(_article_front(item))
    lines += ["", f"# {_markdown_title(item.article.meta.title)}", "", _markdown_source_line(item, out_dir)]
    lines += _markdown_highlights(item, set())
    return "\n".join(lines) + "\n"


def render_markdown_combined(items: Sequence[ExportItem], out_dir: Path, title: str) -> str:
    """Every article's notes in one Markdown file (one ``##`` section per article)."""
    all_annotations = [a for item in items for a in item.annotations]
    front = {
        "title": title,
        "tags": [t for t in (sanitize_tag(tag) for tag in tags_union(all_annotations)) if t],
        "articles": len(items),
        "annotations": len(all_annotations),
        "exported": _now(),
        "generator": GENERATOR,
    }
    lines = [*_front_matter(front), "", f"# {_markdown_title(title)}"]
    used_ids: set[str] = set()
    for item in items:
        meta = item.article.meta
        lines += ["", f"## {_markdown_title(meta.title)}", ""]
        facts = [("Author", meta.author), ("Date", meta.date), ("Source", meta.source)]
        lines += [f"- {name}: {escape_markdown_line(value)}" for name, value in facts if value]
        lines += [
            f"- Path: {escape_markdown_line(item.article.relpath)}",
            "",
            _markdown_source_line(item, out_dir),
        ]
        lines += _markdown_highlights(item, used_ids)
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------- JSON-LD


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def rfc3339(value: str) -> str | None:
    """``value`` as an RFC 3339 timestamp with a zone (UTC assumed when missing); ``None`` if unparseable."""
    parsed = parse_timestamp(value)
    if parsed is None:
        return None
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value.strip()):
        return value.strip()
    return parsed.isoformat().replace("+00:00", "Z")


def annotation_urn(annotation_id: str) -> str:
    """``urn:uuid:<uuid>`` for a UUID id; ids that are already URIs are kept; anything else is hashed."""
    try:
        return uuid.UUID(annotation_id).urn
    except ValueError:
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", annotation_id):
            return annotation_id
        return uuid.uuid5(uuid.NAMESPACE_URL, annotation_id).urn


def stylesheet_for(color: str) -> str:
    background, accent = SWATCHES.get(color, _DEFAULT_SWATCH)
    return f".{color_class(color)} {{ background-color: {background}; border-bottom: 2px solid {accent}; }}"


def annotation_jsonld(annotation: Annotation, article: Article) -> dict[str, Any]:
    """One annotation as a W3C Web Annotation (see the module documentation)."""
    bodies: list[dict[str, Any]] = []
    if annotation.note:
        bodies.append(
            {
                "type": "TextualBody",
                "value": annotation.note,
                "format": "text/markdown",
                "purpose": "commenting",
            }
        )
    bodies += [{"type": "TextualBody", "value": tag, "purpose": "tagging"} for tag in annotation.tags]
    data: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": annotation_urn(annotation.id),
        "type": "Annotation",
        "motivation": "highlighting",
    }
    for key in ("created", "modified"):
        stamp = rfc3339(getattr(annotation, key))
        if stamp is not None:
            data[key] = stamp
    if bodies:
        data["body"] = bodies
    data["stylesheet"] = {"type": "CssStylesheet", "value": stylesheet_for(annotation.color)}
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": annotation.exact}
    if annotation.prefix:
        quote["prefix"] = annotation.prefix
    if annotation.suffix:
        quote["suffix"] = annotation.suffix
    data["target"] = {
        "type": "SpecificResource",
        "source": file_uri(article.path),
        "styleClass": color_class(annotation.color),
        "selector": [
            quote,
            {
                "type": "TextPositionSelector",
                "start": max(0, annotation.start),
                "end": max(0, annotation.end),
            },
        ],
    }
    data[RELPATH_KEY] = article.relpath
    if color_class(annotation.color) != annotation.color:
        data["reader:color"] = annotation.color
    return data


def render_jsonld(items: Sequence[ExportItem], label: str) -> str:
    """An AnnotationCollection with one embedded page holding every annotation of ``items``."""
    annotations = [annotation_jsonld(a, item.article) for item in items for a in item.annotations]
    collection = {
        "@context": ANNO_CONTEXT,
        "id": uuid.uuid4().urn,
        "type": "AnnotationCollection",
        "label": label,
        "total": len(annotations),
        "created": _now(),
        "generator": {"type": "Software", "name": GENERATOR},
        "first": {
            "id": uuid.uuid4().urn,
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": annotations,
        },
    }
    return json.dumps(collection, ensure_ascii=False, indent=2) + "\n"


# ----------------------------------------------------------------------------------------------- HTML

_NOTE_MD = MarkdownIt("commonmark", {"html": False})
_NOTE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_NOTE_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "code": {"class"}}

_CSS = """
:root { color-scheme: light; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Apple SD Gothic Neo",
       sans-serif; color: #1d1d1f; background: #fff; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
h2 { font-size: 1.35rem; margin: 0 0 .4rem; }
.summary, .dates { color: #666; font-size: .85rem; }
nav.toc { border: 1px solid #ddd; border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0 2rem; }
nav.toc ol { margin: .3rem 0; padding-left: 1.4rem; }
section.article { border-top: 2px solid #ccc; padding-top: 1.2rem; margin-top: 2rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; font-size: .9rem;
          margin: 0 0 1rem; }
dl.meta dt { color: #666; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
article.annotation { margin: 1.2rem 0; padding: .2rem 0 .2rem .9rem; border-left: 5px solid var(--accent);
                     break-inside: avoid; page-break-inside: avoid; }
blockquote.quote { margin: 0; }
blockquote.quote p { margin: .2rem 0; }
blockquote.quote mark { background: var(--bg); color: inherit; padding: 0 .1rem;
                        -webkit-box-decoration-break: clone; box-decoration-break: clone; }
.color { font-size: .8rem; color: #555; margin: .3rem 0; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; vertical-align: -.05em;
          background: var(--bg); border: 1px solid var(--accent); }
.note { margin: .4rem 0; }
.note p { margin: .3rem 0; }
.note pre { background: #f5f5f5; padding: .5rem; overflow-x: auto; white-space: pre-wrap; }
ul.tags { list-style: none; padding: 0; margin: .3rem 0; display: flex; flex-wrap: wrap; gap: .3rem; }
ul.tags li { font-size: .8rem; background: #eef; border-radius: 3px; padding: 0 .4rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 11pt; }
  nav.toc { display: none; }
  section.article { break-before: page; page-break-before: always; border-top: none; }
  section.article:first-of-type { break-before: auto; page-break-before: auto; }
  a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def render_note_html(note: str) -> str:
    """A note's Markdown as sanitized HTML: raw HTML is not rendered, images and scripts never survive."""
    rendered = _NOTE_MD.render(note)
    cleaned: str = nh3.clean(
        rendered,
        tags=_NOTE_TAGS,
        attributes=_NOTE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return cleaned


def _swatch_css() -> str:
    rules = []
    for color in (*COLORS, *(c for c in SWATCHES if c not in COLORS)):
        background, accent = SWATCHES[color]
        rules.append(f".c-{color_class(color)} {{ --bg: {background}; --accent: {accent}; }}")
    background, accent = _DEFAULT_SWATCH
    rules.insert(0, f"article.annotation {{ --bg: {background}; --accent: {accent}; }}")
    return "\n".join(rules)


def _html_annotation(annotation: Annotation) -> list[str]:
    esc = html.escape
    paragraphs = [line for line in annotation.exact.split("\n") if line.strip()] or ["…"]
    out = [
        f'<article class="annotation c-{esc(color_class(annotation.color))}" id="ann-{esc(annotation.id)}">',
        '<blockquote class="quote">',
        *(f"<p><mark>{esc(p)}</mark></p>" for p in paragraphs),
        "</blockquote>",
        f'<p class="color"><span class="swatch"></span> {esc(annotation.color)}'
        + (f" · {esc(annotation.status)}" if annotation.status != "anchored" else "")
        + "</p>",
    ]
    if annotation.note.strip():
        out.append(f'<div class="note">{render_note_html(annotation.note)}</div>')
    if annotation.tags:
        out.append('<ul class="tags">' + "".join(f"<li>#{esc(t)}</li>" for t in annotation.tags) + "</ul>")
    out.append(
        f'<p class="dates">created {esc(annotation.created)} · modified {esc(annotation.modified)}</p>'
    )
    out.append("</article>")
    return out


def render_html(items: Sequence[ExportItem], title: str) -> str:
    """One self-contained, printable HTML page with every article's highlights and notes."""
    esc = html.escape
    total = sum(len(item.annotations) for item in items)
    out = [
        "<!DOCTYPE html>",
        '<html lang="und">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{GENERATOR}">',
        f"<title>{esc(title)}</title>",
        "<style>" + _CSS + _swatch_css() + "\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="summary">{total} annotation{"s" if total != 1 else ""} in {len(items)} '
        f"article{'s' if len(items) != 1 else ''} · exported {esc(_now())}</p>",
        "</header>",
    ]
    if len(items) > 1:
        out.append('<nav class="toc"><ol>')
        out += [
            f'<li><a href="#article-{n}">{esc(item.article.meta.title)}</a></li>'
            for n, item in enumerate(items, 1)
        ]
        out.append("</ol></nav>")
    out.append("<main>")
    for n, item in enumerate(items, 1):
        meta = item.article.meta
        lang = f' lang="{esc(meta.language)}"' if meta.language else ""
        out.append(f'<section class="article" id="article-{n}"{lang}>')
        out.append(f"<h2>{esc(meta.title)}</h2>")
        out.append('<dl class="meta">')
        for name, value in (("Author", meta.author), ("Date", meta.date), ("Source", meta.source)):
            if value:
                out.append(f"<dt>{name}</dt><dd>{esc(value)}</dd>")
        href = esc(file_uri(item.article.path))
        out.append(f'<dt>File</dt><dd><a href="{href}">{esc(item.article.relpath)}</a></dd>')
        out.append(f"<dt>Highlights</dt><dd>{len(item.annotations)}</dd>")
        out.append("</dl>")
        for annotation in item.annotations:
            out += _html_annotation(annotation)
        out.append("</section>")
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------- CSV


def csv_cell(value: str) -> str:
    """``value`` guarded against formula injection (a leading ``'`` before ``= + - @``, tab or CR)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def render_csv(items: Sequence[ExportItem], *, bom: bool = False) -> bytes:
    """One row per annotation (columns :data:`CSV_COLUMNS`), UTF-8 (with a BOM when ``bom``), CRLF rows."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        for a in item.annotations:
            row = [
                item.article.meta.title,
                item.article.relpath,
                a.exact,
                a.note,
                a.color,
                CSV_TAG_SEPARATOR.join(a.tags),
                a.created,
                a.modified,
                a.status,
                a.id,
            ]
            writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


# ----------------------------------------------------------------------------------------------- export


def _render(fmt: str, items: Sequence[ExportItem], out_dir: Path, title: str, bom: bool) -> bytes:
    if fmt == "markdown":
        if len(items) == 1 and title == items[0].article.meta.title:
            return render_markdown_article(items[0], out_dir).encode("utf-8")
        return render_markdown_combined(items, out_dir, title).encode("utf-8")
    if fmt == "jsonld":
        return render_jsonld(items, title).encode("utf-8")
    if fmt == "html":
        return render_html(items, title).encode("utf-8")
    return render_csv(items, bom=bom)


def _resolve_items(
    library: Path, items: Sequence[ExportItem] | Sequence[Path] | None, report: ExportReport
) -> list[ExportItem]:
    if items is None:
        return select_items(library, skipped=report.skipped)
    values = list(items)
    if all(isinstance(value, ExportItem) for value in values):
        return cast(list[ExportItem], values)
    if all(isinstance(value, str | os.PathLike) for value in values):
        return select_items(library, [Path(cast(Path, v)) for v in values], skipped=report.skipped)
    raise TypeError("items must be None, a sequence of paths, or a sequence of ExportItem")


def export_notes(
    library: Path,
    items: Sequence[ExportItem] | Sequence[Path] | None,
    fmt: str,
    dest: Path,
    *,
    per_article: bool = False,
    force: bool = False,
    bom: bool = False,
    progress: ProgressCallback | None = None,
    title: str | None = None,
) -> ExportReport:
    """Export the notes of ``items`` from ``library`` as ``fmt`` to ``dest`` (see the module documentation).

    Raises :class:`ExportError` for an unknown format, a destination that cannot be written, or (without
    ``force``) existing files, in which case nothing is written. ``progress(done, total)`` counts articles.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    library = Path(library).resolve()
    report = ExportReport()
    selected = _resolve_items(library, items, report)
    report.articles = len(selected)
    report.annotations = sum(len(item.annotations) for item in selected)
    extension = EXTENSIONS[fmt]
    dest = Path(dest).expanduser()
    plan: list[tuple[Path, bytes]] = []
    total = len(selected)
    try:
        if per_article:
            if dest.exists() and not dest.is_dir():
                raise ExportError(f"not a folder: {dest}")
            dest.mkdir(parents=True, exist_ok=True)
            dest_root = dest.resolve()
            taken: set[str] = set()
            for done, item in enumerate(selected, 1):
                name = safe_filename(
                    item.article.meta.title or Path(item.article.relpath).stem, extension, taken=taken
                )
                path = ensure_inside(dest_root, dest_root / name)
                plan.append((path, _render(fmt, [item], dest_root, item.article.meta.title, bom)))
                if progress is not None:
                    progress(done, total)
        else:
            if dest.is_dir():
                name = safe_filename(f"{library.name or 'library'} notes", extension)
                dest = dest / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest_root = dest.parent.resolve()
            path = ensure_inside(dest_root, dest_root / dest.name)
            label = title or (
                selected[0].article.meta.title
                if len(selected) == 1
                else f"Notes from {library.name or 'library'}"
            )
            plan.append((path, _render(fmt, selected, dest_root, label, bom)))
            if progress is not None:
                progress(total, total)
    except OSError as exc:
        raise ExportError(f"cannot create {dest}: {exc.strerror or exc}") from exc
    report.written = _write_plan(plan, dest_root, force)
    return report
