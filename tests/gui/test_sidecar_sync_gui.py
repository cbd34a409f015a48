"""A text editor or sync tool replaces the notes sidecar while the article is open (issue 9).

The window's :class:`~reader.ui.notes.annotation_controller.AnnotationController` watches the sidecar.
Three outside versions are written (an atomic replace as sync tools do, an in-place rewrite that is briefly
half written as some editors do, another replace): the window shows each, and never writes an older state
over a newer one. An edit made in the window just before an outside version lands is merged with it, not
lost.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pytestqt.qtbot import QtBot

from reader.core.articles.loader import load_article
from reader.core.notes.sidecar import sidecar_path
from reader.core.notes.store import NotesStore
from reader.ui.main_window import MainWindow


def _version(source: Path, library: Path, n: int) -> bytes:
    """The bytes of outside version ``n``: ``n`` highlights noted ``version n / k``."""
    article = load_article(source, library)
    scratch = source.with_name("scratch-" + source.name)
    scratch.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    store = NotesStore(scratch, article.text, text_hash=article.content_hash, backup=False)
    for k in range(n):
        store.add(k * 20, k * 20 + 10, note=f"version {n} / {k}")
    store.save()
    data = json.loads(sidecar_path(scratch).read_text(encoding="utf-8"))
    data["source"] = source.name
    sidecar_path(scratch).unlink()
    scratch.unlink()
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(".sync-tmp-" + path.name)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _shown_notes(window: MainWindow) -> list[str]:
    store = window.annotations.store
    return sorted(a.note for a in store.annotations()) if store is not None else []


def _panel_rows(window: MainWindow) -> int:
    return window.annotations.panel.model.rowCount()


def test_three_outside_versions_are_each_shown_and_never_overwritten(
    window: MainWindow, qtbot: QtBot
) -> None:
    relpath = window.model.rows()[0].relpath
    source = window.library / relpath
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        window.select_article(relpath)
    sidecar = sidecar_path(source)

    v1 = _version(source, window.library, 1)
    _replace(sidecar, v1)
    qtbot.waitUntil(
        lambda: _shown_notes(window) == ["version 1 / 0"] and _panel_rows(window) == 1, timeout=5000
    )

    # An editor rewriting the file in place: first half of it, then all of it.
    v2 = _version(source, window.library, 2)
    sidecar.write_bytes(v2[: len(v2) // 2])
    store = window.annotations.store
    assert store is not None
    qtbot.waitUntil(lambda: store.read_only, timeout=5000)
    sidecar.write_bytes(v2)
    qtbot.waitUntil(lambda: _shown_notes(window) == ["version 2 / 0", "version 2 / 1"], timeout=5000)
    assert not store.read_only and _panel_rows(window) == 2

    v3 = _version(source, window.library, 3)
    _replace(sidecar, v3)
    qtbot.waitUntil(lambda: _panel_rows(window) == 3, timeout=5000)
    assert _shown_notes(window) == [f"version 3 / {k}" for k in range(3)]
    assert sidecar.read_bytes() == v3, "the window wrote over the newest outside version"
    assert not store.dirty and window.annotations.flush()
    assert sidecar.read_bytes() == v3

    # An edit in the window, then (before its save) an outside version: both are kept, v3 is not restored.
    article = window.pane.article
    assert article is not None
    start = article.text.index("mesenchymal stem cells")
    window.pane.select_span(start, start + len("mesenchymal stem cells"))
    window.annotations.highlight("green")
    v4 = _version(source, window.library, 4)
    _replace(sidecar, v4)
    expected = sorted([*(f"version 4 / {k}" for k in range(4)), ""])
    qtbot.waitUntil(lambda: not store.dirty and _shown_notes(window) == expected, timeout=5000)
    on_disk = json.loads(sidecar.read_text(encoding="utf-8"))
    assert sorted(item["note"] for item in on_disk["annotations"]) == expected
    assert any(item["color"] == "green" for item in on_disk["annotations"])
