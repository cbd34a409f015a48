"""Searching while the index is being built (issue 15, item 8).

The build is held at its start (the index's ``update`` waits for an event) so that the search certainly
runs during it. While it runs, the search answers from what the index already holds, the list says how
much that is ("N of M articles indexed — results may be incomplete"), and the query runs again when the
build finishes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from reader.ui.main_window import MainWindow
from reader.ui.settings import Settings

NEW_ARTICLE = "# Beekeeping notes\n\nThe apiarist counted the hives twice.\n"


def _open(qtbot: QtBot, library: Path, settings: Settings | None = None) -> MainWindow:
    window = MainWindow(settings or Settings(), library)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=15000)
    return window


def _close(window: MainWindow) -> None:
    window.close()
    assert window.runner.wait(10000)


def _search(window: MainWindow, qtbot: QtBot, query: str) -> int:
    with qtbot.waitSignal(window.search_shown, timeout=15000) as blocker:
        window.search_field.setText(query)
    return int(blocker.args[0])


def _titles(window: MainWindow) -> list[str]:
    return [row.entry.meta.title for row in window.model.rows()]


def _building(window: MainWindow) -> Callable[[], bool]:
    return lambda: window.session is not None and window.session.index_building


def test_first_build_answers_from_nothing_and_says_so(
    qtbot: QtBot, sample_library: Path, held_build: threading.Event
) -> None:
    window = _open(qtbot, sample_library)
    try:
        qtbot.waitUntil(_building(window), timeout=15000)
        assert _search(window, qtbot, "osteogenesis") == 0
        assert window.model.rowCount() == 0  # not the whole library as if it were the result
        notice = window.library_view.notice
        assert notice.isVisibleTo(window)
        assert notice.text() == "0 of 4 articles indexed — results may be incomplete"
        with qtbot.waitSignal(window.search_shown, timeout=30000):
            held_build.set()  # the build finishes: the query runs again
        assert window.model.rowCount() >= 1
        assert all(row.hit is not None for row in window.model.rows())
        assert not notice.isVisibleTo(window)
    finally:
        held_build.set()
        _close(window)


def test_an_update_answers_from_the_articles_already_indexed(
    qtbot: QtBot, sample_library: Path, held_build: threading.Event
) -> None:
    held_build.set()
    first = _open(qtbot, sample_library)
    qtbot.waitUntil(lambda: first.session is not None and first.session.index_ready, timeout=30000)
    settings = first.settings
    _close(first)
    (sample_library / "bees.md").write_text(NEW_ARTICLE, encoding="utf-8")
    (sample_library / "more-bees.md").write_text(NEW_ARTICLE.replace("twice", "again"), encoding="utf-8")
    held_build.clear()
    window = _open(qtbot, sample_library, settings)
    try:
        qtbot.waitUntil(lambda: window.model.rowCount() == 6, timeout=15000)
        qtbot.waitUntil(_building(window), timeout=15000)
        assert _search(window, qtbot, "osteogenesis") >= 1  # found in the articles indexed before
        assert window.library_view.notice.text() == "4 of 6 articles indexed — results may be incomplete"
        assert _search(window, qtbot, "apiarist") == 0  # the new articles are not indexed yet
        with qtbot.waitSignal(window.search_shown, timeout=30000):
            held_build.set()
        assert sorted(_titles(window)) == ["Beekeeping notes", "Beekeeping notes"]
        assert not window.library_view.notice.isVisibleTo(window)
    finally:
        held_build.set()
        _close(window)
