"""Fixtures for the pytest-qt tests: a main window on a copy of the sample library."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from reader.core.search.index import SearchIndex
from reader.ui.main_window import MainWindow
from reader.ui.settings import Settings


def open_window(qtbot: QtBot, library: Path) -> MainWindow:
    window = MainWindow(Settings(), library)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=15000)
    return window


def wait_index_ready(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.session is not None and window.session.index_ready, timeout=30000)


@pytest.fixture
def window_factory(qtbot: QtBot) -> Iterator[Callable[[Path], MainWindow]]:
    """Opens main windows on a library; each is closed (and its workers waited for) at teardown."""
    opened: list[MainWindow] = []

    def make(library: Path) -> MainWindow:
        win = open_window(qtbot, library)
        opened.append(win)
        return win

    yield make
    for win in opened:
        win.close()
        assert win.runner.wait(10000)


@pytest.fixture
def window(qtbot: QtBot, sample_library: Path) -> Iterator[MainWindow]:
    win = open_window(qtbot, sample_library)
    yield win
    win.close()
    assert win.runner.active == 0 or win.runner.wait(10000)


@pytest.fixture
def held_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Index builds wait until the returned event is set (it is set at teardown in any case)."""
    release = threading.Event()
    original = SearchIndex.update

    def held(self: SearchIndex, **kwargs: Any) -> Any:
        release.wait(60)
        return original(self, **kwargs)

    monkeypatch.setattr(SearchIndex, "update", held)
    yield release
    release.set()
