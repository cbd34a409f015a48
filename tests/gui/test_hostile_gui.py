"""Hostile input in the window (issue 9): remote resources are never fetched, scripts never reach the pane,
pathological HTML opens quickly, huge files do not freeze the window.

Stated requirements of the issue, checked here: nested HTML (25 nested tables, 100,000 nested divs) opens
within 2 seconds; while a 5 MB single line and a 100 MB file are opened, the longest gap between ticks of a
10 ms GUI timer (the longest event-loop stall) is at most 100 ms.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from pytestqt.qtbot import QtBot

from reader.ui.main_window import MainWindow
from reader.ui.reading.article_document import MAX_RENDER_CHARS

if TYPE_CHECKING:
    from conftest import Listener  # the shared fixture's type (tests/conftest.py)

MAX_STALL_S = 0.100
MAX_OPEN_S = 2.0


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


def _open(window: MainWindow, qtbot: QtBot, relpath: str, timeout: int = 10000) -> float:
    started = time.perf_counter()
    with qtbot.waitSignal(window.article_shown, timeout=timeout):
        assert window.select_article(relpath)
    return time.perf_counter() - started


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


def test_the_pane_renders_a_5_mb_line_within_the_stall_bound(qtbot: QtBot, tmp_path: Path) -> None:
    """The GUI-thread part of opening a 5 MB single line (building the document and painting it) stays
    within the 100 ms stall bound: the pane shows the first MAX_RENDER_CHARS code points with a notice."""
    from reader.core.articles.loader import load_article
    from reader.ui.reading.reading_pane import ReadingPane

    path = tmp_path / "line.txt"
    path.write_text(("word " * 1_000_000)[:5_000_000], encoding="utf-8")
    article = load_article(path, tmp_path)
    pane = ReadingPane()
    qtbot.addWidget(pane)
    pane.resize(900, 700)
    pane.show()
    pane.show_article(article)  # warm-up: fonts
    started = time.perf_counter()
    pane.show_article(article)
    pane.grab()
    elapsed = time.perf_counter() - started
    assert elapsed <= MAX_STALL_S, f"building and painting took {elapsed * 1000:.0f} ms"
    assert pane.shown_length == MAX_RENDER_CHARS
    assert "too long to show in full" in pane.document().toPlainText()
    start = article.text.index("word", MAX_RENDER_CHARS - 20)
    pane.select_span(start, start + 4)
    assert pane.selected_span() == (start, start + 4)


def test_nested_html_opens_within_two_seconds(qtbot: QtBot, tmp_path: Path, window_factory) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "tables.html").write_text(
        "<html><body>" + "<table><tr><td>" * 25 + "deep cell" + "</td></tr></table>" * 25, encoding="utf-8"
    )
    (library / "divs.html").write_text(
        "<html><body>" + "<div>" * 100_000 + "deep div" + "</div>" * 100_000 + "</body></html>",
        encoding="utf-8",
    )
    window = window_factory(library)
    for relpath, words in (("tables.html", "deep cell"), ("divs.html", "deep div")):
        elapsed = _open(window, qtbot, relpath, timeout=int(MAX_OPEN_S * 1000))
        assert elapsed <= MAX_OPEN_S, f"{relpath} took {elapsed:.2f} s"
        assert words in window.pane.document().toPlainText()


def test_huge_files_do_not_freeze_the_window(qtbot: QtBot, tmp_path: Path, window_factory) -> None:
    from PySide6.QtCore import QTimer

    library = tmp_path / "library"
    library.mkdir()
    (library / "a-short.txt").write_text("Short article\n\nA few words.\n", encoding="utf-8")
    (library / "line.txt").write_text(("word " * 1_000_000)[:5_000_000], encoding="utf-8")
    with (library / "huge.txt").open("w", encoding="utf-8") as handle:
        block = "A line of a very large clipping about regenerative medicine.\n" * 16_000
        while handle.tell() < 100 * 1024 * 1024:
            handle.write(block)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    window = window_factory(library)
    _wait_index_ready(qtbot, window)
    last[0] = time.perf_counter()
    timer.start()
    _open(window, qtbot, "line.txt", timeout=30000)
    window.pane.grab()
    assert window.pane.shown_length == MAX_RENDER_CHARS
    assert "too long to show in full" in window.pane.document().toPlainText()
    # The 100 MB file is refused before it is read, and listed under the problems.
    assert window.select_article("huge.txt") is False
    assert any(s.relpath == "huge.txt" and "too large" in s.reason for s in window._skipped)
    _open(window, qtbot, "a-short.txt")
    qtbot.waitUntil(lambda: len(gaps) >= 20, timeout=5000)
    timer.stop()
    worst = max(gaps)
    print(f"\nlongest event-loop stall: {worst * 1000:.0f} ms over {len(gaps)} ticks")
    assert worst <= MAX_STALL_S, f"the window froze for {worst * 1000:.0f} ms"
