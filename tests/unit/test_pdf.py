"""PDF articles on the shared real-world samples (../shared/documents/pdf): text, order, metadata, refusal."""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import pytest

from reader.core.articles.loader import load_article
from reader.core.articles.pdf import PDFIUM_LOCK, offset_map, pdf_char_boxes, pdf_text
from reader.core.articles.pdf_layout import clean_chars
from reader.core.errors import ArticleReadError
from reader.core.library.scan import scan_library
from reader.core.models import Article
from reader.core.search.index import SearchIndex

DOCS = Path(__file__).resolve().parents[3] / "shared" / "documents"
PDFS = DOCS / "pdf"


def pdf_path(name: str) -> Path:
    assert PDFS.is_dir(), f"the shared documents are missing: {PDFS} (expected ../shared/documents/pdf)"
    return PDFS / name


@functools.cache
def article(name: str) -> Article:
    return load_article(pdf_path(name), PDFS)


PAPERS = [
    (
        "acl-2018-n18-3011-literature-graph.pdf",
        "Construction of the Literature Graph in Semantic Scholar",
        "Waleed Ammar",
    ),
    ("acl-2020-s2orc.pdf", "S2ORC: The Semantic Scholar Open Research Corpus", "Kyle Lo"),
    (
        "acl-2020-specter.pdf",
        "SPECTER: Document-level Representation Learning using Citation-informed Transformers",
        "Arman Cohan",
    ),
    (
        "acl-2023-eacl-longeval.pdf",
        "LONGEVAL: Guidelines for Human Evaluation of Faithfulness in Long-form Summarization",
        "Kalpesh Krishna",
    ),
    (
        "acl-2006-naacl-shinyama.pdf",
        "Preemptive Information Extraction using Unrestricted Relation Discovery",
        "Yusuke Shinyama",
    ),
    ("book-free-culture-lessig-352p.pdf", "Free Culture", "Lawrence Lessig"),
    (
        "ko-nars-issue-1695-two-column.pdf",
        "코로나-19 관련 보험약관상 재해보험금 지급문제 및 개선과제",
        "김창호",
    ),
    ("latex-two-column-lipsum-table.pdf", "Two-Column Document with Lorem Ipsum", None),
]


@pytest.mark.parametrize(("name", "title", "author"), PAPERS)
def test_title_and_author_of_papers_and_books(name: str, title: str, author: str | None) -> None:
    a = article(name)
    assert a.format == "pdf"
    assert a.meta.title == title
    if author is not None:
        assert a.meta.author is not None and a.meta.author.startswith(author)
    # The first page's text is there, and every block knows its page, in order.
    pages = [b.page for b in a.blocks]
    assert all(p is not None and p >= 1 for p in pages)
    assert pages == sorted(pages)  # type: ignore[type-var]


def test_title_without_metadata_comes_from_page_one_largest_text() -> None:
    # The 2006 paper has no Title in its information dictionary and no XMP.
    a = article("acl-2006-naacl-shinyama.pdf")
    first = a.blocks[0]
    assert first.kind == "heading" and first.level == 1
    assert a.text[first.start : first.end] == a.meta.title


def test_two_column_reading_order_and_paragraph_across_columns() -> None:
    text = article("latex-two-column-lipsum-table.pdf").text
    # Page 1: the first column's paragraphs, then the second column's (upstream multicolumn.tex).
    order = [
        "Lorem ipsum dolor sit amet",
        "Nam dui ligula",
        "Nulla malesuada porttitor diam",
        "pellentesque ante. Phasellus",
        "Quisque ullamcorper placerat",
        "Fusce mauris. Vestibulum luctus",
    ]
    positions = [text.find(s) for s in order]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)
    # The paragraph that the column break cuts continues in the second column: one block, one space.
    assert "Donec nonummy pellentesque ante. Phasellus adipiscing semper elit." in text
    # The page numbers are gone.
    assert not re.search(r"(?m)^\d+$", text)


def test_hyphenated_line_ends_are_joined_and_no_markers_remain() -> None:
    text = article("acl-2018-n18-3011-literature-graph.pdf").text
    for word in ("embedding", "provide", "direct"):
        assert re.search(rf"\b{word}", text), word
    assert "embed ding" not in text and "embed-ding" not in text
    assert not set(text) & {"\x02", "\ufffe", "\r"}
    # A compound broken at its hyphen keeps it when the document writes it hyphenated elsewhere.
    specter = article("acl-2020-specter.pdf").text
    assert "documentlevel" not in specter and "document-level" in specter
    assert "Citation-informed" in specter and "stateof-the-art" not in specter
    latex = article("latex-two-column-lipsum-table.pdf").text
    assert "consectetuer adipiscing elit" in latex and "adip iscing" not in latex


def test_ligatures_are_expanded() -> None:
    assert clean_chars("a\ufb01b\ufb03", 10) == ("afibffi", [10, 11, 11, 12, 13, 13, 13])
    for name, _title, _author in PAPERS[:5]:
        text = article(name).text
        assert not [ch for ch in text if 0xFB00 <= ord(ch) <= 0xFB06], name
    assert "scientific" in article("acl-2018-n18-3011-literature-graph.pdf").text


def test_running_heads_and_footers_are_dropped_on_the_federal_register() -> None:
    a = article("us-federal-register-2020-17221.pdf")
    assert "VerDate" not in a.text and "Jkt" not in a.text
    assert not re.search(r"Federal Register / Vol\. 85, No\. 152", a.text)
    # The body is kept, including what follows a page break.
    assert "Airworthiness Directives; The Boeing Company Airplanes" in a.text
    assert "Hatta International Airport in Jakarta" in a.text
    assert max(b.page or 0 for b in a.blocks) == 15


def test_book_running_heads_and_printers_marks_outside_the_page_are_dropped() -> None:
    a = article("book-free-culture-lessig-352p.pdf")
    assert not re.search(r"\bPREFACE xv\b|\bxiv PREFACE\b", a.text)
    assert ".qxd" not in a.text  # the printer's job slug in the bleed
    assert not re.search(r"\bPo\d+\b", a.text)  # line numbers set outside the crop box
    assert "Pogue was skeptical of the core argument of the book" in a.text
    # The outline (bookmarks) is the table of contents, at canonical offsets.
    toc = dict(a.toc)
    assert a.text[toc["PREFACE"] :].startswith("PREFACE\n\nAt the end of his review")
    assert a.text[toc["Chapter 1: Creators"] :].startswith("CHAPTER ONE: Creators")
    assert [o for _, o in a.toc] == sorted(o for _, o in a.toc)
    assert (
        len({b.page for b in a.blocks} & set(range(12, 353))) > 330
    )  # blank pages and continued paragraphs aside


def test_korean_word_broken_across_lines_is_whole_and_searchable(tmp_path: Path) -> None:
    a = article("ko-nars-issue-1695-two-column.pdf")
    assert "국내 확진자는 9,661명" in a.text
    assert "확 진자는" not in a.text
    # A break between words keeps its space; a short masthead line is not glued to the next.
    assert "돌입한 와중에" in a.text
    assert "2일 발행처" in a.text
    assert a.meta.language == "ko"
    # A numbered subheading that fills its line is not glued to the indented paragraph below it.
    blocks = [a.text[b.start : b.end] for b in a.blocks]
    assert "(3) 「약관의 규제에 관한 법률」상 약관해석의 원칙" in blocks
    library = tmp_path / "library"
    library.mkdir()
    (library / "nars.pdf").write_bytes(pdf_path("ko-nars-issue-1695-two-column.pdf").read_bytes())
    index = SearchIndex(tmp_path / "index", library, lock_timeout=5)
    try:
        index.update()
        hits = index.search("확진자는", limit=5, snippets=False).hits
        assert [h.relpath for h in hits] == ["nars.pdf"]
    finally:
        index.close()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("scan-huckleberry-finn-page-no-text.pdf", "no text layer (scanned; needs OCR)"),
        ("scan-ocr-test-no-text.pdf", "no text layer (scanned; needs OCR)"),
        ("text-as-vector-curves.pdf", "no text layer (scanned; needs OCR)"),
        ("font-without-unicode-mapping.pdf", "no readable text"),
        ("encrypted-rc4-libreoffice-pw-openpassword.pdf", "encrypted (needs a password)"),
        ("encrypted-aes256-pw-baz.pdf", "encrypted (needs a password)"),
        ("broken-truncated-download-acl-n18-3011.pdf", "damaged or not a PDF"),
        ("broken-header-and-eof-only.pdf", "damaged or not a PDF"),
    ],
)
def test_unreadable_pdfs_are_refused_with_their_reason(name: str, reason: str) -> None:
    with pytest.raises(ArticleReadError) as caught:
        load_article(pdf_path(name), PDFS)
    assert caught.value.reason.startswith(reason)
    assert "\n" not in caught.value.reason


def test_password_opens_the_encrypted_sample_and_empty_password_needs_none() -> None:
    text = pdf_text(pdf_path("encrypted-aes256-pw-baz.pdf").read_bytes(), "aes.pdf", password="baz")
    assert [b.text for b in text.blocks] == ["Secret!"]
    gazette = article("ja-vertical-kanpo-gazette.pdf")  # encrypted with an empty user password
    assert "官報" in gazette.text


def test_damaged_stream_keeps_what_is_readable() -> None:
    a = article("broken-corrupt-zlib-stream.pdf")
    assert "Beautiful is better than ugly." in a.text


def test_scan_of_all_samples_lists_every_file_or_its_reason() -> None:
    result = scan_library(DOCS, processes=1)
    listed = {e.relpath for e in result.entries} | {s.relpath for s in result.skipped}
    files = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*") if p.suffix in (".pdf", ".epub")}
    assert files <= listed
    reasons = {s.relpath: s.reason for s in result.skipped}
    assert reasons["pdf/encrypted-aes256-pw-baz.pdf"] == "encrypted (needs a password)"
    assert reasons["pdf/scan-ocr-test-no-text.pdf"] == "no text layer (scanned; needs OCR)"
    assert reasons["pdf/broken-header-and-eof-only.pdf"].startswith("damaged")
    assert "pdf/acl-2020-s2orc.pdf" in {e.relpath for e in result.entries}
    assert all(r.strip() and "\n" not in r for r in reasons.values())


def test_documents_of_unsupported_formats_are_listed_not_ignored(tmp_path: Path) -> None:
    (tmp_path / "draft.docx").write_bytes(b"PK\x03\x04 not really")
    (tmp_path / "book.mobi").write_bytes(b"BOOKMOBI")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "paper.pdf").write_bytes(pdf_path("google-docs-export.pdf").read_bytes())
    result = scan_library(tmp_path, processes=1)
    assert [e.relpath for e in result.entries] == ["paper.pdf"]
    assert {(s.relpath, s.reason) for s in result.skipped} == {
        ("draft.docx", "not supported (Word)"),
        ("book.mobi", "not supported (Mobipocket)"),
    }


def test_canonical_offsets_map_to_the_characters_on_the_page() -> None:
    import pypdfium2.raw as pdfium_c

    path = pdf_path("acl-2018-n18-3011-literature-graph.pdf")
    a = article(path.name)
    extracted = pdf_text(path.read_bytes(), path.name)
    mapping = list(offset_map(extracted))
    assert len(mapping) > 0.95 * len(a.text.replace(" ", "").replace("\n", ""))
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(path.read_bytes())
        pages = {n: doc[n - 1].get_textpage() for n in range(1, len(doc) + 1)}
        mismatches = 0
        for offset, page, index in mapping:
            source = chr(pdfium_c.FPDFText_GetUnicode(pages[page].raw, index))
            expected = unicodedata.normalize("NFKC", source) if 0xFB00 <= ord(source) <= 0xFB06 else source
            if a.text[offset] not in expected and a.text[offset] != " ":
                mismatches += 1
        doc.close()
    assert mismatches <= len(mapping) * 0.001
    boxes = pdf_char_boxes(path, 1)
    assert pdf_char_boxes(path, 1, text=extracted) == boxes
    title_at = a.text.index("Construction of the Literature Graph")
    title_boxes = [box for off, box in boxes if title_at <= off < title_at + 12]
    assert len(title_boxes) == 12  # "Construction"
    assert all(box[1] > 600 for box in title_boxes)  # the title is at the top of page 1 (842 pt high)


def test_page_labels_are_kept() -> None:
    a = article("acl-2023-eacl-longeval.pdf")  # the Anthology numbers its pages 1650-1669
    assert a.blocks[0].page == 1 and a.blocks[0].page_label == "1650"
    assert a.blocks[-1].page == 20 and a.blocks[-1].page_label == "1669"
    assert article("latex-two-column-lipsum-table.pdf").blocks[0].page_label is None


def test_page_limit_and_password_error_type(monkeypatch: pytest.MonkeyPatch) -> None:
    from reader.core.articles import pdf as pdf_module

    monkeypatch.setattr(pdf_module, "MAX_PAGES", 2)
    with pytest.raises(ArticleReadError, match=r"too many pages \(3; the limit is 2\)"):
        load_article(pdf_path("latex-two-column-lipsum-table.pdf"), PDFS)
    with pytest.raises(pdf_module.PdfPasswordError):
        pdf_text(pdf_path("encrypted-aes256-pw-baz.pdf").read_bytes(), "aes.pdf")
    with pytest.raises(pdf_module.PdfPasswordError, match="wrong password"):
        pdf_text(pdf_path("encrypted-aes256-pw-baz.pdf").read_bytes(), "aes.pdf", password="nope")


def test_threads_reading_pdfs_at_once_get_the_same_text() -> None:
    from concurrent.futures import ThreadPoolExecutor

    names = ["latex-two-column-lipsum-table.pdf", "ko-nars-issue-1695-two-column.pdf"] * 3
    expected = {name: article(name).text for name in set(names)}
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(lambda n: load_article(pdf_path(n), PDFS).text, names))
    assert texts == [expected[n] for n in names]


@pytest.mark.parametrize(
    "name",
    ["acl-2018-n18-3011-literature-graph.pdf", "acl-2020-specter.pdf", "us-federal-register-2020-17221.pdf"],
)
def test_no_control_characters_reach_the_text(name: str) -> None:
    """Unmapped glyphs come out of PDFium as C0 or C1 controls (a footnote mark in the ACL paper's author
    list was U+008E, drawn as a box in the pane): none is kept."""
    text = load_article(PDFS / name).text
    controls = {hex(ord(c)) for c in text if unicodedata.category(c) == "Cc" and c != "\n"}
    assert controls == set()
    assert "Downey, Jason" in text or name != "acl-2018-n18-3011-literature-graph.pdf"
