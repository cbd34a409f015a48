"""Issue 15 item 12: the whitespace between inline elements of a saved web page is kept.

A browser renders ``<a>sovereign</a> <a>island country</a>`` as "sovereign island country"; the text of the
article must say the same, or a phrase search for it finds nothing. Whitespace (spaces, newlines, ``&nbsp;``,
a comment in between) between inline tags inside a paragraph collapses to one space, never to nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reader.core.articles.html import extract_html
from reader.core.articles.loader import load_article

FIXTURES = Path(__file__).parent / "fixtures" / "webpages"
#: Paragraphs around the one under test, so that the extractor treats the page as an article.
BEFORE = (
    "<p>The committee met on Tuesday to go through the findings of the survey, which had been delayed twice "
    "by the weather and once by a strike at the printing works.</p>"
)
AFTER = (
    "<p>Members agreed to publish the full tables in the spring, together with a short guide to reading "
    "them and a list of the places where the counts were taken.</p>"
)


def page(fragment: str) -> str:
    return f"<html><body><article><h1>Survey findings</h1>{BEFORE}{fragment}{AFTER}</article></body></html>"


def text_of(source: str) -> str:
    return "\n\n".join(block.text for block in extract_html(source).blocks)


@pytest.mark.parametrize(
    "between",
    [" ", "\n", "\n      ", "&nbsp;", "&#160;", " <!-- a comment --> ", "\t"],
    ids=["space", "newline", "newline-indent", "nbsp-entity", "nbsp-number", "comment", "tab"],
)
def test_whitespace_between_two_links_is_one_space(between: str) -> None:
    fragment = (
        '<p>Iceland is a Nordic <a href="https://example.org/sovereign">sovereign</a>'
        f'{between}<a href="https://example.org/island">island country</a> in the North Atlantic, between '
        "the Greenland Sea and the Norwegian Sea, with a long coast of fjords.</p>"
    )
    text = text_of(page(fragment))
    assert "Nordic sovereign island country in the North Atlantic" in text


@pytest.mark.parametrize(
    "fragment",
    [
        '<p>Servers saw <b><a href="https://e.org/a">third-party</a></b> <i><a href="https://e.org/b">requests</a></i>'
        " grow every month of the year, which the operators traced to a handful of widgets on the pages.</p>",
        '<p>Servers saw <a href="https://e.org/a">third-party</a>\n<span><a href="https://e.org/b">requests</a></span>'
        " grow every month of the year, which the operators traced to a handful of widgets on the pages.</p>",
        '<p>Servers saw <span><a href="https://e.org/a">third-party</a> </span><a href="https://e.org/b">requests</a>'
        " grow every month of the year, which the operators traced to a handful of widgets on the pages.</p>",
    ],
    ids=["wrapped-in-b-and-i", "link-then-span", "space-at-end-of-span"],
)
def test_whitespace_between_nested_inline_elements_is_kept(fragment: str) -> None:
    assert "Servers saw third-party requests grow" in text_of(page(fragment))


def test_links_in_list_items_keep_their_spaces() -> None:
    fragment = (
        "<ul><li>The survey counted <a href='https://e.org/a'>nesting</a> "
        "<a href='https://e.org/b'>seabirds</a> on the cliffs of the north coast for the third year "
        "running.</li>"
        "<li>It also counted <a href='https://e.org/c'>grey</a>\n<a href='https://e.org/d'>seals</a> hauled "
        "out on the skerries at low tide in the late summer.</li></ul>"
    )
    text = text_of(page(fragment))
    assert "counted nesting seabirds on the cliffs" in text
    assert "counted grey seals hauled out" in text


def test_links_are_still_links_after_the_spaces_are_kept() -> None:
    fragment = (
        '<p>Iceland is a Nordic <a href="https://example.org/sovereign">sovereign</a> '
        '<a href="https://example.org/island">island country</a> in the North Atlantic, between the '
        "Greenland Sea and the Norwegian Sea, with a long coast of fjords.</p>"
    )
    blocks = extract_html(page(fragment)).blocks
    block = next(b for b in blocks if "Nordic" in b.text)
    spans = {block.text[s:e]: href for s, e, href in block.links}
    assert spans == {
        "sovereign": "https://example.org/sovereign",
        "island country": "https://example.org/island",
    }


def test_wikipedia_like_page_has_no_words_run_together() -> None:
    article = load_article(FIXTURES / "wiki_iceland.html")
    for phrase in (
        "a Nordic sovereign island country between",
        "the North Atlantic Ocean.",
        "volcanically active",
        "a plateau of sand fields",
        "many glacial rivers flow",
        "renewable geothermal power",
        "drift ice",
    ):
        assert phrase in article.text, phrase
    for glued in ("Nordicsovereign", "sovereignisland", "AtlanticOcean", "glacialrivers", "driftice"):
        assert glued not in article.text
    # No private marker of the extractor leaks into the text, and no double spaces are left.
    assert not re.search(r"[^\w\s.,:;()\[\]|'’\"-]", article.text.replace("í", "").replace("Í", ""))
    assert "  " not in article.text


@pytest.mark.parametrize("space", [" ", "&#8201;", "\n"], ids=["space", "thin-space", "newline"])
def test_space_at_the_end_of_text_before_a_link_is_kept(space: str) -> None:
    # The shape of a Wikipedia quotation's attribution: a dash, a (thin) space, then a link.
    fragment = (
        '<blockquote class="templatequote"><p>Theoretically, after each fix one must run the entire batch of '
        "test cases previously run against the system, to ensure that it has not been damaged.</p>"
        f'<div class="templatequotecite"><cite>—{space}<a href="https://en.wikipedia.org/wiki/Fred_Brooks">'
        'Fred Brooks</a>, <i><a href="https://en.wikipedia.org/wiki/The_Mythical_Man-Month">The Mythical Man '
        "Month</a></i>, p. 122</cite></div></blockquote>"
    )
    text = text_of(page(fragment))
    assert "—Fred" not in text
    assert re.search(r"—\s+Fred Brooks, The Mythical Man Month, p\. 122", text), text


def test_xhtml_page_with_an_xml_declaration_keeps_its_spaces() -> None:
    # Pages saved as XHTML start with an XML declaration, which lxml refuses in a str.
    source = '<?xml version="1.0" encoding="utf-8"?>\n' + page(
        '<p>Iceland is a Nordic <a href="https://e.org/a">sovereign</a> <a href="https://e.org/b">island '
        "country</a> in the North Atlantic, between the Greenland Sea and the Norwegian Sea.</p>"
    ).replace("<html>", '<html xmlns="http://www.w3.org/1999/xhtml">')
    assert "Nordic sovereign island country in the North Atlantic" in text_of(source)
