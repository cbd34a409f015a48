"""Markdown export: YAML front matter, CommonMark blockquotes, Obsidian block ids and tags, relative links."""

from __future__ import annotations

import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reader.core.articles.loader import load_article
from reader.core.exchange import ExportItem, NoteFilter, export_notes, render_markdown_article, select_items
from reader.core.exchange.markdown import block_id, escape_markdown_line, markdown_note, sanitize_tag
from reader.core.library.links import make_uri, parse_uri
from reader.core.models import Annotation, Article, ArticleMeta
from reader.core.notes.store import open_notes

COMMONMARK = MarkdownIt("commonmark")

HOSTILE_QUOTE = (
    "*not emphasis* and _not_ either, [a link](http://x) <b>bold</b> `code` #hashtag\n"
    "==mark== %%c%% $x$ &amp; | a | b |\n"
    "1. not a list\n"
    "- not a bullet\n"
    "> not a quote\n"
    "# not a heading\n"
    "    not code\n"
    "=====\n"
    "[[not a wikilink]] ![not an image](y.png) trailing backslash \\"
)


def make_library(root: Path) -> Path:
    """A library with three annotated articles (one in a subfolder, one Korean, one with hostile text)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "alpha.txt").write_text(
        "Alpha article\n\nThe results are conclusive and final.\nA second paragraph follows here.\n",
        encoding="utf-8",
    )
    (root / "sub").mkdir()
    (root / "sub" / "한국 기사.txt").write_text(
        "연구 노트 제목\n\n대통령은 오늘 새로운 정책을 발표했다.\n전문가들은 신중한 반응을 보였다.\n",
        encoding="utf-8",
    )
    (root / "hostile.txt").write_text("Hostile text\n\n" + HOSTILE_QUOTE + "\nEnd.\n", encoding="utf-8")
    annotate(root, "alpha.txt", "A second paragraph", color="blue", note="Second *note*.")
    annotate(
        root,
        "alpha.txt",
        "results are conclusive",
        color="green",
        note="Needs a **citation**.\n\nSee also p. 4.",
        tags=["needs citation", "review"],
    )
    annotate(
        root, "sub/한국 기사.txt", "새로운 정책을 발표했다", color="pink", note="정책 메모", tags=["정책"]
    )
    annotate_span(
        root,
        "hostile.txt",
        "*not emphasis*",
        "backslash \\",
        color="purple",
        note="```python\nunclosed fence",
        tags=["1984"],
    )
    return root


def annotate_span(root: Path, relpath: str, first: str, last: str, **fields: Any) -> Annotation:
    """Highlight the canonical text from ``first`` to the end of ``last`` (the reader may reflow the file)."""
    store = open_notes(load_article(root / relpath, root))
    start = store.text.index(first)
    end = store.text.index(last, start) + len(last)
    annotation = store.add(start, end, **fields)
    store.save()
    return annotation


def annotate(root: Path, relpath: str, quote: str, **fields: Any) -> Annotation:
    store = open_notes(load_article(root / relpath, root))
    annotation = store.add_quote(quote, **fields)
    store.save()
    return annotation


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    assert text.startswith("---\n")
    end = text.index("\n---\n", 4)
    front = yaml.safe_load(text[4:end])
    assert isinstance(front, dict)
    return front, text[end + len("\n---\n") :]


class TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def blockquotes(tokens: list[Token]) -> list[list[Token]]:
    """The tokens of each top-level blockquote."""
    result: list[list[Token]] = []
    current: list[Token] | None = None
    for token in tokens:
        if token.type == "blockquote_open" and token.level == 0:
            current = []
        elif token.type == "blockquote_close" and token.level == 0:
            assert current is not None
            result.append(current)
            current = None
        elif current is not None:
            current.append(token)
    return result


def top_paragraphs(tokens: list[Token]) -> list[str]:
    return [
        tokens[i + 1].content
        for i, token in enumerate(tokens)
        if token.type == "paragraph_open" and token.level == 0
    ]


def quote_paragraph_texts(quote_tokens: list[Token]) -> list[str]:
    """The plain text each paragraph of a blockquote renders to."""
    texts = []
    for token in quote_tokens:
        if token.type == "inline":
            collector = TextCollector()
            collector.feed(COMMONMARK.renderer.render([token], COMMONMARK.options, {}))
            texts.append("".join(collector.text))
    return texts


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return make_library(tmp_path / "library")


def export_per_article(library: Path, dest: Path) -> dict[str, str]:
    report = export_notes(library, None, "markdown", dest, per_article=True)
    return {path.name: path.read_text(encoding="utf-8") for path in report.written}


def test_one_file_per_article_with_front_matter(library: Path, tmp_path: Path) -> None:
    files = export_per_article(library, tmp_path / "vault")
    assert sorted(files) == ["Alpha article.md", "Hostile text.md", "연구 노트 제목.md"]
    front, _ = split_front_matter(files["Alpha article.md"])
    assert front["title"] == "Alpha article"
    assert set(front) >= {"title", "author", "date", "source", "tags", "source_path"}
    assert front["tags"] == ["needs-citation", "review"]  # the union, sanitized for Obsidian
    assert front["source_path"] == "alpha.txt"
    assert front["source_uri"] == (library / "alpha.txt").resolve().as_uri()
    korean, _ = split_front_matter(files["연구 노트 제목.md"])
    assert korean["title"] == "연구 노트 제목"
    assert korean["tags"] == ["정책"]
    assert korean["source_path"] == "sub/한국 기사.txt"


def test_highlights_are_blockquotes_in_text_order_with_block_ids(library: Path, tmp_path: Path) -> None:
    files = export_per_article(library, tmp_path / "vault")
    front, body = split_front_matter(files["Alpha article.md"])
    tokens = COMMONMARK.parse(body)
    quotes = blockquotes(tokens)
    store = open_notes(load_article(library / "alpha.txt", library))
    assert front["citekey"] == "alphaarticle"  # no author or date: the first two title words
    expected = store.annotations()  # text order
    assert [a.exact for a in expected] == ["results are conclusive", "A second paragraph"]
    assert len(quotes) == 2
    for quote_tokens, annotation in zip(quotes, expected, strict=True):
        texts = quote_paragraph_texts(quote_tokens)
        # A Pandoc citation ends the quote; the colour line links back to the highlight in the reader.
        assert texts == [f"{annotation.exact} [@alphaarticle]", f"— {annotation.color} · open in reader"]
        links = [c.attrGet("href") for t in quote_tokens if t.type == "inline" for c in t.children or []
                 if c.type == "link_open"]  # fmt: skip
        assert links == [make_uri(library, "alpha.txt", annotation.id)]
        assert parse_uri(str(links[0]), is_known=lambda _library: True).annotation == annotation.id
    paragraphs = top_paragraphs(tokens)
    ids = [p[1:] for p in paragraphs if p.startswith("^")]
    assert ids == [a.id.replace("-", "")[:8] for a in expected]
    for block in ids:
        assert re.fullmatch(r"[A-Za-z0-9-]+", block)
    assert "Needs a **citation**." in paragraphs
    assert "#needs-citation #review" in paragraphs


def test_block_ids_are_on_their_own_line_after_the_quote(library: Path, tmp_path: Path) -> None:
    files = export_per_article(library, tmp_path / "vault")
    lines = files["Alpha article.md"].split("\n")
    for index, line in enumerate(lines):
        if line.startswith("^"):
            assert lines[index - 1] == ""
            assert lines[index - 2].startswith("> ")
            assert lines[index + 1] == ""


def test_markdown_special_characters_in_quotes_render_literally(library: Path, tmp_path: Path) -> None:
    files = export_per_article(library, tmp_path / "vault")
    front, body = split_front_matter(files["Hostile text.md"])
    tokens = COMMONMARK.parse(body)
    quotes = blockquotes(tokens)
    assert len(quotes) == 1
    # nothing inside the quote became structure: only paragraphs
    kinds = {t.type for t in quotes[0]} - {"paragraph_open", "paragraph_close", "inline"}
    assert kinds == set()
    html = COMMONMARK.renderer.render(quotes[0], COMMONMARK.options, {})
    collector = TextCollector()
    collector.feed(html)
    assert set(collector.tags) == {"p", "em", "a"}
    assert collector.tags.count("em") == 1  # the colour line, nothing from the quote
    assert collector.tags.count("a") == 1  # the colour line's link back to the reader
    texts = quote_paragraph_texts(quotes[0])
    (annotation,) = open_notes(load_article(library / "hostile.txt", library)).annotations()
    expected_lines = [line.strip() for line in annotation.exact.split("\n") if line.strip()]
    assert len(expected_lines) >= 8
    assert texts == [
        *expected_lines[:-1],
        f"{expected_lines[-1]} [@{front['citekey']}]",
        "— purple · open in reader",
    ]
    # every line of the quote's block is prefixed
    quote_lines = [line for line in body.split("\n") if line.startswith(">")]
    assert len(quote_lines) == 2 * len(expected_lines) + 1


def test_a_note_with_an_unclosed_fence_does_not_swallow_the_rest(library: Path, tmp_path: Path) -> None:
    files = export_per_article(library, tmp_path / "vault")
    _, body = split_front_matter(files["Hostile text.md"])
    tokens = COMMONMARK.parse(body)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1
    assert fences[0].content == "```python\nunclosed fence\n"
    assert top_paragraphs(tokens)[-1] == "#_1984"


def test_relative_link_points_to_the_source(library: Path, tmp_path: Path) -> None:
    dest = tmp_path / "vault"
    files = export_per_article(library, dest)
    _, body = split_front_matter(files["연구 노트 제목.md"])
    links = [
        child.attrGet("href")
        for token in COMMONMARK.parse(body)
        if token.type == "inline"
        for child in token.children or []
        if child.type == "link_open"
    ]
    relative = [str(h) for h in links if not str(h).startswith(("file:", "research-reader:"))]
    assert len(relative) == 1
    target = (dest / urllib.parse.unquote(relative[0])).resolve()
    assert target == (library / "sub" / "한국 기사.txt").resolve()
    # the file URI link is there too (markdown-it refuses to render file: links, CommonMark allows them)
    assert f"[file]({(library / 'sub' / '한국 기사.txt').resolve().as_uri()})" in body


def test_combined_file_has_a_section_per_article(library: Path, tmp_path: Path) -> None:
    dest = tmp_path / "all.md"
    report = export_notes(library, None, "markdown", dest)
    assert report.written == [dest.resolve()]
    assert (report.articles, report.annotations) == (3, 4)
    front, body = split_front_matter(dest.read_text(encoding="utf-8"))
    assert front["annotations"] == 4
    assert sorted(front["tags"]) == sorted(["_1984", "needs-citation", "review", "정책"])
    tokens = COMMONMARK.parse(body)
    headings = [
        tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"
    ]
    assert headings == ["Alpha article", "Hostile text", "연구 노트 제목"]
    assert len(blockquotes(tokens)) == 4
    ids = [p for p in top_paragraphs(tokens) if p.startswith("^")]
    assert len(ids) == len(set(ids)) == 4


def test_filters_select_annotations(library: Path, tmp_path: Path) -> None:
    items = select_items(library, note_filter=NoteFilter(tags=["REVIEW"]))
    assert [(i.article.relpath, [a.exact for a in i.annotations]) for i in items] == [
        ("alpha.txt", ["results are conclusive"])
    ]
    items = select_items(library, note_filter=NoteFilter(colors=["pink", "purple"]))
    assert sorted(i.article.relpath for i in items) == ["hostile.txt", "sub/한국 기사.txt"]
    items = select_items(library, note_filter=NoteFilter(relpaths=["alpha.txt"]))
    assert [i.article.relpath for i in items] == ["alpha.txt"]
    items = select_items(library, note_filter=NoteFilter(relpaths=lambda rel: rel.startswith("sub/")))
    assert [i.article.relpath for i in items] == ["sub/한국 기사.txt"]
    items = select_items(library, [library / "hostile.txt"])
    assert [i.article.relpath for i in items] == ["hostile.txt"]


def test_progress_is_reported(library: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    items = select_items(library, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (calls[-1][1], calls[-1][1])
    calls.clear()
    export_notes(
        library,
        items,
        "markdown",
        tmp_path / "v",
        per_article=True,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_sanitized_tags_and_block_ids() -> None:
    assert sanitize_tag("needs citation") == "needs-citation"
    assert sanitize_tag("#a/b c!?") == "a/b-c"
    assert sanitize_tag("1984") == "_1984"
    assert sanitize_tag("!!!") == ""
    assert sanitize_tag("연구 방법") == "연구-방법"
    used: set[str] = set()
    first = block_id("6f1c2a3e-8d4b-4e2a-9c1f-2b7d5e9a0c11", used)
    second = block_id("6f1c2a3e-0000-4e2a-9c1f-2b7d5e9a0c11", used)
    assert first == "6f1c2a3e"
    assert second != first
    assert re.fullmatch(r"[a-z0-9-]+", second)
    assert re.fullmatch(r"[a-z0-9-]+", block_id("not a uuid"))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_any_line_renders_as_itself(line: str) -> None:
    line = line.replace("\n", " ").replace("\r", " ")
    expected = " ".join(line.replace("\x00", "\ufffd").split())  # CommonMark replaces NUL
    rendered = COMMONMARK.render("> " + escape_markdown_line(line) + "\n")
    collector = TextCollector()
    collector.feed(rendered)
    text = " ".join("".join(collector.text).split())
    if expected:
        assert text == expected
        assert set(collector.tags) == {"blockquote", "p"}


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120))
def test_any_note_keeps_the_following_highlight_intact(note: str) -> None:
    body = "\n".join([*markdown_note(note), "", "> next quote", "", "^abcdef12", ""])
    tokens = COMMONMARK.parse(body)
    top = [t.type for t in tokens if t.level == 0]
    assert top[-4:] == ["blockquote_open", "blockquote_close", "paragraph_open", "paragraph_close"]
    assert top_paragraphs(tokens)[-1] == "^abcdef12"


def test_render_from_plain_objects(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("abc", encoding="utf-8")
    article = Article(
        path=path, relpath="x.txt", text="abc", blocks=(), meta=ArticleMeta(title="X: a *title*")
    )
    text = render_markdown_article(ExportItem(article, (Annotation(exact="b", start=1, end=2),)), tmp_path)
    front, body = split_front_matter(text)
    assert front["title"] == "X: a *title*"
    assert body.lstrip().startswith("# X: a \\*title\\*")
