"""Markdown, HTML and plain-text sources: structure, links, sanitizing, and the pathological-input bounds."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.core.articles import boilerplate, text_stats
from reader.core.articles import html as html_module
from reader.core.articles import markdown as markdown_module
from reader.core.articles.loader import load_article
from reader.core.articles.text import plain_blocks

FIXTURES = Path(__file__).parent / "fixtures" / "articles"


def _blocks(article: object) -> list[tuple[str, int, str]]:
    a = article
    return [(b.kind, b.level, a.text[b.start : b.end]) for b in a.blocks]  # type: ignore[attr-defined]


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


MARKDOWN = """---
title: Front Matter Title
author: [Kim Min-ji, Lee Ho]
date: 2024-05-06
source: Lab Notes
lang: ko
---
# Heading One

A paragraph with a [link](https://example.org/a) and a [relative one](/b), soft
wrapped, and ![an image](https://img.example/x.png) plus <span>inline html</span>.

- first item
- second item
  - nested item

1. ordered

> quoted words

```python
print("hi")

print("bye")
```

---

| a | b |
|---|---|
| 1 | 2 |
"""


def test_markdown_structure_links_and_front_matter(tmp_path: Path) -> None:
    article = load_article(_write(tmp_path, "note.md", MARKDOWN), tmp_path)
    assert article.format == "markdown"
    assert article.meta.title == "Front Matter Title"
    assert article.meta.author == "Kim Min-ji, Lee Ho"
    assert article.meta.date == "2024-05-06"
    assert article.meta.source == "Lab Notes"
    assert article.meta.language == "ko"
    blocks = _blocks(article)
    assert blocks[0] == ("heading", 1, "Heading One")
    assert blocks[1][0] == "paragraph"
    assert "soft wrapped" in blocks[1][2]
    assert "image" not in article.text
    assert "inline html" in article.text
    assert ("list_item", 1, "first item") in blocks
    assert ("list_item", 2, "nested item") in blocks
    assert ("list_item", 1, "1. ordered") in blocks
    assert ("quote", 1, "quoted words") in blocks
    assert ("code", 0, 'print("hi")\n\nprint("bye")') in blocks
    assert ("rule", 0, "* * *") in blocks
    assert ("paragraph", 0, "1 | 2") in blocks
    assert "title:" not in article.text
    assert [(article.text[link.start : link.end], link.href) for link in article.links] == [
        ("link", "https://example.org/a")
    ]


def test_bad_yaml_front_matter_is_not_fatal(tmp_path: Path) -> None:
    article = load_article(
        _write(tmp_path, "bad.md", "---\ntitle: [unclosed\n---\n\n# Real Title\n\nBody.\n")
    )
    assert article.meta.title  # read, not raised
    assert "Body." in article.text


def test_multimarkdown_header_block(tmp_path: Path) -> None:
    article = load_article(_write(tmp_path, "mmd.md", "Title: Header Title\nAuthor: Ann Lee\n\nBody text.\n"))
    assert (article.meta.title, article.meta.author) == ("Header Title", "Ann Lee")
    assert article.text == "Body text."


def test_html_news_page_keeps_the_article_and_drops_the_page(tmp_path: Path) -> None:
    article = load_article(FIXTURES / "news_en.html")
    assert article.format == "html"
    meta = article.meta
    assert meta.title == "Stem cell therapy trial approved for brittle-bone disease"
    assert (meta.author, meta.date, meta.source, meta.language) == (
        "Jane Park",
        "2025-11-20",
        "Health Daily",
        "en",
    )
    text = article.text
    for kept in ("mesenchymal stem cell therapy", "We aim to provide", "Fracture rates fell"):
        assert kept in text
    for dropped in ("Skip to main content", "Most read", "Five foods", "All rights reserved", "dataLayer",
                    "trackArticleView", "Subscribe", "Privacy"):  # fmt: skip
        assert dropped not in text
    kinds = {(k, t) for k, _level, t in _blocks(article)}
    assert ("heading", "Why it matters") in kinds
    assert ("list_item", "The team plans to expand toward global trials.") in kinds
    hrefs = [link.href for link in article.links]
    assert "https://www.mohw.go.kr/" in hrefs
    assert "mailto:press@example.org" in hrefs
    assert not any(h.startswith(("javascript:", "/")) for h in hrefs)
    for link in article.links:
        assert text[link.start : link.end].strip()


def test_html_korean_page(tmp_path: Path) -> None:
    article = load_article(FIXTURES / "news_ko.html")
    assert article.meta.title == "대웅제약, 베스티안재단과 첨단재생의료 연구 협약"
    assert article.meta.language == "ko"
    assert article.meta.date == "2025-07-24"
    assert article.meta.author == "홍길동"
    assert article.text.startswith("대웅제약, 베스티안재단과 첨단재생의료 연구 협약\n\n")
    for dropped in ("본문 바로가기", "관련기사", "셀트리온", "페이스북", "무단전재"):
        assert dropped not in article.text


def test_html_blog_page_code_and_title_without_site_suffix() -> None:
    article = load_article(FIXTURES / "blog_docs.html")
    assert article.meta.title == "Reading files with unknown encodings"
    assert article.meta.author == "Sam Lee"
    assert any(
        b.kind == "code" and "data.startswith" in article.text[b.start : b.end] for b in article.blocks
    )
    assert "Great post" not in article.text
    assert "Bookmarked" not in article.text


def test_small_saved_html_note_keeps_its_structure(tmp_path: Path) -> None:
    page = (
        "<html><head><title>T</title><script>evil()</script></head><body><h1>Note</h1>"
        "<p>Hello world, this is a short saved note with a few words.</p><ul><li>one</li><li>two</li></ul>"
        '<p><a href="https://ok.example/">fine</a> <a href="javascript:x()">bad</a></p></body></html>'
    )
    article = load_article(_write(tmp_path, "note.html", page))
    blocks = _blocks(article)
    assert ("list_item", 1, "one") in blocks
    assert ("list_item", 1, "two") in blocks
    assert "evil" not in article.text
    assert [link.href for link in article.links] == ["https://ok.example/"]


def test_html_encoding_from_meta_charset(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="euc-kr"><title>제목</title></head>'
        "<body><p>한국어 본문입니다.</p></body></html>"
    )
    article = load_article(_write(tmp_path, "ko.html", page.encode("cp949")))
    assert "한국어 본문입니다." in article.text
    assert article.encoding == "cp949"


def _refuse(name: str, calls: list[str]) -> Callable[..., object]:
    def refused(*_args: object, **_kwargs: object) -> object:
        calls.append(name)
        raise AssertionError(f"{name} was given pathological input")

    return refused


@pytest.mark.parametrize(
    ("name", "content", "fallback"),
    [
        (
            "tables.html",
            "<html><body>" + "<table><tr><td>" * 25 + "deep cell" + "</td></tr></table>" * 25,
            "HTML read as plain text: tables nested more than 8 deep",
        ),
        (
            "divs.html",
            "<html><body>\n" + "<div>\n" * 100_000 + "deep div" + "</div>\n" * 100_000 + "</body></html>",
            "HTML read as plain text: elements nested more than 200 deep",
        ),
        (
            "line.html",
            "<html><body><p>" + "word " * 220_000 + "</p></body></html>",
            "HTML read as plain text: a line longer than the limit",
        ),
        ("line.md", "# T\n\n" + "*a **" * 220_000, "Markdown with a very long line read as plain text"),
        ("line.txt", "x" * 1_100_000, None),
    ],
    ids=["nested-tables", "nested-divs", "long-html-line", "long-markdown-line", "long-text-line"],
)
def test_pathological_input_takes_the_linear_fallback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    name: str,
    content: str,
    fallback: str | None,
) -> None:
    """Pathological input never reaches the superlinear parsers (trafilatura, nh3 + lxml, the Markdown
    parser): a linear pre-scan sends it to the plain-text reader, and says why in the log. The boilerplate
    check never normalizes a whole huge line (it looks at the first words only)."""
    calls: list[str] = []
    monkeypatch.setattr(html_module, "_extract_blocks", _refuse("trafilatura", calls))
    monkeypatch.setattr(html_module, "_body_blocks", _refuse("nh3 + lxml", calls))
    monkeypatch.setattr(html_module, "html_metadata", _refuse("the head parser", calls))
    monkeypatch.setattr(markdown_module, "markdown_blocks", _refuse("the Markdown parser", calls))
    normalized: list[int] = []
    real_norm = boilerplate._norm
    monkeypatch.setattr(boilerplate, "_norm", lambda line: normalized.append(len(line)) or real_norm(line))
    path = _write(tmp_path, name, content)
    with caplog.at_level(logging.INFO, logger="reader.core.articles"):
        article = load_article(path)
    assert calls == []
    fallbacks = [r.getMessage() for r in caplog.records if "read as plain text" in r.getMessage()]
    assert fallbacks == ([fallback] if fallback else [])
    assert max(normalized, default=0) <= 4 * boilerplate.MAX_LINE
    assert article.text.strip()
    assert "<div>" not in article.text
    assert "<table>" not in article.text


def test_a_huge_line_is_counted_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Word counts of a 5 MB single line are taken over pieces of about CHUNK_CHARS cut at whitespace, so
    that no single ``str.split`` holds the GIL for long while an article loads in a worker thread."""
    cuts: list[list[str]] = []
    real_pieces = text_stats._pieces

    def recorded(text: str) -> list[str]:
        cuts.append(real_pieces(text))
        return cuts[-1]

    monkeypatch.setattr(text_stats, "_pieces", recorded)
    text = ("word " * 1_000_000)[:5_000_000] + " 대통령은 오늘 취임하였다"
    words = len(text.split())
    assert text_stats.word_count(text) == words
    assert text_stats.reading_minutes(text) == round(11 / 500 + (words - 3) / 230)
    assert len(cuts) == 2  # each counter went through the pieces
    assert len(text) >= text_stats.CHUNK_CHARS * 16  # a piece is a small part of a 5 MB line
    for pieces in cuts:
        assert "".join(pieces) == text
        assert len(pieces) >= len(text) // text_stats.CHUNK_CHARS
        assert max(len(p) for p in pieces) <= text_stats.CHUNK_CHARS + len(" word")
        assert all(p[:1].isspace() for p in pieces[1:])  # cut at whitespace: no word is split


@pytest.mark.parametrize("suffix", [".rst", ".org", ".txt"])
def test_other_plain_formats_read_as_text(tmp_path: Path, suffix: str) -> None:
    article = load_article(_write(tmp_path, "doc" + suffix, "Doc Title\n=========\n\nSome *body* text.\n"))
    assert article.format == "text"
    assert _blocks(article) == [("heading", 1, "Doc Title"), ("paragraph", 0, "Some *body* text.")]


def test_plain_text_segmentation() -> None:
    text = (
        "Short heading line\n" + "A long paragraph line " * 8 + "\n- bullet one\n- bullet two\n  continued\n"
        "\nhard wrapped line one\nhard wrapped line two\n\n    code line\n    more code\n"
    )
    got = [(b.kind, b.text) for b in plain_blocks(text)]
    assert got[0] == ("heading", "Short heading line")
    assert got[1][0] == "paragraph"
    assert got[2:4] == [("list_item", "bullet one"), ("list_item", "bullet two\ncontinued")]
    assert got[4] == ("paragraph", "hard wrapped line one\nhard wrapped line two")
    assert got[5] == ("code", "    code line\n    more code")
