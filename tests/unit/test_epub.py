"""EPUB articles on the shared samples (../shared/documents/epub), and hostile archives built here."""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

import pytest

from reader.core.articles import epub as epub_module
from reader.core.articles.loader import article_from_bytes, load_article
from reader.core.errors import ArticleReadError
from reader.core.models import Article

EPUBS = Path(__file__).resolve().parents[3] / "shared" / "documents" / "epub"


def epub_path(name: str) -> Path:
    assert EPUBS.is_dir(), f"the shared documents are missing: {EPUBS} (expected ../shared/documents/epub)"
    return EPUBS / name


@functools.cache
def book(name: str) -> Article:
    return load_article(epub_path(name), EPUBS)


@pytest.mark.parametrize(
    ("name", "title", "author", "language"),
    [
        ("en-frankenstein-calibre-epub2.epub", "Frankenstein", "Mary Shelley", "en"),
        ("en-the-prophet-standard-ebooks-epub3.epub", "The Prophet", "Khalil Gibran", "en"),
        ("en-moby-dick-idpf-epub3.epub", "Moby-Dick", "Herman Melville", "en"),
        ("en-poetry-purvis-standard-ebooks-epub3.epub", "Poetry", "Sarah Louisa Forten Purvis", "en"),
        ("ja-kusamakura-vertical-epub3.epub", "草枕", "夏目 漱石", "ja"),
        ("ar-regime-anticancer-rtl-epub3.epub", "Le Vrai Régime anti-cancer", "Pr David Khayat", "ar"),
    ],
)
def test_books_have_their_title_author_and_language(
    name: str, title: str, author: str, language: str
) -> None:
    a = book(name)
    assert a.format == "epub"
    assert a.meta.title == title
    assert a.meta.author is not None and a.meta.author.startswith(author)
    assert a.meta.language == language
    assert a.meta.word_count > 0


def test_publisher_and_chapters_and_table_of_contents() -> None:
    a = book("en-the-prophet-standard-ebooks-epub3.epub")
    assert a.meta.publisher == "Standard Ebooks"
    titles = [title for title, _ in a.toc]
    assert "The Coming of the Ship" in titles and "On Love" in titles
    offsets = [offset for _, offset in a.toc]
    assert offsets == sorted(offsets)
    starts = {b.start for b in a.blocks}
    assert set(offsets) <= starts
    love = dict(a.toc)["On Love"]
    block = next(b for b in a.blocks if b.start == love)
    assert block.chapter == "On Love"
    assert "love" in a.text[love : love + 400].lower()
    # Headings and lists are kept as blocks.
    assert any(b.kind == "heading" for b in a.blocks)


def test_epub2_ncx_table_of_contents() -> None:
    a = book("en-frankenstein-calibre-epub2.epub")
    assert len(a.toc) > 20
    assert all(b.chapter for b in a.blocks[:50])


def test_text_follows_the_spine_not_the_file_order() -> None:
    text = book("w3c-spine-order-differs-from-file-order.epub").text
    positions = [text.find(f"This page must appear {n}.") for n in ("first", "second", "third")]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)


def test_ruby_readings_are_dropped_from_japanese_text() -> None:
    text = book("ja-kusamakura-vertical-epub3.epub").text
    assert "山路を登りながら、こう考えた。" in text


def test_verse_lines_and_malformed_xhtml() -> None:
    assert "Poetry" in book("en-poetry-purvis-standard-ebooks-epub3.epub").text
    assert "This paragraph has an unclosed tag." in book("w3c-malformed-xhtml-unclosed-tag.epub").text


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("w3c-xxe-external-entity.epub", "declares XML entities"),
        ("w3c-manifest-href-escapes-container.epub", "leads out of the book"),
        ("broken-truncated-download-frankenstein.epub", "damaged EPUB (not a complete zip archive"),
    ],
)
def test_hostile_and_broken_samples_are_refused(name: str, reason: str) -> None:
    with pytest.raises(ArticleReadError) as caught:
        load_article(epub_path(name), EPUBS)
    assert reason in caught.value.reason
    assert "\n" not in caught.value.reason


CONTAINER = (
    b'<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    b'<rootfiles><rootfile full-path="OPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles>'
    b"</container>"
)
OPF = (
    b'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
    b'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Built</dc:title>'
    b"<dc:identifier>urn:isbn:978-3-16-148410-0</dc:identifier></metadata>"
    b'<manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest>'
    b'<spine><itemref idref="c1"/></spine></package>'
)
CHAPTER = b'<html xmlns="http://www.w3.org/1999/xhtml"><body><h1>One</h1><p>Text of one.</p></body></html>'


def build(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/epub+zip")
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def read(data: bytes) -> Article:
    return article_from_bytes(data, Path("built.epub"), "built.epub")


def test_a_well_formed_built_book_reads() -> None:
    a = read(build({"META-INF/container.xml": CONTAINER, "OPS/book.opf": OPF, "OPS/c1.xhtml": CHAPTER}))
    assert a.text == "One\n\nText of one."
    assert a.meta.title == "Built" and a.meta.isbn == "9783161484100"
    assert a.blocks[0].kind == "heading" and a.blocks[1].chapter == "One"


def test_zip_bomb_is_refused() -> None:
    bomb = b"<html><body><p>" + b"a" * (epub_module.MAX_MEMBER + 10) + b"</p></body></html>"
    data = build({"META-INF/container.xml": CONTAINER, "OPS/book.opf": OPF, "OPS/c1.xhtml": bomb})
    assert len(data) < 200_000
    with pytest.raises(ArticleReadError, match="zip bomb"):
        read(data)


def test_high_ratio_member_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(epub_module, "RATIO_FLOOR", 1000)
    chapter = b"<html><body><p>" + b"b" * 500_000 + b"</p></body></html>"
    data = build({"META-INF/container.xml": CONTAINER, "OPS/book.opf": OPF, "OPS/c1.xhtml": chapter})
    with pytest.raises(ArticleReadError, match="expands"):
        read(data)


def test_total_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(epub_module, "MAX_TOTAL", 10_000)
    data = build({"META-INF/container.xml": CONTAINER, "OPS/book.opf": OPF, "OPS/c1.xhtml": CHAPTER * 200})
    with pytest.raises(ArticleReadError, match="uncompressed"):
        read(data)


def test_member_path_climbing_out_is_refused() -> None:
    data = build({"META-INF/container.xml": CONTAINER, "OPS/book.opf": OPF, "../evil.xhtml": CHAPTER})
    with pytest.raises(ArticleReadError, match="leads out of the book"):
        read(data)
    absolute = CONTAINER.replace(b"OPS/book.opf", b"/etc/passwd")
    with pytest.raises(ArticleReadError, match="leads out of the book"):
        read(build({"META-INF/container.xml": absolute}))


def test_entity_expansion_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<container><rootfiles><rootfile full-path='&lol2;'/></rootfiles></container>"
    )
    with pytest.raises(ArticleReadError, match="declares XML entities"):
        read(build({"META-INF/container.xml": laughs}))


def test_missing_container_or_package_is_reported() -> None:
    with pytest.raises(ArticleReadError, match=r"container\.xml is missing"):
        read(build({"OPS/book.opf": OPF}))
    with pytest.raises(ArticleReadError, match=r"package document OPS/book\.opf is missing"):
        read(build({"META-INF/container.xml": CONTAINER}))


def test_drm_encrypted_chapters_are_refused_but_obfuscated_fonts_are_not() -> None:
    def encryption(uri: bytes) -> bytes:
        return (
            b'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            b'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:CipherData>'
            b'<enc:CipherReference URI="' + uri + b'"/></enc:CipherData></enc:EncryptedData></encryption>'
        )

    members = {"META-INF/container.xml": CONTAINER, "OPS/book.opf": OPF, "OPS/c1.xhtml": CHAPTER}
    with pytest.raises(ArticleReadError, match="DRM"):
        read(build({**members, "META-INF/encryption.xml": encryption(b"OPS/c1.xhtml")}))
    assert read(build({**members, "META-INF/encryption.xml": encryption(b"OPS/font.otf")})).text.endswith(
        "one."
    )
