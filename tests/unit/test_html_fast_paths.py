"""Issue 18: the HTML pipeline's shortcuts give what the public trafilatura calls and two parses gave.

- :func:`~reader.core.articles.html_trafilatura.extract_xml` (no content fingerprint) against
  ``trafilatura.extract``;
- :func:`~reader.core.articles.html_trafilatura.page_fallback_metadata` (only the fields asked for) against
  ``trafilatura.extract_metadata``;
- the one lxml tree shared by the metadata finder and the extraction preparation against a tree each;
- the walker's whitespace collapsing against collapsing every run.

On every HTML fixture of the unit tests and on pages made here with and without a date, an author or a site
name in their head.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import trafilatura

from reader.core.articles import html as html_module
from reader.core.articles import html_walk
from reader.core.articles.html import drop_active_content, extract_html, prepare_for_extraction
from reader.core.articles.html_meta import html_metadata, parse_document
from reader.core.articles.html_trafilatura import extract_xml, page_fallback_metadata

FIXTURES = Path(__file__).parent / "fixtures"
BODY = "".join(
    f"<p>Paragraph {i}: the harbour authority voted on Thursday to approve a new ferry terminal, ending a "
    f"review that began two years ago. <a href='https://example.org/{i}'>More</a> on the plan.</p>"
    for i in range(6)
)


def made_page(head: str, byline: str = "") -> str:
    return (
        f"<html lang='en'><head><title>Ferry terminal approved | Harbour News</title>{head}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Ferry terminal approved</h1>{byline}{BODY}</article>"
        "<footer>© 2024 Harbour News</footer></body></html>"
    )


MADE = {
    "bare": made_page(""),
    "dated": made_page('<meta property="article:published_time" content="2024-03-05">'),
    "byline": made_page(
        "", "<p class='byline'>By Jane Doe</p><time datetime='2023-01-02'>Jan 2, 2023</time>"
    ),
    "everything": made_page(
        '<meta name="author" content="Jane Doe"><meta property="og:site_name" content="Harbour News">'
        '<meta property="article:published_time" content="2024-03-05">'
    ),
    "json_ld": made_page(
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2022-07-08", '
        '"author": {"@type": "Person", "name": "Kim Min-jun"}}</script>'
    ),
}


def pages() -> list[tuple[str, str]]:
    files = sorted(FIXTURES.rglob("*.html"))
    assert files, f"no HTML fixtures under {FIXTURES}"
    return [(p.name, p.read_text(encoding="utf-8")) for p in files] + sorted(MADE.items())


PAGES = pages()


@pytest.mark.parametrize(("name", "source"), PAGES, ids=[name for name, _ in PAGES])
def test_extract_xml_is_what_trafilatura_extract_gives(name: str, source: str) -> None:
    prepared, _marker = prepare_for_extraction(drop_active_content(source))
    expected = trafilatura.extract(prepared, output_format="xml", include_links=True, include_comments=False,
                                   include_tables=True, include_images=False)  # fmt: skip
    got = extract_xml(prepared)
    assert expected is not None
    # trafilatura puts the fingerprint on the root element; everything else is the same text.
    assert got == re.sub(r' fingerprint="[^"]*"', "", expected)


@pytest.mark.parametrize(("name", "source"), PAGES, ids=[name for name, _ in PAGES])
def test_fallback_metadata_is_what_trafilatura_finds(name: str, source: str) -> None:
    found = trafilatura.extract_metadata(source)
    everything = page_fallback_metadata(source, author=True, date=True, sitename=True)
    assert (everything.author, everything.date, everything.sitename) == (
        found.author,
        found.date,
        found.sitename,
    )
    # Asked for less, the fields asked for are the same and the others are not looked for.
    only_site = page_fallback_metadata(source, author=False, date=False, sitename=True)
    assert only_site == (None, None, found.sitename)
    no_date = page_fallback_metadata(source, author=True, date=False, sitename=True)
    assert no_date == (found.author, None, found.sitename)


@pytest.mark.parametrize(("name", "source"), PAGES, ids=[name for name, _ in PAGES])
def test_one_shared_tree_gives_what_a_tree_each_gave(name: str, source: str) -> None:
    source = drop_active_content(source)
    root = parse_document(source)
    assert html_metadata(source, root) == html_metadata(source)
    # The metadata finder only read the shared tree: the preparation of it gives what a fresh tree gives.
    assert prepare_for_extraction(source, root) == prepare_for_extraction(source)


def test_a_page_with_a_date_is_not_searched_for_one_and_keeps_it() -> None:
    meta = extract_html(MADE["everything"]).meta
    assert (meta["date"], meta["author"], meta["source"]) == ("2024-03-05", "Jane Doe", "Harbour News")
    json_ld = extract_html(MADE["json_ld"]).meta
    assert json_ld["date"] == "2022-07-08"


def test_the_walker_collapses_whitespace_like_collapsing_every_run() -> None:
    rnd = random.Random(7)
    for _ in range(5000):
        text = "".join(rnd.choice(" \t\r\n\xa0ab") for _ in range(rnd.randint(0, 25)))
        assert html_walk._SPACE_RUN_RE.sub(" ", text) == re.sub(r"[ \t\r\n]+", " ", text), repr(text)


def reference_extract_html(source: str) -> tuple[list[tuple[str, str, int]], str]:
    """extract_html's choice between the extract and the body, with the body always built."""
    source = drop_active_content(source)
    prepared, marker = prepare_for_extraction(source)
    extracted = html_module._extract_blocks(prepared, marker)
    body = html_module._body_blocks(prepared, marker)
    ext_len = sum(len(b.text) for b in extracted)
    body_len = sum(len(b.text) for b in body)
    flattened = len(extracted) == 1 and len(body) >= 3 and body_len <= html_module.BODY_RATIO * ext_len
    chosen, mode = (body, "body") if body and (not extracted or flattened) else (extracted, "extract")
    return [(b.kind, b.text, b.level) for b in chosen], mode


#: A small manual page that trafilatura flattens into one block: the body is the answer.
NOTE = (
    '<html><head><title>Manual: </title></head><body><table class="navigation"><tr><td><a href="index.html">'
    'Up</a></td><td><a href="next.html">Next</a></td><th>Harbour Manual</th></tr></table>'
    '<h2><span>Harbour API Modules</span></h2><p><a href="ferry.html">ferry</a> - the main header file <br/>'
    '<a href="quay.html">quay</a> - macros for marking the berths as usable. <br/></p></body></html>'
)


@pytest.mark.parametrize(
    ("name", "source"), [*PAGES, ("note", NOTE)], ids=[*(name for name, _ in PAGES), "note"]
)
def test_the_body_is_built_only_where_it_can_be_chosen(name: str, source: str) -> None:
    result = extract_html(source)
    assert ([(b.kind, b.text, b.level) for b in result.blocks], result.mode) == reference_extract_html(source)
    if name == "note":
        assert result.mode == "body"


def test_modified_stamps_are_those_the_case_insensitive_search_finds() -> None:
    from reader.core.articles import html_meta

    pieces = ["Last ", "UPDATED", " on ", "Edited", "revised:", "Retrieved ", "ARCHIVED from the original ",
              "2024-01-07", " body ", "ſ", "Accessed", "modifie", "d", "\u212a", " 7 Jan 2024"]  # fmt: skip
    rnd = random.Random(9)
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 8)))
        expected = [m.span() for m in html_meta._MODIFIED_STAMP_RE.finditer(text)]
        assert [m.span() for m in html_meta._modified_stamps(text)] == expected, repr(text)
