"""Script, style and frame content never becomes article text, even in broken HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.core.articles.html import drop_active_content
from reader.core.articles.loader import load_article

CASES = [
    # An unclosed <title> used to swallow the rest of the page, script source included, as the title.
    "<html><head><title>Broken<script>evilscript()</script></head><body><p>Body text here.</p></body></html>",
    # An iframe's fallback text inside a broken link used to be kept.
    "<html><body><p>Intro paragraph.</p>"
    "<a href='https://e.org'><iframe src='x'>evilscript()</a></body></html>",
    "<p>Text</p><SCRIPT type='text/javascript'>evilscript()</SCRIPT>"
    "<style>p{x:evilscript()}</style><p>More</p>",
    "<p>Unclosed script follows.</p><script>evilscript() and the rest",
    "<p>Kept.</p><noscript>evilscript()</noscript><object>evilscript()</object><template>evilscript()</template>",
]


@pytest.mark.parametrize("page", CASES)
def test_active_content_never_reaches_the_canonical_text(tmp_path: Path, page: str) -> None:
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    article = load_article(path, tmp_path)
    assert "evilscript" not in article.text
    assert "evilscript" not in article.meta.title


def test_json_ld_metadata_is_kept_and_visible_text_too() -> None:
    page = (
        '<script type="application/ld+json">{"author": "A. Writer"}</script>'
        "<script>evil()</script><p>Visible</p>"
    )
    cleaned = drop_active_content(page)
    assert "A. Writer" in cleaned
    assert "evil()" not in cleaned
    assert "<p>Visible</p>" in cleaned


def test_an_unclosed_object_keeps_the_text_after_it() -> None:
    cleaned = drop_active_content("<p>Before</p><object data='x.swf'><p>After the object</p>")
    assert "After the object" in cleaned
