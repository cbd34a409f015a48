"""Walking a tree into blocks: an HTML tree (the sanitized body) or trafilatura's XML output (the extract).

Block elements (:data:`BLOCK_TAGS`, list items, listings, quotes, table rows) start and end blocks; headings
keep their level, list items their depth, quotes theirs; ``<br>`` is a space (a line break in a listing);
table cells are joined with `` | ``; links are kept for http/https/mailto (:func:`allowed_href`). Outside
listings, each run of spaces, tabs and line breaks becomes one space.
"""

from __future__ import annotations

import re
from typing import Any

from reader.core.articles.blocks import RawBlock, allowed_href

BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul",
     "ol", "section", "article", "header", "footer", "main", "aside", "nav", "figure", "figcaption", "dd",
     "dt", "hr", "title"}
)  # fmt: skip

_XML_TAGS = {"head": "h", "item": "li", "list": "ul", "quote": "blockquote", "ref": "a", "lb": "br",
             "row": "tr", "cell": "td", "code": "pre", "hi": "span", "del": "s"}  # fmt: skip


_HEADING_TAG_RE = re.compile(r"h[1-6]")
#: The runs of ``[ \t\r\n]`` that collapsing into one space changes: a lone space is left alone (most of a
#: text's whitespace), which gives the same text as replacing every run.
_SPACE_RUN_RE = re.compile(r"[ \t\r\n]{2,}|[\t\r\n]")


class _Walker:
    """Turns a tree (HTML or trafilatura XML) into blocks."""

    def __init__(self, xml: bool) -> None:
        self.xml = xml
        self.blocks: list[RawBlock] = []
        self.buf: list[str] = []
        self.links: list[tuple[int, int, str]] = []
        self.pos = 0
        self.kind: Any = "paragraph"
        self.level = 0
        self.list_depth = 0
        self.quote_depth = 0

    def flush(self) -> None:
        text = "".join(self.buf)
        if text.strip():
            if self.kind != "code":
                text = _SPACE_RUN_RE.sub(" ", text)
            self.blocks.append(RawBlock(self.kind, text, self.level, self.links))
        self.buf, self.links, self.pos = [], [], 0

    def add(self, text: str | None) -> None:
        if text:
            self.buf.append(text)
            self.pos += len(text)

    def start_block(self, kind: str, level: int = 0) -> None:
        self.flush()
        self.kind, self.level = kind, level

    def tag_of(self, el: Any) -> str:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if self.xml:
            if tag == "head":
                rend = str(el.get("rend", "h2"))
                return rend if _HEADING_TAG_RE.fullmatch(rend) else "h2"
            if tag == "list":
                return "ol" if el.get("rend") == "ol" else "ul"
            return _XML_TAGS.get(tag, tag)
        return tag

    def walk(self, el: Any) -> None:
        tag = self.tag_of(el)
        if tag in ("script", "style", "img", "graphic", "comments"):
            self.add_tail(el)
            return
        ctx = (self.kind, self.level)
        if _HEADING_TAG_RE.fullmatch(tag):
            self.start_block("heading", int(tag[1]))
        elif tag == "li":
            self.start_block("list_item", self.list_depth)
        elif tag in ("p", "div", "section", "article", "main", "figcaption", "dd", "dt", "tr"):
            self.start_block(self.inherit(), self.level if self.kind == "list_item" else self.quote_depth)
        elif tag == "pre":
            self.start_block("code")
        elif tag == "hr":
            self.start_block("rule")
            self.add("* * *")
        elif tag in ("ul", "ol"):
            self.list_depth += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self.start_block("quote", self.quote_depth)
        elif tag == "br":
            self.add("\n" if self.kind == "code" else " ")
        elif tag in ("td", "th") and self.buf:
            self.add(" | ")
        start = self.pos
        self.add(el.text)
        for child in el:
            self.walk(child)
        if tag == "a":
            href = allowed_href(el.get("target") if self.xml else el.get("href"))
            if href and self.pos > start:
                self.links.append((start, self.pos, href))
        if tag in ("ul", "ol"):
            self.list_depth -= 1
        elif tag == "blockquote":
            self.quote_depth -= 1
        if tag != "br" and (tag in BLOCK_TAGS or tag in ("li", "pre", "blockquote", "tr")):
            self.flush()
            self.kind, self.level = ctx
            if self.kind in ("heading", "code", "rule"):
                self.kind, self.level = self.inherit(), 0
        self.add_tail(el)

    def inherit(self) -> str:
        if self.list_depth and self.kind == "list_item":
            return "list_item"
        return "quote" if self.quote_depth else "paragraph"

    def add_tail(self, el: Any) -> None:
        self.add(el.tail)


def walk_blocks(root: Any, xml: bool) -> list[RawBlock]:
    """The blocks of ``root``: an HTML tree (``xml=False``) or trafilatura's XML output (``xml=True``)."""
    walker = _Walker(xml)
    walker.walk(root)
    walker.flush()
    return walker.blocks
