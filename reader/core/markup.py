"""From source text to blocks: the shared block builder, plain-text segmentation and Markdown.

Every format is first turned into a list of :class:`RawBlock` (kind, text, level, links relative to the
block), which :func:`assemble` joins into the canonical text. **Blocks are always separated by one blank
line** (``"\\n\\n"``): the text reads well on its own (``python -m reader text``), and each
:class:`~reader.core.models.Block` is exactly ``text[start:end]``.

Plain text (``.txt``, ``.rst``, ``.org``; also the fallback for pathological Markdown/HTML):

- Runs of non-blank lines are the unit. A run whose lines are all short (<= 100 characters) and has no list
  markers is *hard-wrapped prose* and stays one paragraph block with its line breaks (PEPs, e-mails).
- Otherwise (clippings, where each paragraph is one long line) every line is its own block: list items
  (``-``, ``*``, ``•``: marker dropped; ``1.``: number kept), short headline-like lines followed by a long
  line become headings (level 2), the rest paragraphs. Indented continuation lines stay with their item.
- reStructuredText/setext underlined titles (``Title`` over ``=====``) become headings without the rule.
- Runs indented by four or more spaces are code (indentation kept).

Markdown goes through markdown-it-py (CommonMark plus tables and strikethrough): soft line breaks become
spaces, images and inline HTML are dropped, links are kept for http/https/mailto.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt

from reader.core.models import Block, BlockKind, Link

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
RULE_TEXT = "* * *"
#: Lines longer than this are "long": a run with one is a clipping (one paragraph per line).
WRAP_WIDTH = 100

_LIST_RE = re.compile(r"^(\s*)(?:([-*+•·▪◦‣])|(\d{1,3}[.)]))\s+(?=\S)")
_UNDERLINE_RE = re.compile(r"^([=\-~^*#+\"'`:._])\1{2,}\s*$")
_HEADING_END = tuple('.,:;!?"”’)…')


@dataclass(slots=True)
class RawBlock:
    kind: BlockKind
    text: str
    level: int = 0
    links: list[tuple[int, int, str]] = field(default_factory=list)


def allowed_href(href: str | None) -> str | None:
    """``href`` when it is an absolute http/https/mailto link, else ``None``."""
    if not href:
        return None
    href = href.strip()
    return href if href.lower().startswith(ALLOWED_SCHEMES) else None


def assemble(raw: list[RawBlock]) -> tuple[str, tuple[Block, ...], tuple[Link, ...]]:
    """Join blocks with ``"\\n\\n"``; empty blocks are dropped and each block's text is trimmed."""
    parts: list[str] = []
    blocks: list[Block] = []
    links: list[Link] = []
    pos = 0
    for item in raw:
        text = item.text
        if item.kind == "code":
            text = text.strip("\n").rstrip()
            lead = 0
        else:
            stripped = text.strip()
            lead = len(text) - len(text.lstrip())
            text = stripped
        if not text.strip():
            continue
        if parts:
            pos += 2
        parts.append(text)
        blocks.append(Block(item.kind, pos, pos + len(text), item.level))
        for start, end, href in item.links:
            s, e = max(0, start - lead), min(len(text), end - lead)
            if e > s:
                links.append(Link(pos + s, pos + e, href))
        pos += len(text)
    return "\n\n".join(parts), tuple(blocks), tuple(links)


# ------------------------------------------------------------------------------------------- plain text


def _looks_like_heading(line: str, following: str | None) -> bool:
    s = line.strip()
    return (
        following is not None
        and len(following.strip()) > WRAP_WIDTH
        and 0 < len(s) <= 90
        and len(s.split()) <= 12
        and not s.endswith(_HEADING_END)
        and (s[0].isupper() or s[0].isdigit() or not s[0].isascii())
    )


def _per_line_blocks(lines: list[str]) -> list[RawBlock]:
    out: list[RawBlock] = []
    for i, line in enumerate(lines):
        m = _LIST_RE.match(line)
        if m:
            depth = len(m.group(1).expandtabs(4)) // 2 + 1
            body = line[m.end() :] if m.group(2) else line[len(m.group(1)) :]
            out.append(RawBlock("list_item", body, depth))
        elif out and out[-1].kind == "list_item" and line[:1] in (" ", "\t"):
            out[-1].text += "\n" + line.strip()
        elif _looks_like_heading(line, lines[i + 1] if i + 1 < len(lines) else None):
            out.append(RawBlock("heading", line, 2))
        else:
            out.append(RawBlock("paragraph", line))
    return out


def _run_blocks(lines: list[str]) -> list[RawBlock]:
    """Blocks of one run of non-blank lines (no setext headings inside)."""
    if all(line.startswith(("    ", "\t")) for line in lines):
        return [RawBlock("code", "\n".join(lines))]
    hard_wrapped = all(len(line) <= WRAP_WIDTH for line in lines) and not any(
        _LIST_RE.match(line) for line in lines
    )
    if hard_wrapped:
        return [RawBlock("paragraph", "\n".join(line.strip() for line in lines))]
    return _per_line_blocks(lines)


def _split_setext(lines: list[str]) -> list[RawBlock]:
    out: list[RawBlock] = []
    pending: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        title = line.strip()
        if (
            title
            and _UNDERLINE_RE.match(nxt)
            and not _UNDERLINE_RE.match(line)
            and len(nxt.strip()) >= len(title)
            and len(title) <= 120
        ):
            if pending and _UNDERLINE_RE.match(pending[-1]) and pending[-1].strip()[0] == nxt.strip()[0]:
                pending.pop()  # overline of an over-and-underlined title
            if pending:
                out.extend(_run_blocks(pending))
                pending = []
            level = {"=": 1, "-": 2, "~": 3, "^": 4}.get(nxt.strip()[0], 2)
            out.append(RawBlock("heading", title, level))
            i += 2
            continue
        pending.append(line)
        i += 1
    if pending:
        out.extend(_run_blocks(pending))
    return out


def plain_blocks(text: str) -> list[RawBlock]:
    """Segment plain text into blocks (see the module docstring)."""
    out: list[RawBlock] = []
    run: list[str] = []
    for line in [*text.split("\n"), ""]:
        if line.strip():
            run.append(line.rstrip())
        elif run:
            out.extend(_split_setext(run))
            run = []
    return out


# --------------------------------------------------------------------------------------------- markdown

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """YAML front matter (a mapping) and the rest; ``(None, text)`` when absent or not valid YAML."""
    import yaml

    m = _FRONT_MATTER_RE.match(text[: 64 * 1024])
    if not m:
        return None, text
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        log.info("front matter is not valid YAML (%s); kept as text", str(exc).splitlines()[0])
        return None, text
    if not isinstance(data, dict):
        return None, text
    return {str(k): v for k, v in data.items()}, text[m.end() :]


def _inline(token: Any) -> tuple[str, list[tuple[int, int, str]]]:
    parts: list[str] = []
    links: list[tuple[int, int, str]] = []
    pos = 0
    open_links: list[tuple[int, str | None]] = []
    for child in token.children or []:
        piece = ""
        if child.type in ("text", "code_inline"):
            piece = child.content
        elif child.type == "softbreak":
            piece = " "
        elif child.type == "hardbreak":
            piece = "\n"
        elif child.type == "link_open":
            open_links.append((pos, allowed_href(str(child.attrs.get("href", "")))))
        elif child.type == "link_close" and open_links:
            start, href = open_links.pop()
            if href and pos > start:
                links.append((start, pos, href))
        parts.append(piece)
        pos += len(piece)
    return "".join(parts), links


def markdown_blocks(text: str) -> list[RawBlock]:
    """Blocks of a Markdown document (front matter already removed)."""
    from reader.core.html_extract import strip_tags

    tokens = _MD.parse(text)
    out: list[RawBlock] = []
    list_depth = 0
    quote_depth = 0
    item_prefix: list[str] = []
    heading_level = 0
    row: list[str] = []
    in_cell = False
    for tok in tokens:
        t = tok.type
        if t in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif t in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif t == "list_item_open":
            item_prefix.append(f"{tok.info}{tok.markup} " if tok.info else "")
        elif t == "list_item_close":
            item_prefix.pop()
        elif t == "blockquote_open":
            quote_depth += 1
        elif t == "blockquote_close":
            quote_depth -= 1
        elif t == "heading_open":
            heading_level = int(tok.tag[1:])
        elif t == "heading_close":
            heading_level = 0
        elif t == "tr_open":
            row = []
        elif t == "tr_close":
            out.append(RawBlock("paragraph", " | ".join(row)))
        elif t in ("th_open", "td_open"):
            in_cell = True
        elif t in ("th_close", "td_close"):
            in_cell = False
        elif t == "inline":
            body, links = _inline(tok)
            if in_cell:
                row.append(body.strip())
            elif heading_level:
                out.append(RawBlock("heading", body, heading_level, links))
            elif list_depth:
                prefix = item_prefix[-1] if item_prefix else ""
                item_prefix[-1:] = [""] if item_prefix else []
                shifted = [(s + len(prefix), e + len(prefix), h) for s, e, h in links]
                out.append(RawBlock("list_item", prefix + body, list_depth, shifted))
            elif quote_depth:
                out.append(RawBlock("quote", body, quote_depth, links))
            else:
                out.append(RawBlock("paragraph", body, 0, links))
        elif t in ("fence", "code_block"):
            out.append(RawBlock("code", tok.content))
        elif t == "hr":
            out.append(RawBlock("rule", RULE_TEXT))
        elif t == "html_block":
            out.extend(RawBlock("paragraph", para) for para in strip_tags(tok.content).split("\n\n"))
    return out
