"""EPUB 2 and 3 books: chapters in spine order through the HTML block builder, OPF metadata, contents.

Reading: ``META-INF/container.xml`` -> the package document (OPF) -> the spine, in its order (not the
archive's file order); each spine item's XHTML goes through the HTML block builder of :mod:`.html`
(sanitized to its allow-list, walked into blocks) **without** main-content extraction: a book is all content.
Ruby readings (``<rt>``, ``<rp>``) are dropped, so 山路 stays searchable as written. Every block carries its
chapter (:attr:`~reader.core.models.Block.chapter`): the title the table of contents gives its spine item,
else the item's first heading.

Metadata from the OPF: title, creators, date, publisher, language, identifiers (ISBN, DOI). The table of
contents (EPUB 3 navigation document, else the EPUB 2 NCX) becomes ``(title, raw block index)`` pairs, which
the loader turns into canonical offsets (:attr:`~reader.core.models.Article.toc`); an entry points at the
first block of its file (fragments inside a file are not resolved).

Hostile archives are refused with a one-line reason, never read: a member path that is absolute or climbs
out with ``..`` (in the archive or in a manifest ``href``), more than :data:`MAX_MEMBERS` members, more than
:data:`MAX_TOTAL` bytes uncompressed, a member over :data:`MAX_MEMBER` bytes or expanding more than
:data:`MAX_RATIO` times (zip bombs; sizes are also enforced while reading, not only trusted from the
directory), XML that declares entities (XXE, billion laughs), a missing container or package document,
chapters encrypted by DRM (``encrypted (DRM-protected EPUB; ...)``). XML is parsed with entities
unresolved, no network, no DTD and no huge trees. A content document that is not
well-formed XML is read with the forgiving HTML parser instead.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urldefrag

from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from reader.core.articles.blocks import RawBlock
from reader.core.articles.html import _body_blocks
from reader.core.errors import ArticleReadError

log = logging.getLogger(__name__)

MAX_MEMBERS = 10_000
MAX_TOTAL = 256 * 1024 * 1024
MAX_MEMBER = 32 * 1024 * 1024
#: A member this much larger than its compressed size is refused when over :data:`RATIO_FLOOR` bytes.
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
MAX_SPINE = 5_000

_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
}
_ENTITY_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ISBN_RE = re.compile(r"(?:isbn[:\s]*)?((?:97[89][-\s]?)?(?:\d[-\s]?){9}[\dXx])", re.IGNORECASE)
_DOI_RE = re.compile(r"\b(10\.\d{4,9}/\S+)")
_DROP = ("rt", "rp", "script", "style", "head")


class EpubRefusedError(ArticleReadError):
    """The archive is hostile or broken; the reason says how."""


@dataclass(slots=True)
class _Book:
    archive: zipfile.ZipFile
    rel: str
    read_total: int = 0
    names: set[str] = field(default_factory=set)

    def read(self, name: str) -> bytes:
        """A member's bytes, at most :data:`MAX_MEMBER` of them, within the :data:`MAX_TOTAL` budget."""
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise EpubRefusedError(self.rel, f"damaged EPUB (the file {name} is missing)") from None
        with self.archive.open(info) as handle:
            data = handle.read(MAX_MEMBER + 1)
        self.read_total += len(data)
        if len(data) > MAX_MEMBER or self.read_total > MAX_TOTAL:
            raise EpubRefusedError(self.rel, f"refused: {name} expands beyond the size limit (a zip bomb?)")
        return data

    def xml(self, name: str) -> Any:
        data = self.read(name)
        if _ENTITY_RE.search(data[:65536]):
            raise EpubRefusedError(
                self.rel, f"refused: {name} declares XML entities (XXE or entity expansion)"
            )
        return etree.fromstring(data, _parser())


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )


def _safe_path(base: str, href: str, rel: str) -> str:
    """``href`` resolved against ``base`` inside the archive; refused when it climbs out or is absolute."""
    href = unquote(urldefrag(href)[0])
    joined = posixpath.normpath(posixpath.join(base, href)) if href else base
    if href.startswith("/") or joined.startswith("../") or joined == ".." or re.match(r"^[A-Za-z]+:", href):
        raise EpubRefusedError(rel, f"refused: the path {href!r} leads out of the book")
    return joined


def _open(data: bytes, rel: str) -> _Book:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise EpubRefusedError(rel, f"damaged EPUB (not a complete zip archive: {exc})") from exc
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise EpubRefusedError(
            rel, f"refused: {len(infos)} files in the archive (the limit is {MAX_MEMBERS})"
        )
    total = 0
    for info in infos:
        name = info.filename
        if (
            name.startswith(("/", "\\"))
            or ".." in name.replace("\\", "/").split("/")
            or re.match(r"^[A-Za-z]:", name)
        ):
            raise EpubRefusedError(rel, f"refused: the archive member {name!r} leads out of the book")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER or (info.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise EpubRefusedError(
                rel, f"refused: {name} expands {ratio:.0f} times to {info.file_size} bytes (a zip bomb?)"
            )
    if total > MAX_TOTAL:
        raise EpubRefusedError(
            rel, f"refused: {total >> 20} MB uncompressed (the limit is {MAX_TOTAL >> 20} MB)"
        )
    return _Book(archive, rel, names={i.filename for i in infos})


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _metadata(opf: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    md = opf.find("opf:metadata", _NS)
    if md is None:
        return meta

    def values(tag: str) -> list[str]:
        return [t for t in (_text(el) for el in md.findall(f"dc:{tag}", _NS)) if t]

    for key, tag in (
        ("title", "title"),
        ("date", "date"),
        ("publisher", "publisher"),
        ("language", "language"),
    ):
        found = values(tag)
        if found:
            meta[key] = found[0]
    creators = values("creator")
    if creators:
        meta["author"] = ", ".join(creators)
    for ident in values("identifier"):
        doi = _DOI_RE.search(ident)
        if doi and "doi" not in meta:
            meta["doi"] = doi.group(1)
            continue
        isbn = (
            _ISBN_RE.search(ident)
            if ("isbn" in ident.lower() or re.fullmatch(r"[\d\s-]{10,17}X?", ident))
            else None
        )
        if isbn and "isbn" not in meta:
            meta["isbn"] = re.sub(r"[-\s]", "", isbn.group(1))
    return meta


def _nav_entries(book: _Book, href: str) -> list[tuple[str, str]]:
    root = book.xml(href)
    base = posixpath.dirname(href)
    navs = root.findall(".//x:nav", _NS)
    toc = next((n for n in navs if n.get(f"{{{_NS['epub']}}}type", "") == "toc"), navs[0] if navs else None)
    if toc is None:
        return []
    return [
        (_text(a), _safe_path(base, a.get("href", ""), book.rel))
        for a in toc.iterfind(".//x:a", _NS)
        if a.get("href")
    ]


def _ncx_entries(book: _Book, href: str) -> list[tuple[str, str]]:
    root = book.xml(href)
    base = posixpath.dirname(href)
    out = []
    for point in root.iterfind(".//ncx:navPoint", _NS):
        label = point.find("ncx:navLabel/ncx:text", _NS)
        content = point.find("ncx:content", _NS)
        if content is not None and content.get("src"):
            out.append((_text(label), _safe_path(base, content.get("src", ""), book.rel)))
    return out


def _chapter_blocks(book: _Book, name: str) -> list[RawBlock]:
    data = book.read(name)
    if _ENTITY_RE.search(data[:65536]):
        raise EpubRefusedError(book.rel, f"refused: {name} declares XML entities (XXE or entity expansion)")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError:
        log.info("%s: %s is not well-formed XML; read as HTML", book.rel, name)
        root = lxml_html.document_fromstring(data)
    for el in list(root.iter()):
        tag = etree.QName(el).localname.lower() if isinstance(el.tag, str) else ""
        if tag in _DROP and el.getparent() is not None:
            _remove_keep_tail(el)
    body = next(
        (el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname == "body"), root
    )
    source = etree.tostring(body, method="html", encoding="unicode")
    return _body_blocks(source)


def _remove_keep_tail(el: Any) -> None:
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def epub_raw_blocks(
    data: bytes, rel: str
) -> tuple[list[RawBlock], dict[str, Any], dict[str, Any], list[tuple[str, int]]]:
    """Blocks (each with its chapter), explicit metadata, extra metadata (``publisher``, ``isbn``, ``doi``)
    and the table of contents as ``(title, block index)``. Raises :class:`ArticleReadError`."""
    book = _open(data, rel)
    if "META-INF/container.xml" not in book.names:
        raise EpubRefusedError(rel, "not an EPUB (META-INF/container.xml is missing)")
    container = book.xml("META-INF/container.xml")
    rootfile = container.find(".//c:rootfile", _NS)
    if rootfile is None or not rootfile.get("full-path"):
        raise EpubRefusedError(rel, "not an EPUB (its container names no package document)")
    opf_name = _safe_path("", rootfile.get("full-path", ""), rel)
    if opf_name not in book.names:
        raise EpubRefusedError(rel, f"damaged EPUB (the package document {opf_name} is missing)")
    opf = book.xml(opf_name)
    base = posixpath.dirname(opf_name)
    manifest: dict[str, tuple[str, str, str]] = {}
    for item in opf.iterfind("opf:manifest/opf:item", _NS):
        href = _safe_path(base, item.get("href", ""), rel)
        manifest[item.get("id", "")] = (href, item.get("media-type", ""), item.get("properties", ""))
    spine_el = opf.find("opf:spine", _NS)
    spine = (
        [ref.get("idref", "") for ref in spine_el.iterfind("opf:itemref", _NS)]
        if spine_el is not None
        else []
    )
    if len(spine) > MAX_SPINE:
        raise EpubRefusedError(rel, f"refused: {len(spine)} spine items (the limit is {MAX_SPINE})")
    _refuse_drm(book, {manifest[i][0] for i in spine if i in manifest})
    toc = _table_of_contents(book, manifest, spine_el)
    titles: dict[str, str] = {}
    for title, target in toc:
        titles.setdefault(target, title)
    blocks: list[RawBlock] = []
    first_block: dict[str, int] = {}
    for idref in spine:
        entry = manifest.get(idref)
        if entry is None or "html" not in entry[1]:
            continue
        name = entry[0]
        if name not in book.names:
            log.info("%s: the spine item %s is missing", rel, name)
            continue
        chapter = [b for b in _chapter_blocks(book, name) if b.text.strip()]
        heading = next((b.text.strip() for b in chapter if b.kind == "heading"), None)
        for block in chapter:
            block.chapter = titles.get(name) or heading
        first_block.setdefault(name, len(blocks))
        blocks.extend(chapter)
    if not blocks:
        raise EpubRefusedError(rel, "no text (the book's spine has no readable chapters)")
    meta = _metadata(opf)
    explicit = {k: v for k, v in meta.items() if k in ("title", "author", "date", "language")}
    extra = {k: v for k, v in meta.items() if k in ("publisher", "isbn", "doi")}
    toc_at = [(title, first_block[target]) for title, target in toc if title and target in first_block]
    return blocks, explicit, extra, toc_at


def _refuse_drm(book: _Book, chapters: set[str]) -> None:
    """Refuse a book whose chapters ``META-INF/encryption.xml`` lists as encrypted (DRM). Obfuscated fonts,
    the only encryption the EPUB standard itself defines, are listed there too and do not matter here."""
    name = "META-INF/encryption.xml"
    if name not in book.names:
        return
    root = book.xml(name)
    encrypted = {
        _safe_path("", ref.get("URI", ""), book.rel)
        for ref in root.iter()
        if isinstance(ref.tag, str) and etree.QName(ref).localname == "CipherReference" and ref.get("URI")
    }
    if encrypted & chapters:
        raise EpubRefusedError(book.rel, "encrypted (DRM-protected EPUB; its chapters cannot be read)")


def _table_of_contents(
    book: _Book, manifest: dict[str, tuple[str, str, str]], spine: Any
) -> list[tuple[str, str]]:
    """``(title, file)`` of the navigation document's entries, else the NCX's; ``[]`` when neither exists."""
    nav = next((href for href, _t, props in manifest.values() if "nav" in props.split()), None)
    ncx_id = spine.get("toc") if spine is not None else None
    ncx = manifest.get(ncx_id or "", (None,))[0] or next(
        (href for href, media, _p in manifest.values() if media == "application/x-dtbncx+xml"), None
    )
    for href, reader in ((nav, _nav_entries), (ncx, _ncx_entries)):
        if href and href in book.names:
            try:
                entries = reader(book, href)
            except etree.XMLSyntaxError as exc:
                log.info("%s: unreadable table of contents %s (%s)", book.rel, href, exc)
                continue
            if entries:
                return [(title, target) for title, target in entries]
    return []
