"""Issue 15 items 12-13 end to end: saved web pages read through ``load_article`` and found by the index.

A phrase that spans two adjacent links ("sovereign island country") and a word inside a code listing that
used to be cut to its first line (``EMSCRIPTEN_KEEPALIVE``) must both be found by a search.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.core.articles.loader import load_article
from reader.core.search.index import SearchIndex

FIXTURES = Path(__file__).parent / "fixtures" / "webpages"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    library = tmp_path / "lib"
    library.mkdir()
    for name in ("wiki_iceland.html", "blog_wasm.html", "news_updated.html"):
        shutil.copy(FIXTURES / name, library / name)
    ix = SearchIndex(tmp_path / "index", library, lock_timeout=0.5)
    ix.update()
    yield ix
    ix.close()


def paths(index: SearchIndex, query: str) -> set[str]:
    return {hit.relpath for hit in index.search(query, limit=100, snippets=False).hits}


def test_canonical_text_has_the_phrase_and_the_listing() -> None:
    wiki = load_article(FIXTURES / "wiki_iceland.html")
    assert "sovereign island country" in wiki.text
    blog = load_article(FIXTURES / "blog_wasm.html")
    assert "EMSCRIPTEN_KEEPALIVE\nint add(int a, int b) {" in blog.text


def test_phrase_across_two_links_is_found(index: SearchIndex) -> None:
    assert paths(index, '"sovereign island country"') == {"wiki_iceland.html"}
    assert paths(index, '"renewable geothermal power"') == {"wiki_iceland.html"}


def test_word_inside_a_code_listing_is_found(index: SearchIndex) -> None:
    assert paths(index, "EMSCRIPTEN_KEEPALIVE") == {"blog_wasm.html"}
    assert paths(index, '"which would emit add.js and add.wasm"') == {"blog_wasm.html"}


def test_snippet_marks_the_phrase_with_spaces_between_its_words(index: SearchIndex) -> None:
    hit = index.search('"sovereign island country"').hits[0]
    assert hit.relpath == "wiki_iceland.html"
    assert "Nordic sovereign island country between" in hit.snippet
    marked = [hit.snippet[start:end] for start, end in hit.snippet_marks]
    assert marked == ["sovereign island country"]
