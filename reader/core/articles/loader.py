"""Reading one source file into an :class:`~reader.core.models.Article`: its one canonical text.

The canonical text is derived deterministically from the file's bytes:

1. bytes -> text (:mod:`reader.core.articles.decode`: BOM, UTF-8, detection; binary files are refused; line
   endings become ``\\n``; NFC);
2. text -> blocks by format (:mod:`.text` for plain text, :mod:`.markdown` for Markdown,
   :mod:`reader.core.articles.html` for HTML); a Markdown file with a line longer than
   :data:`MAX_LINE_CHARS` is read as plain text, and so is pathological HTML;
3. metadata from the explicit fields and the *untrimmed* lines (:mod:`reader.core.articles.metadata`);
4. leading and trailing page boilerplate trimmed (:mod:`reader.core.articles.boilerplate`);
5. blocks joined with one blank line (``"\\n\\n"``); the first block becomes a level-1 heading when it is
   the title.

PDF and EPUB files are parsed from their bytes instead (:mod:`.pdf`, :mod:`.epub`): their blocks carry the
page or chapter, their metadata comes from the document, and nothing is trimmed (the blocks map back to the
document).

``content_hash`` is ``sha256:`` + the hex digest of the canonical text as UTF-8 (:func:`text_hash`).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from reader.core.articles.blocks import RawBlock, assemble
from reader.core.articles.boilerplate import trim
from reader.core.articles.decode import BinaryFileError, decode_bytes
from reader.core.articles.metadata import build_meta, parse_header_block
from reader.core.articles.support import FORMAT_LABELS, format_problem
from reader.core.articles.text import plain_blocks
from reader.core.errors import ArticleReadError, FormatUnavailableError
from reader.core.models import Article

log = logging.getLogger(__name__)

#: Bump whenever a rule above changes the canonical text of some file: it is part of the search index's
#: name, so the index (which holds the canonical texts' terms and copies) is rebuilt.
PIPELINE_VERSION = 2
#: Files larger than this are skipped (not read at all).
MAX_BYTES = 50 * 1024 * 1024
#: Markdown with a line longer than this is read as plain text (the parser's inline rules are superlinear).
MAX_LINE_CHARS = 200_000

Format = Literal["text", "markdown", "html", "pdf", "epub"]
FORMATS: dict[str, Format] = {
    ".txt": "text", ".text": "text", ".rst": "text", ".org": "text",
    ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
    ".pdf": "pdf", ".epub": "epub",
}  # fmt: skip
#: Documents (PDF, EPUB) are parsed from their bytes, not decoded as text.
DOCUMENT_FORMATS = frozenset({"pdf", "epub"})

_CHARSET_RE = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_TITLE_SEPS = ("|", "-", "–", "—", ":")
_FIELD_ALIASES = {
    "title": ("title",),
    "author": ("author", "authors", "byline", "creator"),
    "date": ("date", "published", "created", "pubdate", "date_published"),
    "source": ("source", "site", "site_name", "publisher", "publication"),
    "language": ("language", "lang"),
}


def text_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def format_of(path: Path) -> Format:
    return FORMATS.get(Path(path).suffix.lower(), "text")


def _explicit(fields: dict[str, Any]) -> dict[str, Any]:
    lowered = {str(k).lower(): v for k, v in fields.items()}
    out: dict[str, Any] = {}
    for name, keys in _FIELD_ALIASES.items():
        for key in keys:
            if lowered.get(key) not in (None, "", []):
                out[name] = lowered[key]
                break
    return out


def _html_title(meta: dict[str, str]) -> str | None:
    title = meta.get("title") or meta.get("html_title")
    site = meta.get("source")
    if title and site and title == meta.get("html_title"):
        for sep in (" | ", " - ", " – ", " — ", " :: "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)]
    return title


def parse_source(text: str, fmt: Format) -> tuple[list[RawBlock], dict[str, Any], list[str]]:
    """Blocks, explicit metadata and the untrimmed lines (for heuristics) of decoded ``text``."""
    explicit: dict[str, Any] = {}
    # Format modules are imported here, not at the top: a format whose libraries are missing must not stop
    # the others from loading (see :mod:`.support`).
    if fmt == "html":
        from reader.core.articles.html import extract_html

        result = extract_html(text)
        explicit = {k: v for k, v in result.meta.items() if k in ("author", "date", "source", "language")}
        title = _html_title(result.meta)
        blocks = result.blocks
        if title and title == result.meta.get("html_title"):
            heading = next((b.text.strip() for b in blocks[:3] if b.kind == "heading"), "")
            if heading and title.startswith(heading) and title[len(heading) :].strip()[:1] in _TITLE_SEPS:
                title = heading
        if title and result.mode != "plain":
            explicit["title"] = title
            if not any(" ".join(b.text.split()) == title for b in blocks[:3]):
                blocks = [RawBlock("heading", title, 1), *blocks]
        return blocks, explicit, [line for b in blocks for line in b.text.split("\n")]
    if fmt == "markdown":
        from reader.core.articles.markdown import markdown_blocks, split_front_matter

        front, body = split_front_matter(text)
        if front is not None:
            explicit = _explicit(front)
        else:
            fields, end = parse_header_block(body)
            if fields:
                explicit, body = _explicit(fields), body[end:]
        if len(body) > MAX_LINE_CHARS and max(map(len, body.split("\n"))) > MAX_LINE_CHARS:
            log.info("Markdown with a very long line read as plain text")
            blocks = plain_blocks(body)
        else:
            blocks = markdown_blocks(body)
        return blocks, explicit, [line for b in blocks for line in b.text.split("\n")]
    fields, _end = parse_header_block(text)
    return plain_blocks(text), _explicit(fields), text.split("\n")


def _read(path: Path, rel: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ArticleReadError(
                rel, f"too large ({size / 1048576:.0f} MB; the limit is {MAX_BYTES >> 20} MB)"
            )
        with path.open("rb") as handle:
            # read(size + 1), not read(MAX_BYTES + 1): the latter allocates a 50 MB buffer for every file.
            data = handle.read(size + 1)
            if len(data) > size:  # the file grew since stat: read on, up to the limit
                data += handle.read(MAX_BYTES + 1 - len(data))
    except PermissionError as exc:
        raise ArticleReadError(rel, "cannot be read (permission denied)") from exc
    except OSError as exc:
        raise ArticleReadError(rel, f"cannot be read ({exc.strerror or exc})") from exc
    if len(data) > MAX_BYTES:
        raise ArticleReadError(rel, f"too large (the limit is {MAX_BYTES >> 20} MB)")
    return data


def article_from_bytes(data: bytes, path: Path, rel: str) -> Article:
    """The article for ``data`` read from ``path`` (exposed for tests and importers)."""
    fmt = format_of(path)
    problem = format_problem(fmt)
    if problem is not None:
        raise FormatUnavailableError(rel, problem)
    if fmt in DOCUMENT_FORMATS:
        return _document_article(data, Path(path), rel, fmt)
    declared = None
    if fmt == "html":
        m = _CHARSET_RE.search(data[:4096])
        declared = m.group(1).decode("ascii", "replace") if m else None
    try:
        decoded = decode_bytes(data, declared=declared)
    except BinaryFileError as exc:
        raise ArticleReadError(rel, str(exc)) from exc
    try:
        raw, explicit, lines = parse_source(decoded.text, fmt)
    except Exception as exc:
        raise _reader_failed(exc, fmt, rel) from exc
    raw = trim(raw, [b.text for b in raw])
    text, blocks, links = assemble(raw)
    meta = build_meta(explicit=explicit, lines=lines, text=text, fallback_title=Path(path).stem)
    first = blocks[0] if blocks else None
    if first and first.kind in ("paragraph", "heading") and text[first.start : first.end] == meta.title:
        blocks = (replace(blocks[0], kind="heading", level=1), *blocks[1:])
    return Article(
        path=Path(path),
        relpath=rel,
        text=text,
        blocks=blocks,
        meta=meta,
        format=fmt,
        encoding=decoded.encoding,
        content_hash=text_hash(text),
        links=links,
    )


def _reader_failed(exc: Exception, fmt: str, rel: str) -> ArticleReadError:
    log.warning("the %s reader failed on %s", fmt, rel, exc_info=exc)
    detail = (str(exc).strip().splitlines() or [""])[0][:200]
    reason = f"the {FORMAT_LABELS.get(fmt, fmt)} reader failed on this file ({type(exc).__name__}"
    return ArticleReadError(rel, reason + (f": {detail})" if detail else ")"))


def _document_article(data: bytes, path: Path, rel: str, fmt: Format) -> Article:
    """A PDF or EPUB: blocks and metadata from :mod:`.pdf` / :mod:`.epub`; no boilerplate trimming (the
    blocks map back to the document: PDF character boxes, EPUB chapters)."""
    toc: tuple[tuple[str, int], ...] = ()
    try:
        if fmt == "pdf":
            from reader.core.articles.pdf import pdf_raw_blocks

            raw, explicit, extra, toc_at = pdf_raw_blocks(data, rel)
        else:
            from reader.core.articles.epub import epub_raw_blocks

            raw, explicit, extra, toc_at = epub_raw_blocks(data, rel)
    except ArticleReadError:
        raise
    except Exception as exc:
        raise _reader_failed(exc, fmt, rel) from exc
    text, blocks, links = assemble(raw)
    if toc_at:
        toc = tuple((title, blocks[i].start) for title, i in toc_at if i < len(blocks))
    meta = build_meta(explicit=explicit, lines=[], text=text, fallback_title=path.stem)
    meta = replace(meta, **extra)
    return Article(
        path=path,
        relpath=rel,
        text=text,
        blocks=blocks,
        meta=meta,
        format=fmt,
        encoding="utf-8" if fmt == "epub" else "binary",
        content_hash=text_hash(text),
        links=links,
        toc=toc,
    )


def relpath_of(path: Path, root: Path | None) -> str:
    path = Path(path)
    if root is None:
        return path.name
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def load_article(path: Path, root: Path | None = None) -> Article:
    """Read ``path`` and return its canonical article. Raises :class:`ArticleReadError`."""
    path = Path(path)
    rel = relpath_of(path, root)
    return article_from_bytes(_read(path, rel), path, rel)
