"""PDF metadata helpers: XMP packets, junk titles and authors, the author line of page 1, DOI and arXiv ids.

- XMP: the first ``<x:xmpmeta>`` packet in the file's bytes (XMP streams are stored uncompressed so that
  tools can find them this way), parsed with a hardened lxml parser (no entities, no network, no huge trees).
- Producers fill the information dictionary with junk: file names (``zen_of_python.txt``,
  ``Microsoft Word - draft.docx``), ``untitled``, internal codes as authors (``SE:W:CAR:MP:I:S``). Those are
  ignored and the next source is tried.
- Identifiers: a DOI (``10.NNNN/suffix``, trailing punctuation removed) and an arXiv id (``arXiv:2004.07180``
  or the old ``arXiv:hep-th/9901001``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

_XMP_RE = re.compile(rb"<x:xmpmeta\b.{0,200000}?</x:xmpmeta>", re.DOTALL)
_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "prism": "http://prismstandard.org/namespaces/basic/2.0/",
    "pdfx": "http://ns.adobe.com/pdfx/1.3/",
}
_FILE_NAME_RE = re.compile(r"\.(?:pdf|docx?|odt|rtf|txt|tex|dvi|ps|indd|qxd|pages|md|html?)$", re.IGNORECASE)
_JUNK_TITLE_RE = re.compile(
    r"^(?:untitled|title|no title|document\d*|microsoft word\b.*|slide \d+|\W*)$", re.I
)
_DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_ARXIV_RE = re.compile(
    r"\barXiv:\s?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)", re.IGNORECASE
)
_AFFILIATION_RE = re.compile(
    r"\b(?:university|institute|department|school|college|laboratory|lab|inc\.?|corp|research|center|centre|"
    r"abstract|email|e-mail)\b",
    re.IGNORECASE,
)


_NOT_NAMES = frozenset(
    {"vol", "no", "name", "first", "last", "return", "tax", "income", "form", "page", "section", "table",
     "the", "of", "for", "and", "in", "on", "to", "by", "with", "from", "abstract", "introduction",
     "proceedings", "chapter", "part", "volume", "issue", "report", "monday", "tuesday", "wednesday",
     "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "june", "july",
     "august", "september", "october", "november", "december"}
)  # fmt: skip


def hardened_parser() -> Any:
    """An lxml XML parser that resolves no entities, reads nothing from the network and refuses huge trees."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )


def xmp_fields(data: bytes) -> dict[str, str]:
    """``title``, ``author`` (creators joined by ``, ``), ``date`` and ``doi`` from the XMP packet, if any."""
    m = _XMP_RE.search(data)
    if not m:
        return {}
    try:
        root = etree.fromstring(m.group(0), hardened_parser())
    except (etree.XMLSyntaxError, ValueError):
        return {}
    out: dict[str, str] = {}

    def texts(path: str) -> list[str]:
        return [
            " ".join(str(t).split()) for t in root.xpath(path + "//text()", namespaces=_NS) if str(t).strip()
        ]

    title = texts(".//dc:title")
    if title:
        out["title"] = title[0]
    creators = texts(".//dc:creator")
    if creators:
        out["author"] = ", ".join(creators)
    for path in (".//xmp:CreateDate", ".//@xmp:CreateDate"):
        found = root.xpath(path + ("" if "@" in path else "/text()"), namespaces=_NS)
        if found:
            out["date"] = str(found[0]).strip()
            break
    doi = texts(".//prism:doi") or texts(".//pdfx:doi")
    if doi:
        out["doi"] = doi[0]
    return out


def valid_title(value: str | None) -> bool:
    """Whether ``value`` from a PDF's metadata is a real title (not a file name or a placeholder)."""
    text = " ".join((value or "").split())
    return len(text) >= 3 and not _FILE_NAME_RE.search(text) and not _JUNK_TITLE_RE.match(text)


def valid_author(value: str | None) -> bool:
    """Whether ``value`` names people (not an internal code such as ``SE:W:CAR:MP:I:S``)."""
    text = " ".join((value or "").split())
    if len(text) < 2 or not any(ch.isalpha() for ch in text):
        return False
    return not (":" in text and not any(ch.islower() for ch in text))


def _is_mark(ch: str) -> bool:
    """Footnote and affiliation marks after author names (``*``, ``†``, ``♠``)."""
    return unicodedata.category(ch) in ("So", "Sm", "Po") and ch not in ".,-'"


def page_one_author(blocks: list[Any], title_at: int) -> str | None:
    """The author line below the title on page 1: short, names only (affiliations, e-mails cut off)."""
    for block in blocks[title_at + 1 : title_at + 3]:
        if block.page != 0:
            return None
        line = block.text.split("\n")[0]
        line = re.split(r"\S+@\S+|\b(?:abstract|introduction)\b", line, maxsplit=1, flags=re.I)[0]
        cut = _AFFILIATION_RE.search(line)
        if cut:
            line = line[: cut.start()]
            line = line[: line.rfind(" ")] if " " in line else line
        line = "".join(" " if ch.isdigit() or _is_mark(ch) else ch for ch in line)
        line = " ".join(line.replace(" and ", ", ").split()).strip(" ,;")
        words = line.replace(",", " ").split()
        names = all(
            w[:1].isupper() and len(w.rstrip(".")) >= 1 and w.lower().strip(".") not in _NOT_NAMES
            for w in words
        )
        if 2 <= len(words) <= 30 and names and not line.endswith("."):
            return line
        if len(block.text) > 300:
            return None
    return None


def find_ids(text: str) -> dict[str, str]:
    """``doi`` and ``arxiv`` found in ``text`` (the first of each)."""
    out: dict[str, str] = {}
    m = _DOI_RE.search(text)
    if m:
        out["doi"] = m.group(1).rstrip(".,;:)]}'\"")
    m = _ARXIV_RE.search(text)
    if m:
        out["arxiv"] = m.group(1)
    return out
