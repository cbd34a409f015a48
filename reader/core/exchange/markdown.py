"""Markdown export: note-vault files in CommonMark that render in Obsidian.

Format: YAML front matter (title, author, date, source, tags = the union of the article's annotation tags,
source_path, source_uri, citekey: the article's citation key); each highlight is a blockquote whose text is
backslash-escaped (every line prefixed with ``> ``), its last line ending with a Pandoc citation
(``[@lee2025fetal]``, ``[@lee2025fetal, p. 84]`` when the passage is on a PDF page), and whose next
paragraph names the colour (``> — *yellow*``); when the passage is not an exact
match, a last paragraph says so (``> *(approximate match: the passage changed since this note was made)*``
for ``fuzzy``, ``> *(passage not found in the current text)*`` for ``orphaned``). Then come an Obsidian
block id on its own paragraph (``^`` + the first 8 hex digits of the annotation UUID), the note as the
user's own Markdown (wrapped in a code fence if it would otherwise swallow the rest of the file, e.g. an
unclosed fence), and the tags as ``#tags``.

In a per-article file (:func:`render_markdown_article`, a vault file) each highlight's generated lines are
wrapped in two HTML comments that no Markdown viewer shows, ``<!-- reader:begin <annotation id> -->`` and
``<!-- reader:end <annotation id> -->``: the marked region :mod:`.vault` reads back and regenerates when it
syncs the vault (everything outside the markers belongs to the user).

:func:`render_markdown_article` writes one article's file (a note vault: one file per article);
:func:`render_markdown_combined` writes every article in one file, one ``##`` section each.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt

from reader.core.exchange.citations import article_citekey, pandoc_citation
from reader.core.exchange.presentation import (
    GENERATOR,
    annotation_link,
    block_at,
    color_label,
    file_uri,
    has_position,
    relative_link,
    status_notice,
)
from reader.core.exchange.selection import ExportItem
from reader.core.models import Annotation, Article, now_iso

_MD_ESCAPE = re.compile(r"([\\`*_\[\]<>#|~=^&$%!{}])")
_ORDERED_LIST = re.compile(r"^(\d{1,9})([.)])")
_FENCE_RUN = re.compile(r"`+")
_SENTINEL = "reader-export-sentinel-7f3a"
_COMMONMARK = MarkdownIt("commonmark")

#: The markers around a highlight's region in a vault file (full lines; ``{id}`` is the annotation id).
REGION_BEGIN = "<!-- reader:begin {id} -->"
REGION_END = "<!-- reader:end {id} -->"


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


def quote_citation(article: Article, annotation: Annotation, key: str) -> str:
    """The Pandoc citation that ends a quote: ``[@key]``, with the page (its printed label where the PDF has
    labels) of the block the passage starts in."""
    block = block_at(article, annotation.start) if has_position(annotation) else None
    page = (block.page_label or block.page) if block is not None else None
    return pandoc_citation(key, page)


def highlight_extras(article: Article, annotation: Annotation, key: str) -> tuple[str, str, str]:
    """What :func:`highlight_head` adds for ``annotation`` of ``article``: its citation, its link and the
    label of its colour."""
    return (
        quote_citation(article, annotation, key),
        annotation_link(article, annotation),
        color_label(article, annotation.color),
    )


def highlight_head(annotation: Annotation, citation: str = "", link: str = "", label: str = "") -> list[str]:
    """The generated lines before the block id: the quote (ending with ``citation``), its colour (with its
    ``label`` and ``link``, which opens the reader at the highlight) and its anchoring notice."""
    lines = markdown_blockquote(annotation.exact)
    if citation:
        lines[-1] += " " + citation
    colour = f"> — *{escape_markdown_line(annotation.color)}*"
    if label:
        colour += f" ({escape_markdown_line(label)})"
    lines += [">", colour + (f" · [open in reader](<{link}>)" if link else "")]
    notice = status_notice(annotation)
    if notice is not None:
        lines += [">", f"> *({escape_markdown_line(notice)})*"]
    return lines


def note_and_tags(note: str, tags: Sequence[str]) -> list[str]:
    """The lines after the block id: the note (see :func:`markdown_note`) and the tags as ``#tags``."""
    lines: list[str] = []
    rendered = markdown_note(note)
    if rendered:
        lines += ["", *rendered]
    kept = [t for t in (sanitize_tag(tag) for tag in tags) if t]
    if kept:
        lines += ["", " ".join("#" + t for t in kept)]
    return lines


def _markdown_highlight(
    annotation: Annotation, used_ids: set[str], citation: str = "", link: str = "", label: str = ""
) -> list[str]:
    lines = highlight_head(annotation, citation, link, label)
    lines += ["", "^" + block_id(annotation.id, used_ids)]
    return lines + note_and_tags(annotation.note, annotation.tags)


def highlight_region(
    annotation: Annotation, used_ids: set[str], citation: str = "", link: str = "", label: str = ""
) -> list[str]:
    """A highlight's lines between its ``reader:begin`` and ``reader:end`` markers (included)."""
    return [
        REGION_BEGIN.format(id=annotation.id),
        *_markdown_highlight(annotation, used_ids, citation, link, label),
        REGION_END.format(id=annotation.id),
    ]


def front_matter_lines(data: dict[str, Any]) -> list[str]:
    """YAML front matter between ``---`` lines."""
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=4096)
    return ["---", *dumped.rstrip("\n").split("\n"), "---"]


def article_front(item: ExportItem) -> dict[str, Any]:
    """The front matter of an article's file (the reader's keys)."""
    meta = item.article.meta
    return {
        "title": meta.title,
        "author": meta.author,
        "date": meta.date,
        "source": meta.source,
        "tags": [t for t in (sanitize_tag(tag) for tag in tags_union(item.annotations)) if t],
        "source_path": item.article.relpath,
        "source_uri": file_uri(item.article.path),
        "citekey": article_citekey(item.article),
    }


def _markdown_source_line(item: ExportItem, out_dir: Path) -> str:
    article = item.article
    link = relative_link(article.path, out_dir)
    return f"Source: [{escape_markdown_line(article.relpath)}]({link}) · [file]({file_uri(article.path)})"


def _markdown_highlights(item: ExportItem, used_ids: set[str], *, markers: bool = False) -> list[str]:
    lines: list[str] = []
    key = article_citekey(item.article)
    for annotation in item.annotations:
        extras = highlight_extras(item.article, annotation, key)
        if markers:
            lines += ["", *highlight_region(annotation, used_ids, *extras)]
        else:
            lines += ["", *_markdown_highlight(annotation, used_ids, *extras)]
    return lines


def _markdown_title(title: str) -> str:
    return escape_markdown_line(title) or "Untitled"


def render_markdown_article(item: ExportItem, out_dir: Path) -> str:
    """One article's notes as a Markdown file to be written in ``out_dir`` (links are relative to it).

    Each highlight is a marked region (``reader:begin``/``reader:end``), so the file can be synced back."""
    lines = front_matter_lines(article_front(item))
    lines += ["", f"# {_markdown_title(item.article.meta.title)}", "", _markdown_source_line(item, out_dir)]
    lines += _markdown_highlights(item, set(), markers=True)
    return "\n".join(lines) + "\n"


def render_markdown_combined(items: Sequence[ExportItem], out_dir: Path, title: str) -> str:
    """Every article's notes in one Markdown file (one ``##`` section per article)."""
    all_annotations = [a for item in items for a in item.annotations]
    front = {
        "title": title,
        "tags": [t for t in (sanitize_tag(tag) for tag in tags_union(all_annotations)) if t],
        "articles": len(items),
        "annotations": len(all_annotations),
        "exported": now_iso(),
        "generator": GENERATOR,
    }
    lines = [*front_matter_lines(front), "", f"# {_markdown_title(title)}"]
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
