"""Hostile input in the window (issue 9): remote resources are never fetched, scripts never reach the pane,
pathological HTML opens through the linear plain-text fallback, huge files do not freeze the window.

The issue's time bounds (nested HTML opens within 2 s; the longest event-loop stall while a 5 MB line and
a 100 MB file are opened is at most 100 ms) are measured by ``tests/benchmarks/bench_hostile.py``. The tests
here check the mechanisms that keep them (issue 12: no test asserts a wall-clock time): the superlinear
parsers never see pathological pages, the file is read off the GUI thread, the GUI thread lays out at most
``MAX_RENDER_CHARS`` characters, and a file over the size limit is never read.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytestqt.qtbot import QtBot

from reader.core.articles import html as html_module
from reader.core.articles import loader as loader_module
from reader.core.models import Article
from reader.ui.main_window import MainWindow
from reader.ui.reading.article_document import MAX_RENDER_CHARS

if TYPE_CHECKING:
    from conftest import Listener  # the shared fixture's type (tests/conftest.py)

#: The pane's header (title, byline, the "too long" notice) above the article's text, generously.
HEADER_CHARS = 1_000


def _page(port: int) -> str:
    url = f"http://127.0.0.1:{port}"
    return f"""<html><head><title>Remote</title><link rel="stylesheet" href="{url}/s.css">
<style>@import url({url}/i.css); body {{ background: url({url}/bg.png) }}</style>
<script src="{url}/x.js"></script><script>evil(); alert(document.cookie)</script></head>
<body onload="evil()"><h1>Remote resources</h1>
<p>Before the image <img src="{url}/img.png" onerror="evil()"> after the image.</p>
<iframe src="{url}/frame.html"></iframe><object data="{url}/o.swf"></object>
<p style="background:url({url}/inline.png)">Styled paragraph about bone scaffolds.</p>
<p><a href="{url}/page">a link that is not followed</a> <a href="javascript:evil()">script link</a></p>
<p onclick="evil()">Last paragraph.</p></body></html>
"""


def _open(window: MainWindow, qtbot: QtBot, relpath: str, timeout: int = 30000) -> None:
    with qtbot.waitSignal(window.article_shown, timeout=timeout):
        assert window.select_article(relpath)


def _wait_index_ready(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.session is not None and window.session.index_ready, timeout=30000)


def test_remote_resources_are_never_fetched_and_scripts_never_shown(
    qtbot: QtBot, tmp_path: Path, listener: Listener, window_factory
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "remote.html").write_text(_page(listener.port), encoding="utf-8")
    url = f"http://127.0.0.1:{listener.port}"
    (library / "remote.md").write_text(
        f"# Remote\n\n![img]({url}/md.png) <img src='{url}/inline.png'>\n\n<script>evil()</script>\n",
        encoding="utf-8",
    )
    window = window_factory(library)
    _wait_index_ready(qtbot, window)
    for relpath in ("remote.html", "remote.md"):
        _open(window, qtbot, relpath)
        pane = window.pane
        pane.grab()  # lay out and paint the document
        shown = pane.document().toPlainText()
        for marker in ("evil(", "alert(", "document.cookie", "javascript:"):
            assert marker not in shown, (relpath, marker)
        html = pane.document().toHtml()
        assert "<img" not in html and "<script" not in html and "<iframe" not in html
    qtbot.waitUntil(lambda: window.runner.active == 0, timeout=10000)
    assert listener.accepted == 0


def test_the_pane_lays_out_only_the_first_max_render_chars_of_a_5_mb_line(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The GUI-thread part of opening a 5 MB single line (building the document and laying it out) is
    bounded by the text it is given: the pane shows the first MAX_RENDER_CHARS code points with a notice,
    and the offsets of the shown prefix are those of the article's text."""
    from reader.core.articles.loader import load_article
    from reader.ui.reading.reading_pane import ReadingPane

    path = tmp_path / "line.txt"
    path.write_text(("word " * 1_000_000)[:5_000_000], encoding="utf-8")
    article = load_article(path, tmp_path)
    pane = ReadingPane()
    qtbot.addWidget(pane)
    pane.resize(900, 700)
    pane.show()
    pane.show_article(article)
    pane.grab()  # lay out and paint the document
    doc = pane.document()
    assert pane.shown_length == MAX_RENDER_CHARS
    assert doc.characterCount() <= MAX_RENDER_CHARS + HEADER_CHARS
    assert doc.documentLayout().documentSize().height() > 0
    shown = doc.toPlainText()
    assert "too long to show in full" in shown
    assert shown[pane.to_doc(0) : pane.to_doc(MAX_RENDER_CHARS)] == article.text[:MAX_RENDER_CHARS]
    start = article.text.index("word", MAX_RENDER_CHARS - 20)
    pane.select_span(start, start + 4)
    assert pane.selected_span() == (start, start + 4)


def test_nested_html_opens_through_the_plain_text_fallback(
    qtbot: QtBot,
    tmp_path: Path,
    window_factory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """25 nested tables and 100,000 nested divs never reach trafilatura or nh3 + lxml (quadratic or lossy on
    them): the linear pre-scan sends them to the plain-text fallback, and the window shows their text."""
    library = tmp_path / "library"
    library.mkdir()
    (library / "tables.html").write_text(
        "<html><body>" + "<table><tr><td>" * 25 + "deep cell" + "</td></tr></table>" * 25, encoding="utf-8"
    )
    (library / "divs.html").write_text(
        "<html><body>" + "<div>" * 100_000 + "deep div" + "</div>" * 100_000 + "</body></html>",
        encoding="utf-8",
    )
    parsed: list[str] = []
    real_extract, real_body = html_module._extract_blocks, html_module._body_blocks
    monkeypatch.setattr(html_module, "_extract_blocks", lambda s: parsed.append("extract") or real_extract(s))
    monkeypatch.setattr(html_module, "_body_blocks", lambda s: parsed.append("body") or real_body(s))
    caplog.set_level(logging.INFO, logger="reader.core.articles.html")
    window = window_factory(library)
    for relpath, words in (("tables.html", "deep cell"), ("divs.html", "deep div")):
        _open(window, qtbot, relpath)
        assert words in window.pane.document().toPlainText()
    assert parsed == []
    reasons = {r.getMessage() for r in caplog.records if r.name == "reader.core.articles.html"}
    assert "HTML read as plain text: tables nested more than 8 deep" in reasons
    assert "HTML read as plain text: a line longer than the limit" in reasons  # the divs are one 1.1 MB line


def test_huge_files_do_not_freeze_the_window(
    qtbot: QtBot, tmp_path: Path, window_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5 MB single line is read in a worker thread and only its first MAX_RENDER_CHARS characters are laid
    out on the GUI thread; a 100 MB file is refused before it is read and listed under the problems."""
    library = tmp_path / "library"
    library.mkdir()
    (library / "a-short.txt").write_text("Short article\n\nA few words.\n", encoding="utf-8")
    (library / "line.txt").write_text(("word " * 1_000_000)[:5_000_000], encoding="utf-8")
    with (library / "huge.txt").open("w", encoding="utf-8") as handle:
        block = "A line of a very large clipping about regenerative medicine.\n" * 16_000
        while handle.tell() < 100 * 1024 * 1024:
            handle.write(block)
    window = window_factory(library)
    _wait_index_ready(qtbot, window)
    reads: list[tuple[str, bool]] = []  # (relpath, on the GUI thread)
    real_article_from_bytes = loader_module.article_from_bytes

    def recorded(data: bytes, path: Path, rel: str) -> Article:
        reads.append((rel, threading.current_thread() is threading.main_thread()))
        return real_article_from_bytes(data, path, rel)

    monkeypatch.setattr(loader_module, "article_from_bytes", recorded)
    _open(window, qtbot, "line.txt")
    window.pane.grab()
    assert ("line.txt", False) in reads
    assert window.pane.shown_length == MAX_RENDER_CHARS
    assert window.pane.document().characterCount() <= MAX_RENDER_CHARS + HEADER_CHARS
    assert "too long to show in full" in window.pane.document().toPlainText()
    # The 100 MB file is refused before it is read, and listed under the problems.
    assert window.select_article("huge.txt") is False
    assert any(s.relpath == "huge.txt" and "too large" in s.reason for s in window._skipped)
    _open(window, qtbot, "a-short.txt")
    assert ("a-short.txt", False) in reads
    assert not any(on_gui_thread for _, on_gui_thread in reads)  # a rescan may read a file again, off it too
