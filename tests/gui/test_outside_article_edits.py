"""The open article is edited by another program: the pane shows the newest text (issue 15, item 7).

Editors and tools like ``sed -i`` replace the file by renaming a new one over it; the file watcher then
stops watching that path, so a second replacement that lands before the watch is renewed - or while the
reload of the first is still reading the file - must not be lost. Both replacements below have the same
size, so nothing but the content tells them apart.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from reader.core.models import Article
from reader.ui.main_window import MainWindow
from reader.ui.reading import reading_controller


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path`` (as ``sed -i`` does)."""
    tmp = path.with_name(".edit-tmp-" + path.name)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _open_first(window: MainWindow, qtbot: QtBot) -> Path:
    relpath = window.model.rows()[0].relpath
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        assert window.select_article(relpath)
    return window.library / relpath


def _shows(window: MainWindow, words: str) -> bool:
    article = window.pane.article
    return article is not None and words in article.text and words in window.pane.toPlainText()


def test_two_quick_replacements_show_the_second(window: MainWindow, qtbot: QtBot) -> None:
    path = _open_first(window, qtbot)
    original = path.read_text(encoding="utf-8")
    first, second = original + "\nEdit number one.\n", original + "\nEdit number two.\n"
    assert len(first) == len(second)
    _replace(path, first)
    _replace(path, second)
    qtbot.waitUntil(lambda: _shows(window, "Edit number two."), timeout=10000)
    # The file is still watched after two replacements: a later edit shows too.
    _replace(path, original + "\nEdit number six.\n")
    qtbot.waitUntil(lambda: _shows(window, "Edit number six."), timeout=10000)


def test_a_replacement_during_the_reload_is_shown(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second replacement lands after the reload of the first has read the file, before the window has
    shown it and watched the new file: the pane must not stay on the first edit."""
    path = _open_first(window, qtbot)
    original = path.read_text(encoding="utf-8")
    first, second = original + "\nEdit number one.\n", original + "\nEdit number two.\n"
    real_load = reading_controller.load_article
    replaced: list[bool] = []

    def load_then_edit(source: Path, library: Path) -> Article:
        article = real_load(source, library)
        if "Edit number one." in article.text and not replaced:
            replaced.append(True)
            _replace(path, second)  # in the worker, after the file was read
        return article

    monkeypatch.setattr(reading_controller, "load_article", load_then_edit)
    _replace(path, first)
    qtbot.waitUntil(lambda: bool(replaced), timeout=10000)
    qtbot.waitUntil(lambda: _shows(window, "Edit number two."), timeout=10000)
