"""Markdown into blocks, through markdown-it-py (CommonMark plus tables and strikethrough): soft line breaks
become spaces, images and inline HTML are dropped, links are kept for http/https/mailto. YAML front matter
is split off first (:func:`split_front_matter`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from markdown_it import MarkdownIt

from reader.core.articles.blocks import RULE_TEXT, RawBlock, allowed_href
from reader.core.articles.html import strip_tags

log = logging.getLogger(__name__)

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
