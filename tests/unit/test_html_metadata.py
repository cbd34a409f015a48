"""Issue 15 item 14: the author and date of a saved web page come from real metadata, not from page junk.

Rejected as authors: UI words of a login widget ("Username"), navigation ("Authority control", a Wikipedia
navbox whose class contains "author"), date stamps ("Last Updated January 7"). The publication date
(article:published_time, JSON-LD datePublished, ``<time pubdate>``, itemprop=datePublished) is preferred to a
modified date (article:modified_time, dateModified, "Last Updated ...", "last edited on ...").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.core.articles.html import extract_html
from reader.core.articles.loader import load_article
from reader.core.articles.metadata import normalize_date

FIXTURES = Path(__file__).parent / "fixtures" / "webpages"
BODY = (
    "<p>The harbour authority voted on Thursday to approve a new ferry terminal on the north quay, ending a "
    "review that began two years ago and drew more than four hundred public comments.</p>"
    "<p>The terminal will replace a pair of ageing berths that can no longer take the larger vessels now "
    "used on the island routes. Work is due to start in the spring, the authority said.</p>"
)


def page(head: str = "", top: str = "", story_meta: str = "") -> str:
    return (
        f"<html lang='en'><head><title>Ferry terminal approved</title>{head}</head><body>{top}"
        f"<article><h1>Ferry terminal approved</h1>{story_meta}{BODY}</article></body></html>"
    )


def test_wikipedia_navbox_is_not_the_author_and_last_edit_is_not_the_date() -> None:
    article = load_article(FIXTURES / "wiki_iceland.html")
    assert article.meta.author is None
    # The only date on the page is "last edited on 7 January 2024": a modified date, not a publication date.
    assert article.meta.date is None


def test_news_page_author_is_the_byline_and_date_is_the_publication() -> None:
    article = load_article(FIXTURES / "news_updated.html")
    assert article.meta.author == "Tomas Reyes"
    assert article.meta.date == "2024-01-05"
    assert article.meta.source == "The Coastal Courier"


def test_blog_meta_author_and_date_are_kept() -> None:
    article = load_article(FIXTURES / "blog_wasm.html")
    assert (article.meta.author, article.meta.date) == ("Maren Olsen", "2023-03-14")


@pytest.mark.parametrize(
    "junk",
    [
        '<div class="username">Username</div>',
        '<span class="author-updated">Last Updated January 7</span>',
        '<div class="author-links"><a href="https://e.org/login">Log in</a></div>',
        '<div class="authority-control"><a href="https://e.org/ac">Authority control</a> ISNI VIAF</div>',
        '<span class="author">Share this article</span>',
    ],
    ids=["username", "last-updated", "log-in", "authority-control", "share"],
)
def test_ui_words_navigation_and_dates_are_not_authors(junk: str) -> None:
    assert "author" not in extract_html(page(story_meta=junk)).meta


def test_a_real_byline_after_junk_is_found() -> None:
    meta = extract_html(
        page(
            top='<form class="login"><div class="username">Username</div><input name="log"></form>',
            story_meta='<p class="story-byline">By Tomas Reyes, Harbour Reporter</p>',
        )
    ).meta
    assert meta.get("author") == "Tomas Reyes"


@pytest.mark.parametrize(
    ("head", "story_meta"),
    [
        (
            '<meta property="article:modified_time" content="2024-01-07T15:20:00Z">'
            '<meta property="article:published_time" content="2024-01-05T08:30:00Z">',
            "",
        ),
        (
            '<meta name="date" content="2024-01-07">'
            '<script type="application/ld+json">{"@type": "NewsArticle", '
            '"dateModified": "2024-01-07T15:20:00Z", "datePublished": "2024-01-05T08:30:00Z"}</script>',
            "",
        ),
        (
            '<meta property="og:updated_time" content="2024-01-07T15:20:00Z">',
            '<time pubdate datetime="2024-01-05T08:30:00Z">Published January 5, 2024</time>',
        ),
        (
            '<meta itemprop="dateModified" content="2024-01-07">',
            '<span>Updated <time datetime="2024-01-07">January 7</time></span> '
            '<meta itemprop="datePublished" content="2024-01-05">',
        ),
        (
            '<script type="application/ld+json">{"@graph": [{"@type": "WebPage", '
            '"dateModified": "2024-01-07"}, {"@type": "Article", "datePublished": "2024-01-05"}]}</script>',
            "<p>Last Updated January 7, 2024</p>",
        ),
    ],
    ids=["meta-modified-first", "meta-date-and-json-ld", "time-pubdate", "itemprop", "json-ld-graph"],
)
def test_publication_date_is_preferred_to_modified_date(head: str, story_meta: str) -> None:
    meta = extract_html(page(head=head, story_meta=story_meta)).meta
    assert normalize_date(meta.get("date")) == "2024-01-05"


def test_a_modified_date_alone_is_not_a_publication_date() -> None:
    meta = extract_html(
        page(
            head='<meta property="article:modified_time" content="2024-01-07T15:20:00Z">',
            story_meta='<span class="updated">Last Updated January 7, 2024</span>',
        )
    ).meta
    assert normalize_date(meta.get("date")) != "2024-01-07"


def test_a_reference_access_date_is_not_the_publication_date() -> None:
    # A Wikipedia citation: "Retrieved 2007-11-29" is when an editor read the source, not the page's date.
    references = (
        '<h2>References</h2><ol class="references"><li id="cite_note-1"><cite class="citation web">'
        'Beck, Kent. "Extreme Programming". <i>c2.com</i>. <span class="reference-accessdate">. Retrieved '
        '<span class="nowrap">2007-11-29</span></span>.</cite></li></ol>'
    )
    meta = extract_html(page().replace("</article>", references + "</article>")).meta
    assert normalize_date(meta.get("date")) != "2007-11-29"


def test_xhtml_head_with_an_xml_declaration_is_read() -> None:
    source = '<?xml version="1.0" encoding="utf-8"?>\n' + page(
        head='<meta name="author" content="Jane Doe">'
        '<meta property="article:published_time" content="2024-01-05">'
    )
    meta = extract_html(source).meta
    assert (meta.get("author"), normalize_date(meta.get("date"))) == ("Jane Doe", "2024-01-05")
