"""HTML export: one self-contained printable page, no remote resources, notes rendered and sanitized."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import lxml.html
import pytest

from reader.core.articles.loader import load_article
from reader.core.exchange import ExportItem, export_notes, render_html
from reader.core.exchange.html import render_note_html
from reader.core.models import Annotation, Article, ArticleMeta
from reader.core.notes.store import open_notes

HOSTILE_NOTE = (
    "**bold** and a [safe link](https://example.org/page)\n\n"
    "<script>alert(1)</script>\n\n"
    '<img src="https://tracker.example/pixel.gif" onerror="alert(2)">\n\n'
    "![remote image](https://example.org/x.png)\n\n"
    "[bad](javascript:alert(3)) <iframe src='https://evil'></iframe>\n\n"
    "- item one\n- item two\n"
)


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


@pytest.fixture
def page(tmp_path: Path) -> tuple[str, Path]:
    root = tmp_path / "library"
    root.mkdir()
    (root / "one.txt").write_text(
        "First <article> & title\n\nThe results are conclusive and final.\nMore text here.\n",
        encoding="utf-8",
    )
    (root / "two.txt").write_text("두 번째 기사\n\n대통령은 말했다.\n", encoding="utf-8")
    store = open_notes(load_article(root / "one.txt", root))
    store.add_quote("results are conclusive", color="green", note=HOSTILE_NOTE, tags=["a tag", "<b>"])
    store.add_quote("More text", color="pink")
    store.save()
    store = open_notes(load_article(root / "two.txt", root))
    store.add_quote("대통령은 말했다", color="blue", note="메모")
    store.save()
    dest = tmp_path / "notes.html"
    export_notes(root, None, "html", dest)
    return dest.read_text(encoding="utf-8"), root


def test_no_remote_resources_and_no_scripts(page: tuple[str, Path]) -> None:
    text, _ = page
    collector = Collector()
    collector.feed(text)
    tags = {tag for tag, _ in collector.elements}
    assert tags.isdisjoint({"script", "img", "iframe", "link", "object", "embed", "video", "audio", "source"})
    for tag, attrs in collector.elements:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if "src" in attrs:
            pytest.fail(f"resource attribute on <{tag}>: {attrs}")
        href = attrs.get("href")
        if href is not None:
            assert tag == "a"
            assert not href.lower().startswith("javascript:")
    assert "url(" not in collector.style
    assert "@import" not in collector.style
    # the hostile markup of the note is there only as escaped text
    assert '&lt;img src="https://tracker.example/pixel.gif"' in text


def test_structure_sections_metadata_and_colours(page: tuple[str, Path]) -> None:
    text, root = page
    doc = lxml.html.document_fromstring(text)
    sections = doc.xpath("//section[@class='article']")
    assert len(sections) == 2
    assert sections[0].xpath("string(h2)") == "First <article> & title"
    assert sections[1].xpath("string(h2)") == "두 번째 기사"
    meta = sections[0].xpath(".//dl[@class='meta']")[0]
    assert meta.xpath("string(.//a)") == "one.txt"
    assert meta.xpath(".//a/@href") == [(root / "one.txt").resolve().as_uri()]
    annotations = doc.xpath("//article[contains(@class, 'annotation')]")
    assert [a.get("class") for a in annotations] == [
        "annotation c-green",
        "annotation c-pink",
        "annotation c-blue",
    ]
    assert annotations[0].xpath("string(.//blockquote)").strip() == "results are conclusive"
    style = doc.xpath("string(//style)")
    for colour in ("yellow", "green", "blue", "pink", "purple"):
        assert f".c-{colour} {{" in style
    assert "@media print" in style
    tags = annotations[0].xpath(".//ul[@class='tags']/li/text()")
    assert tags == ["#a tag", "#<b>"]


def test_notes_are_rendered_and_sanitized(page: tuple[str, Path]) -> None:
    text, _ = page
    doc = lxml.html.document_fromstring(text)
    note = doc.xpath("//div[@class='note']")[0]
    assert note.xpath("string(.//strong)") == "bold"
    links = note.xpath(".//a")
    assert [a.get("href") for a in links] == ["https://example.org/page"]
    assert links[0].get("rel") == "noopener noreferrer"
    assert len(note.xpath(".//li")) == 2
    assert "<script>alert(1)</script>" in note.text_content()  # shown as text, not run
    assert not note.xpath(".//img|.//script|.//iframe")


def test_note_renderer_directly() -> None:
    html = render_note_html("<b>x</b> *y* ![i](http://e/x.png) [z](file:///etc/passwd)")
    assert "<b>" not in html
    assert "&lt;b&gt;" in html
    assert "<em>y</em>" in html
    assert "<img" not in html
    assert 'href="file:' not in html


def test_everything_is_escaped(tmp_path: Path) -> None:
    article = Article(
        path=tmp_path / "a.txt",
        relpath="a.txt",
        text="",
        blocks=(),
        meta=ArticleMeta(title="<script>t</script>", author='"><img src=x>', source="s&s"),
    )
    annotation = Annotation(exact="<b>quote</b>\n\nline two", start=0, end=5, color='red" onclick="x')
    html = render_html([ExportItem(article, (annotation,))], "<title>")
    doc = lxml.html.document_fromstring(html)
    assert not doc.xpath("//script|//img|//b")
    assert doc.xpath("string(//h2)") == "<script>t</script>"
    assert doc.xpath("//blockquote/p/mark/text()") == ["<b>quote</b>", "line two"]
    assert not any(name.startswith("on") for el in doc.iter() for name in el.attrib)
    assert doc.xpath("string(//title)") == "<title>"
