"""Metadata of an HTML page from its own markup: title, author, dates, site and language.

Sources, most trusted first:

1. the head: ``<meta>`` tags (og:title, author, article:published_time, og:site_name, ...), ``<title>``,
   ``<html lang>`` (:func:`page_meta`; for the title, author and site the first match in document order wins);
2. the document: JSON-LD (``datePublished``, ``dateModified``), ``<time pubdate>``, ``itemprop=datePublished``
   / ``dateModified``, and "Last updated / last edited on DATE" stamps in the text (:func:`document_dates`);
3. trafilatura's metadata finder (bylines, JSON-LD authors, htmldate) for what is still missing, then the
   page's own byline elements (class ``byline`` / ``author``, ``rel=author``, ``itemprop=author``).

**Dates**: a publication date (article:published_time, datePublished, ``<time pubdate>``) is preferred to any
other; a date of unknown kind (``<meta name="date">``, trafilatura's guess) is used only when it is not one of
the page's modified dates (article:modified_time, og:updated_time, dateModified, a "Last Updated" stamp; a
citation's "Retrieved" date counts too), so a page's last edit is never shown as its publication date.

**Authors**: every candidate must pass :func:`~reader.core.articles.metadata.plausible_author` (no UI words
such as "Username", no navigation such as Wikipedia's "Authority control" box, no date stamps such as
"Last Updated January 7").
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from reader.core.articles.html_trafilatura import page_fallback_metadata
from reader.core.articles.metadata import find_date, normalize_date, plausible_author

log = logging.getLogger(__name__)

_META_KEYS = {
    "og:title": "title", "twitter:title": "title", "dc.title": "title",
    "author": "author", "article:author": "author", "dc.creator": "author", "byl": "author",
    "og:site_name": "source", "application-name": "source", "og:locale": "locale",
}  # fmt: skip
PUBLISHED_KEYS = frozenset(
    {"article:published_time", "datepublished", "pubdate", "publish-date", "publishdate", "publish_date",
     "dc.date.issued", "dcterms.issued", "citation_publication_date", "og:published_time", "parsely-pub-date",
     "sailthru.date", "article.published", "datecreated"}
)  # fmt: skip
GENERIC_DATE_KEYS = frozenset({"date", "dc.date", "dcterms.date"})
MODIFIED_KEYS = frozenset(
    {"article:modified_time", "og:updated_time", "datemodified", "last-modified", "dc.date.modified",
     "dcterms.modified", "revised", "lastmod", "article.updated"}
)  # fmt: skip
#: Dates that are not the publication: "Last updated January 7", "This page was last edited on 7 January
#: 2024", "Modified: 2024-01-07", and a citation's "Retrieved 2007-11-29" / "Archived from the original on".
_MODIFIED_STAMP_RE = re.compile(
    r"\b(?:(?:last\s+)?(?:updated|modified|edited|revised)|retrieved|accessed"
    r"|archived(?: from the original)?)(?:\s+on)?\b[\s:,-]*",
    re.IGNORECASE,
)
#: Every match of _MODIFIED_STAMP_RE has one of these words.
_MODIFIED_STAMP_WORDS = ("updated", "modified", "edited", "revised", "retrieved", "accessed", "archived")
_BYLINE_CLASS_RE = re.compile(r"(?<![a-z])(?:author(?!ity)|byline|by-line|writer)", re.IGNORECASE)
_NOT_BYLINE = frozenset({"html", "body", "head", "script", "style", "meta", "link", "form", "input", "nav"})
MAX_BYLINE_CHARS = 120
#: How far after "updated" / "last edited on" the date may start ("Updated 3:20 PM GMT+9, January 7, 2024").
MODIFIED_STAMP_REACH = 25
MAX_JSON_DEPTH = 8


_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml\b[^>]*\?>")


def parse_document(source: str) -> Any:
    """The lxml tree of a whole page, or ``None``; an XML declaration (refused in a str) is dropped."""
    try:
        return lxml_html.document_fromstring(_XML_DECLARATION_RE.sub("", source, count=1))
    except (etree.ParserError, ValueError):
        return None


def page_meta(source: str) -> dict[str, str]:
    """Metadata from the document head: title, author, source, language; ``date`` only when published.

    A date of unknown kind is returned as ``generic_date`` and the first modified date as ``modified``.
    """
    head_end = source.lower().find("</head>", 0, 2_000_000)
    head = source[: head_end + 7] if head_end >= 0 else source[:200_000]
    meta: dict[str, str] = {}
    lang = re.search(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", head[:5000], re.IGNORECASE)
    if lang:
        meta["language"] = lang.group(1).lower()
    try:
        tree = lxml_html.fromstring(_XML_DECLARATION_RE.sub("", head, count=1)) if head.strip() else None
    except (etree.ParserError, ValueError):
        tree = None
    if tree is None:
        return meta
    generic: str | None = None
    for el in tree.iter("meta"):
        key = str(el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = " ".join(str(el.get("content") or "").split())
        if not value:
            continue
        if key in PUBLISHED_KEYS:
            meta.setdefault("date", value)
        elif key in GENERIC_DATE_KEYS:
            generic = generic or value
        elif key in MODIFIED_KEYS:
            meta.setdefault("modified", value)
        field_name = _META_KEYS.get(key)
        if field_name == "author":
            value = plausible_author(value) or ""
        if field_name and value and field_name not in meta:
            meta[field_name] = value
    if generic:
        meta["generic_date"] = generic
    title_el = tree.find(".//title")
    if title_el is not None and title_el.text and title_el.text.strip():
        meta["html_title"] = " ".join(title_el.text.split())
    return meta


def _modified_set(*values: str | None) -> set[str]:
    return {iso for iso in (normalize_date(v) for v in values) if iso}


def is_modified(date: Any, modified: set[str]) -> bool:
    """Whether ``date`` is one of the ``modified`` dates (a ``--MM-DD`` one matches any year)."""
    iso = normalize_date(date)
    return iso is not None and any(iso == m or (m.startswith("--") and iso[4:] == m[1:]) for m in modified)


def _json_dates(data: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
    if depth > MAX_JSON_DEPTH:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("datePublished", "dateCreated", "dateModified"):
                yield key, value
            elif isinstance(value, dict | list):
                yield from _json_dates(value, depth + 1)
    elif isinstance(data, list):
        for item in data:
            yield from _json_dates(item, depth + 1)


def _modified_stamps(text: str) -> Iterator[re.Match[str]]:
    """The matches of :data:`_MODIFIED_STAMP_RE` in ``text``. Its case-insensitive search is slow (~50 ns a
    character); an ASCII text (where ignoring case is lower-casing) without one of its words has none."""
    if text.isascii():
        lowered = text.lower()
        if not any(word in lowered for word in _MODIFIED_STAMP_WORDS):
            return iter(())
    return _MODIFIED_STAMP_RE.finditer(text)


def document_dates(root: Any) -> tuple[str | None, set[str]]:
    """The publication date (ISO) found in the document's markup, and every modified date (ISO)."""
    published: list[str] = []
    modified: set[str] = set()
    for script in root.iter("script"):
        if "ld+json" not in str(script.get("type") or "").lower() or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        for key, value in _json_dates(data):
            iso = normalize_date(value)
            if iso:
                if key == "dateModified":
                    modified.add(iso)
                else:
                    published.append(iso)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        prop = str(el.get("itemprop") or "")
        if (el.tag == "time" and el.get("pubdate") is not None) or prop == "datePublished":
            iso = normalize_date(el.get("datetime") or el.get("content") or el.text_content())
            if iso:
                published.append(iso)
        elif prop == "dateModified":
            iso = normalize_date(el.get("datetime") or el.get("content") or el.text_content())
            if iso:
                modified.add(iso)
    body = root.find("body")
    text = " ".join((body if body is not None else root).text_content().split())
    for m in _modified_stamps(text):
        found = find_date(text[m.end() : m.end() + MODIFIED_STAMP_REACH + 20])
        if found and found[1] <= MODIFIED_STAMP_REACH:
            modified.add(found[0])
    return (published[0] if published else None), modified


def dom_byline(root: Any) -> str | None:
    """The first plausible author in the page's byline elements (class byline/author, rel/itemprop author)."""
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in _NOT_BYLINE:
            continue
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        marked = el.get("rel") == "author" or "author" in str(el.get("itemprop") or "")
        if not marked and not _BYLINE_CLASS_RE.search(marks):
            continue
        if any(a.tag in ("form", "nav") for a in el.iterancestors()):
            continue
        text = _short_text(el)
        name = plausible_author(text) if text else None
        if name:
            return name
    return None


def _short_text(el: Any) -> str | None:
    """The text of ``el`` with whitespace collapsed, or ``None`` when longer than a byline can be."""
    parts: list[str] = []
    length = 0
    for piece in el.itertext():
        length += len(piece)
        if length > 4 * MAX_BYLINE_CHARS:
            return None
        parts.append(piece)
    text = " ".join("".join(parts).split())
    return text if len(text) <= MAX_BYLINE_CHARS else None


def html_metadata(source: str, root: Any = None) -> dict[str, str]:
    """Title, author, date, source and language of an HTML page (see the module docstring).

    ``root`` is :func:`parse_document` of ``source`` when the caller has it (the tree is only read here).
    """
    meta = page_meta(source)
    if root is None:
        root = parse_document(source)
    published, modified = document_dates(root) if root is not None else (None, set())
    modified |= _modified_set(meta.pop("modified", None))
    generic = meta.pop("generic_date", None)
    if "date" not in meta and published:
        meta["date"] = published
    if "date" not in meta and generic and not is_modified(generic, modified):
        meta["date"] = generic
    if all(k in meta for k in ("author", "date", "source")):
        return meta
    # Only what is still missing is looked for (see html_trafilatura).
    found = page_fallback_metadata(
        source, author="author" not in meta, date="date" not in meta, sitename="source" not in meta
    )
    author = str(found.author or "").split("·")[0].split("|")[0]
    author = re.sub(r"\s*(?:기자|특파원)\b.*$", "", author).strip()
    if "author" not in meta:
        name = plausible_author(author) or (dom_byline(root) if root is not None else None)
        if name:
            meta["author"] = name
    if found.date and "date" not in meta and not is_modified(found.date, modified):
        meta["date"] = str(found.date)
    if found.sitename and "source" not in meta:
        meta["source"] = str(found.sitename)
    return meta
