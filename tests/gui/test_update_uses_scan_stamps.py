"""The index update that follows a scan in the window takes the scan's file stamps: the library is walked
and stat'ed once (by the scan, in its thread), not a second time by the update in the writer thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from reader.core.search import maintenance
from reader.ui.library import library_session
from reader.ui.main_window import MainWindow
from reader.ui.settings import Settings

ARTICLES = 6


def test_the_first_open_walks_the_library_once(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "lib"
    (root / "topic").mkdir(parents=True)
    for i in range(ARTICLES):
        (root / "topic" / f"file-{i}.md").write_text(f"# Title {i}\n\nThe beekeeper {i}.\n", encoding="utf-8")
    monkeypatch.setattr(library_session, "DEFER_READING_FROM", 3)  # the one pass of a first open
    monkeypatch.setenv("READER_INDEX_PROCS", "1")
    walks: list[Path] = []
    stamps_given: list[Any] = []
    real_walk, real_update = maintenance.iter_article_files, maintenance.IndexMaintenance.update

    def walk(folder: Path, *args: Any, **kwargs: Any) -> Any:
        walks.append(folder)
        return real_walk(folder, *args, **kwargs)

    def update(self: Any, **kwargs: Any) -> Any:
        stamps_given.append(kwargs.get("stamps"))
        return real_update(self, **kwargs)

    monkeypatch.setattr(maintenance, "iter_article_files", walk)
    monkeypatch.setattr(maintenance.IndexMaintenance, "update", update)
    window = MainWindow(Settings(), root)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: bool(stamps_given), timeout=15000)
        qtbot.waitUntil(
            lambda: window.session is not None and window.session.index_ready
            and not window.session.index_building, timeout=30000
        )  # fmt: skip
        assert sorted(stamps_given[0]) == [f"topic/file-{i}.md" for i in range(ARTICLES)]
        assert walks == []  # every update so far took a scan's stamps
        assert window.session.indexed_count == ARTICLES
    finally:
        window.close()
        assert window.runner.wait(10000)
