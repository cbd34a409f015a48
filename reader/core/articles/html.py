"""HTML articles: main-content extraction, sanitizing, blocks, and the page's own metadata.

Pipeline (measured on the fixtures in ``tests/unit/fixtures/articles``, see the issue-3 report):

1. A linear pre-scan (:func:`complexity_problem`) rejects pages that would make tree builders slow or lossy:
   element nesting deeper than :data:`MAX_DEPTH` (lxml truncates at 255 levels; lexbor and html5ever are
   quadratic on 100,000 nested divs), more than :data:`MAX_TABLE_DEPTH` nested tables, or a line longer
   than :data:`MAX_LINE_CHARS`. Such pages fall back to plain text via :func:`strip_tags` (linear).
2. The page is prepared for extraction (:func:`prepare_for_extraction`): each ``<pre>`` listing becomes one
   plain-text ``<pre><code>`` (lines from ``<br>`` and per-line ``<div>`` elements, indentation kept), inline
   code elements (``<code>`` in running text, ``<kbd>``, ``<samp>``, ``<tt>``, ``<var>``) are unwrapped into
   their sentence, and whitespace next to inline elements (between two links, before or after one) becomes
   a marker character, because trafilatura drops it (``<a>sovereign</a> <a>island</a>`` came out as
   "sovereignisland", ``—&thinsp;<a>Fred</a>`` as "—Fred"); the marker becomes a space after extraction.
3. trafilatura extracts the main content as structured XML (headings, paragraphs, lists, quotes, code,
   links); navigation, comments, sidebars, scripts, styles and images are dropped.
4. When trafilatura finds nothing, or flattens a small page into one paragraph (its fallback does that to
   saved notes: one extracted block, three or more body blocks, the body at most :data:`BODY_RATIO` times
   longer), the body itself is used instead: nh3 sanitizes it to
   a small allow-list (no scripts, styles, forms, navigation, images or other remote resources; links
   only http/https/mailto), and lxml walks the result.

Metadata (title, author, dates, site, language) comes from :mod:`reader.core.articles.html_meta`.
"""

from __future__ import annotations

import html as _html
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import nh3
from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from reader.core.articles.blocks import RawBlock
from reader.core.articles.html_meta import html_metadata, parse_document
from reader.core.articles.html_trafilatura import extract_xml
from reader.core.articles.html_walk import BLOCK_TAGS, walk_blocks

log = logging.getLogger(__name__)

MAX_DEPTH = 200
MAX_TABLE_DEPTH = 8
MAX_LINE_CHARS = 500_000
#: The body is preferred to trafilatura's extract when it is at most this much longer.
BODY_RATIO = 1.5

_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
     "wbr", "p", "li", "td", "th", "tr", "option"}
)  # fmt: skip
_DROP_CONTENT = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
_ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "a", "br",
    "em", "strong", "b", "i", "u", "s", "sub", "sup", "span", "div", "table", "thead", "tbody", "tr", "td",
    "th", "section", "article", "main", "figure", "figcaption", "dl", "dt", "dd", "hr", "mark", "small",
}  # fmt: skip
_CLEAN_CONTENT = {
    "script", "style", "nav", "header", "footer", "aside", "form", "noscript", "iframe", "object", "embed",
    "template", "svg", "button", "select", "textarea", "title", "head",
}  # fmt: skip


@dataclass(slots=True)
class HtmlResult:
    blocks: list[RawBlock]
    meta: dict[str, str] = field(default_factory=dict)
    mode: str = "extract"  #: "extract" (trafilatura), "body" (sanitized body) or "plain" (fallback)


def complexity_problem(source: str) -> str | None:
    """Why ``source`` should not be given to a tree builder, or ``None``. Linear in the input."""
    if len(source) > MAX_LINE_CHARS and max(map(len, source.split("\n"))) > MAX_LINE_CHARS:
        return "a line longer than the limit"
    depth = table_depth = 0
    for m in _TAG_RE.finditer(source):
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if name in _VOID or self_closing:
            continue
        delta = -1 if closing else 1
        depth = max(0, depth + delta)
        if name == "table":
            table_depth = max(0, table_depth + delta)
            if table_depth > MAX_TABLE_DEPTH:
                return f"tables nested more than {MAX_TABLE_DEPTH} deep"
        if depth > MAX_DEPTH:
            return f"elements nested more than {MAX_DEPTH} deep"
    return None


def strip_tags(source: str) -> str:
    """Plain text of ``source`` without a tree: tags removed, block tags become paragraph breaks."""
    out: list[str] = []
    pos = 0
    lowered = source.lower()
    for m in _TAG_RE.finditer(source):
        if m.start() < pos:
            continue
        out.append(source[pos : m.start()])
        pos = m.end()
        name = m.group(2).lower()
        if name in BLOCK_TAGS:
            out.append("\n\n")
        if name in _DROP_CONTENT and not m.group(1) and not m.group(3):
            end = lowered.find(f"</{name}", pos)
            pos = len(source) if end < 0 else end
    out.append(source[pos:])
    text = _html.unescape("".join(out)).replace("\xa0", " ")
    paragraphs = (
        re.sub(r"[ \t]*\n[ \t]*", "\n", re.sub(r"[ \t]+", " ", p)).strip() for p in text.split("\n\n")
    )
    return "\n\n".join(p for p in paragraphs if p)


# ------------------------------------------------------------------------------------------- preparing

#: Characters that stand for kept whitespace during extraction: the first one the page does not contain is
#: used. Printable (trafilatura removes unprintable characters), not whitespace (it trims whitespace).
SPACE_MARKERS = ("\u2bd1", "\u2bd2", "\u2e3f", "\ua9c1")
_INLINE_TAGS = frozenset(
    {"a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font",
     "i", "ins", "kbd", "label", "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong", "sub",
     "sup", "time", "tt", "u", "var"}
)  # fmt: skip
_INLINE_CODE = ("code", "kbd", "samp", "tt", "var")
#: Elements that start a new line inside a listing (as a browser renders them inside ``<pre>``).
_LISTING_LINE_TAGS = frozenset(
    {"div", "p", "li", "tr", "pre", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "section", "article", "header", "footer"}
)  # fmt: skip
#: Where a multi-line ``<code>`` outside ``<pre>`` is a listing of its own rather than part of a sentence.
_CODE_BLOCK_PARENTS = frozenset({"body", "div", "section", "article", "main", "figure", "blockquote"})


def _tag(el: Any) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def listing_text(pre: Any) -> str:
    """The text of a ``<pre>`` element as a browser shows it: ``<br>`` and per-line blocks break lines."""
    parts: list[str] = []

    def newline() -> None:
        if parts and not parts[-1].endswith("\n"):
            parts.append("\n")

    def visit(el: Any) -> None:
        tag = _tag(el)
        if tag == "br":
            parts.append("\n")
        elif tag in _LISTING_LINE_TAGS:
            newline()
        if tag and tag not in ("script", "style") and el.text:
            parts.append(el.text)
        for child in el:
            visit(child)
            if child.tail:
                parts.append(child.tail)
        if tag in _LISTING_LINE_TAGS and el is not pre:
            newline()

    visit(pre)
    return "".join(part for part in parts if part).replace("\xa0", " ")


def _normalize_listings(root: Any) -> None:
    """Each outermost ``<pre>`` becomes ``<pre><code>TEXT</code></pre>`` with its whole text."""
    for pre in [p for p in root.iter("pre") if not any(_tag(a) == "pre" for a in p.iterancestors())]:
        text = listing_text(pre)
        for child in list(pre):
            pre.remove(child)
        pre.text = None
        etree.SubElement(pre, "code").text = text


def _unwrap_inline_code(root: Any) -> None:
    """Inline code joins its sentence; a multi-line ``<code>`` standing alone in a container is a listing."""
    for el in list(root.iter(*_INLINE_CODE)):
        parent = el.getparent()
        if parent is None or _tag(parent) == "pre" or any(_tag(a) == "pre" for a in el.iterancestors()):
            continue
        content = el.text_content().strip("\n")
        if _tag(el) == "code" and "\n" in content and _tag(parent) in _CODE_BLOCK_PARENTS:
            el.tag = "pre"
            text = listing_text(el)
            for child in list(el):
                el.remove(child)
            el.text = None
            etree.SubElement(el, "code").text = text
        else:
            el.drop_tag()


def _is_inline(el: Any) -> bool:
    return el is not None and (not isinstance(el.tag, str) or _tag(el) in _INLINE_TAGS)


def _mark_spaces(root: Any, marker: str) -> None:
    """Whitespace next to an inline element becomes ``marker`` (see the module docstring).

    Marked: whitespace-only text between inline elements, whitespace ending a text that an inline element
    follows (``— <a>``), and whitespace starting the text after an inline element. Whitespace at the edges
    of a block is left alone (it is not a word boundary).
    """
    for el in root.iter():
        if _tag(el) == "pre":
            continue
        inline = _is_inline(el)
        text = el.text if isinstance(el.tag, str) else None
        if text and len(el) and _is_inline(el[0]) and text[-1].isspace():
            if not text.isspace():
                el.text = text.rstrip() + marker
            elif inline:
                el.text = marker
        tail = el.tail
        if not tail:
            continue
        following = el.getnext()
        before_inline = _is_inline(following if following is not None else el.getparent())
        if tail.isspace():
            if inline and before_inline:
                el.tail = marker
            continue
        if before_inline and following is not None and tail[-1].isspace():
            tail = tail.rstrip() + marker
        if inline and tail[0].isspace():
            tail = marker + tail.lstrip()
        el.tail = tail


def prepare_for_extraction(source: str, root: Any = None) -> tuple[str, str | None]:
    """``source`` made ready for trafilatura (see the module docstring), and the space marker used.

    ``root`` is :func:`parse_document` of ``source`` when the caller has it; it is changed here.
    """
    if root is None:
        root = parse_document(source)
    if root is None:
        return source, None
    _normalize_listings(root)
    _unwrap_inline_code(root)
    marker = next((m for m in SPACE_MARKERS if m not in source), None)
    if marker is not None:
        _mark_spaces(root, marker)
    return str(lxml_html.tostring(root, encoding="unicode")), marker


def _body_blocks(source: str, marker: str | None = None) -> list[RawBlock]:
    clean = nh3.clean(
        source,
        tags=_ALLOWED_TAGS,
        clean_content_tags=_CLEAN_CONTENT,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
    if marker:
        clean = clean.replace(marker, " ")
    if not clean.strip():
        return []
    root = lxml_html.fragment_fromstring(clean, create_parent="div")
    return walk_blocks(root, xml=False)


def _extract_blocks(source: str, marker: str | None = None) -> list[RawBlock]:
    xml = extract_xml(source)
    if not xml:
        return []
    if marker:
        xml = xml.replace(marker, " ")
    root = etree.fromstring(xml.encode("utf-8"))
    main = root.find("main")
    return walk_blocks(main if main is not None else root, xml=True)


#: Elements whose content is never article text. script, style, iframe and noscript are raw text to a browser:
#: unclosed, they run to the end of the page, and so they do here. object and template are dropped only when
#: closed (an unclosed one keeps what follows). JSON-LD metadata scripts are kept for the metadata finder.
_RAW_TEXT_CONTENT = re.compile(
    r"<(script(?![^>]*application/ld\+json)|style|iframe|noscript)\b[^>]*>.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_CONTAINER_CONTENT = re.compile(r"<(object|template)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def drop_active_content(source: str) -> str:
    """``source`` without script, style, iframe, noscript, object and template elements."""
    return _CONTAINER_CONTENT.sub(" ", _RAW_TEXT_CONTENT.sub(" ", source))


def extract_html(source: str) -> HtmlResult:
    """Blocks and metadata of an HTML page (see the module docstring)."""
    source = drop_active_content(source)
    problem = complexity_problem(source)
    if problem is not None:
        log.info("HTML read as plain text: %s", problem)
        return HtmlResult([RawBlock("paragraph", p) for p in strip_tags(source).split("\n\n")], {}, "plain")
    # One tree for both: the metadata finder only reads it, then the preparation changes it.
    root = parse_document(source)
    meta = html_metadata(source, root)
    try:
        prepared, marker = prepare_for_extraction(source, root)
        extracted = _extract_blocks(prepared, marker)
        # The body is the answer only when the extract is empty or one block: not worth sanitizing otherwise.
        body = _body_blocks(prepared, marker) if len(extracted) <= 1 else []
    except (etree.LxmlError, ValueError) as exc:
        log.info("HTML read as plain text: %s", exc)
        return HtmlResult([RawBlock("paragraph", p) for p in strip_tags(source).split("\n\n")], meta, "plain")
    ext_len = sum(len(b.text) for b in extracted)
    body_len = sum(len(b.text) for b in body)
    flattened = len(extracted) == 1 and len(body) >= 3 and body_len <= BODY_RATIO * ext_len
    if body and (not extracted or flattened):
        return HtmlResult(body, meta, "body")
    return HtmlResult(extracted, meta, "extract")
