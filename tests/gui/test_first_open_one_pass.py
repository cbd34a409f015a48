"""A first open reads each article once (issue 18): the list shows the files by name at once, the index
build reads every article for the index and the list together, and its rows replace the names."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from reader.core import paths
from reader.core.library import scan
from reader.core.library.catalog import CachedSkip, load_cache
from reader.core.models import CatalogEntry
from reader.core.search import building
from reader.ui.library import library_session
from reader.ui.main_window import MainWindow
from reader.ui.settings import Settings

ARTICLES = 8


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    (root / "topic").mkdir(parents=True)
    for i in range(ARTICLES):
        (root / "topic" / f"file-{i}.md").write_text(
            f"# Real title {i}\n\nThe apiarist counted hive number {i}.\n", encoding="utf-8"
        )
    (root / "broken.txt").write_bytes(b"\x00\x01\x02\x03" * 300)
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times the scan and the index build read each article."""
    counts: Counter[str] = Counter()
    for module in (scan, building):
        original = module.load_article

        def counting(path: Path, root: Path, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            counts[Path(path).relative_to(root).as_posix()] += 1
            return _original(path, root, *args, **kwargs)

        monkeypatch.setattr(module, "load_article", counting)
    return counts


def _titles(window: MainWindow) -> list[str]:
    return sorted(row.entry.meta.title for row in window.model.rows())


def _ready(window: MainWindow) -> Callable[[], bool]:
    return lambda: (
        window.session is not None and window.session.index_ready and not window.session.index_building
    )


def test_the_list_shows_file_names_first_and_each_article_is_read_once(
    qtbot: QtBot,
    library: Path,
    reads: Counter[str],
    held_build: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(library_session, "DEFER_READING_FROM", 3)  # a "big" library of nine files
    monkeypatch.setenv("READER_INDEX_PROCS", "1")  # read in this process, where the reads are counted
    window = MainWindow(Settings(), library)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.model.rowCount() == ARTICLES + 1, timeout=15000)
        # Listed by file name, nothing read yet; the names are in italics.
        assert _titles(window) == sorted(["broken", *(f"file-{i}" for i in range(ARTICLES))])
        assert all(row.entry.pending for row in window.model.rows())
        assert sum(reads.values()) == 0
        title = window.model.index(0, 0)
        assert window.model.data(title, Qt.ItemDataRole.FontRole).italic()

        with qtbot.waitSignal(window.session.articles_read, timeout=30000) as committed:
            held_build.set()
        indexed, items = committed.args
        assert indexed == ARTICLES
        assert {i.relpath for i in items if isinstance(i, CatalogEntry)} == {
            f"topic/file-{i}.md" for i in range(ARTICLES)
        }
        qtbot.waitUntil(_ready(window), timeout=30000)
        qtbot.waitUntil(
            lambda: _titles(window) == sorted(f"Real title {i}" for i in range(ARTICLES)), timeout=15000
        )
        assert not any(row.entry.pending for row in window.model.rows())
        assert not window.model.data(window.model.index(0, 0), Qt.ItemDataRole.FontRole).italic()
        assert any(s.relpath == "broken.txt" for s in window.libraries.skipped)
        # Every file was read exactly once, by the build; the scan after it took everything from the cache.
        assert reads == Counter({**{f"topic/file-{i}.md": 1 for i in range(ARTICLES)}, "broken.txt": 1})
        cached = load_cache(paths.catalog_cache_path(library))
        assert sorted(rp for rp, item in cached.items() if isinstance(item, CatalogEntry)) == sorted(
            f"topic/file-{i}.md" for i in range(ARTICLES)
        )
        assert isinstance(cached["broken.txt"], CachedSkip)
        # And the index holds them: a search finds every article.
        with qtbot.waitSignal(window.search_shown, timeout=15000) as shown:
            window.search_field.setText("apiarist")
        assert shown.args[0] == ARTICLES
    finally:
        held_build.set()
        window.close()
        assert window.runner.wait(10000)


def test_a_library_with_few_files_to_read_is_read_by_the_scan_as_before(
    qtbot: QtBot, library: Path, reads: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READER_INDEX_PROCS", "1")
    window = MainWindow(Settings(), library)  # nine files: below DEFER_READING_FROM
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.model.rowCount() == ARTICLES, timeout=15000)
        assert _titles(window) == sorted(f"Real title {i}" for i in range(ARTICLES))
        assert not any(row.entry.pending for row in window.model.rows())
        qtbot.waitUntil(_ready(window), timeout=30000)
    finally:
        window.close()
        assert window.runner.wait(10000)
