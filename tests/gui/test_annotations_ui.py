"""Highlights and notes in the window: create, undo/redo, save timing, read-only sidecars, external edits."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from reader.core.articles.loader import load_article
from reader.core.notes.sidecar import sidecar_path
from reader.core.notes.store import open_notes
from reader.ui.main_window import MainWindow
from reader.ui.notes.annotation_controller import SAVE_DELAY_MS


def _open_first(window: MainWindow, qtbot: QtBot) -> Path:
    relpath = window.model.rows()[0].relpath
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        window.select_article(relpath)
    return window.library / relpath


def _select(window: MainWindow, quote: str) -> tuple[int, int]:
    article = window.pane.article
    assert article is not None
    start = article.text.index(quote)
    window.pane.select_span(start, start + len(quote))
    return start, start + len(quote)


def _sidecar_quotes(source: Path) -> list[str]:
    data = json.loads(sidecar_path(source).read_text(encoding="utf-8"))
    return [
        next(s["exact"] for s in item["target"]["selector"] if s["type"] == "TextQuoteSelector")
        for item in data["annotations"]
    ]


def test_highlight_is_shown_at_once_and_saved_after_the_save_delay(window: MainWindow, qtbot: QtBot) -> None:
    """The highlight is drawn at once; the save is debounced by SAVE_DELAY_MS (under a second), checked by
    the timer that is armed rather than by a clock."""
    source = _open_first(window, qtbot)
    span = _select(window, "mesenchymal stem cells")
    window.annotations.color_actions["green"].trigger()
    store = window.annotations.store
    assert store is not None
    [annotation] = store.annotations()
    assert (annotation.start, annotation.end, annotation.color) == (*span, "green")
    assert any(sel.format.background().color().name() for sel in window.pane.extraSelections())
    save_timer = window.annotations._save_timer
    assert store.dirty and save_timer.isActive() and save_timer.isSingleShot()
    assert save_timer.interval() == SAVE_DELAY_MS  # the armed timer is the one the controller saves with
    with qtbot.waitSignal(window.annotations.notes_saved, timeout=30000):
        pass
    assert not store.dirty and not save_timer.isActive()
    assert sidecar_path(source).exists()
    assert _sidecar_quotes(source) == ["mesenchymal stem cells"]
    row = window.model.row_for(source.name)
    assert row is not None and row.entry.notes_count == 1 and "green" in row.colors


def test_undo_and_redo_every_edit(window: MainWindow, qtbot: QtBot) -> None:
    source = _open_first(window, qtbot)
    _select(window, "osteogenesis imperfecta")
    window.annotations.highlight("yellow")
    store = window.annotations.store
    assert store is not None
    annotation_id = store.annotations()[0].id
    window.annotations._edit(annotation_id, "Edit note", note="Check the trial size", tags=["trial"])
    assert store.get(annotation_id).note == "Check the trial size"
    window.annotations.act_undo.trigger()
    assert store.get(annotation_id).note == ""
    window.annotations.act_undo.trigger()
    assert len(store) == 0
    window.annotations.act_redo.trigger()
    window.annotations.act_redo.trigger()
    assert store.get(annotation_id).note == "Check the trial size"
    assert window.annotations.flush()
    data = json.loads(sidecar_path(source).read_text(encoding="utf-8"))
    assert data["annotations"][0]["note"] == "Check the trial size"
    assert data["annotations"][0]["tags"] == ["trial"]


def test_closing_right_after_an_edit_keeps_it(
    qtbot: QtBot, sample_library: Path, window_factory: object
) -> None:
    window = window_factory(sample_library)  # type: ignore[operator]
    source = _open_first(window, qtbot)
    _select(window, "Osteogenesis imperfecta is a congenital genetic disease")
    window.annotations.highlight("blue")
    window.close()  # before the save timer fires
    assert _sidecar_quotes(source) == ["Osteogenesis imperfecta is a congenital genetic disease"]


def test_switching_article_flushes_the_last_edit(window: MainWindow, qtbot: QtBot) -> None:
    source = _open_first(window, qtbot)
    _select(window, "rare brittle-bone disorder")
    window.annotations.highlight("pink")
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        window.select_article(window.model.rows()[1].relpath)
    assert _sidecar_quotes(source) == ["rare brittle-bone disorder"]


def test_corrupt_sidecar_is_read_only_and_never_overwritten(window: MainWindow, qtbot: QtBot) -> None:
    relpath = window.model.rows()[0].relpath
    source = window.library / relpath
    broken = b'{"format": "research-notes-reader/notes", "version": 1, "annotations": [ {"id": '
    sidecar_path(source).write_bytes(broken)
    errors: list[str] = []
    window.report_error = errors.append  # type: ignore[method-assign]
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        window.select_article(relpath)
    assert window.annotations.panel.banner.isVisibleTo(window)
    _select(window, "mesenchymal stem cells")
    window.annotations.highlight("yellow")
    window.annotations.flush()
    assert errors and "read-only" in errors[-1]
    assert sidecar_path(source).read_bytes() == broken


def test_external_edit_is_picked_up_while_open(window: MainWindow, qtbot: QtBot) -> None:
    source = _open_first(window, qtbot)
    other = open_notes(load_article(source, window.library))
    other.add_quote("fetal bone tissue", note="added by a sync tool")
    other.save()
    qtbot.waitUntil(lambda: window.annotations.panel.model.rowCount() == 1, timeout=5000)
    store = window.annotations.store
    assert store is not None and store.annotations()[0].note == "added by a sync tool"


def test_orphaned_note_is_listed_and_can_be_reattached(window: MainWindow, qtbot: QtBot) -> None:
    relpath = window.model.rows()[0].relpath
    source = window.library / relpath
    article = load_article(source, window.library)
    store = open_notes(article)
    store.add_quote("fetal bone tissue", note="keep me")
    store.save()
    edited = source.read_text(encoding="utf-8").replace("fetal bone tissue", "donated tissue samples")
    source.write_text(edited, encoding="utf-8")
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        window.select_article(relpath)
    panel = window.annotations.panel
    assert panel.orphan_model.rowCount() == 1
    assert panel.orphan_view.isVisibleTo(window)
    panel.orphan_view.setCurrentIndex(panel.orphan_model.index(0, 0))
    _select(window, "donated tissue samples")
    window.annotations.reattach_orphan()
    assert panel.orphan_model.rowCount() == 0 and panel.model.rowCount() == 1
    assert window.annotations.flush()
    assert _sidecar_quotes(source) == ["donated tissue samples"]


def test_renamed_article_keeps_its_notes(window: MainWindow, qtbot: QtBot) -> None:
    relpath = window.model.rows()[0].relpath
    source = window.library / relpath
    store = open_notes(load_article(source, window.library))
    store.add_quote("fetal bone tissue", note="follows the file")
    store.save()
    (window.library / "moved").mkdir()
    renamed = window.library / "moved" / "renamed.txt"
    source.rename(renamed)
    qtbot.waitUntil(lambda: window.model.row_for("moved/renamed.txt") is not None, timeout=10000)
    row = window.model.row_for("moved/renamed.txt")
    assert row is not None and row.entry.notes_count == 1
    assert sidecar_path(renamed).exists() and not sidecar_path(source).exists()
    assert json.loads(sidecar_path(renamed).read_text(encoding="utf-8"))["annotations"][0]["note"] == (
        "follows the file"
    )


def test_stale_temporary_files_are_cleaned_at_start(
    qtbot: QtBot, sample_library: Path, window_factory: object
) -> None:
    leftover = sample_library / ".000_70401d234f345079.txt.notes.json.abc123.tmp"
    leftover.write_text('{"half": ', encoding="utf-8")
    old = 1_000_000_000
    os.utime(leftover, (old, old))
    window_factory(sample_library)  # type: ignore[operator]
    assert not leftover.exists()


def test_a_saved_note_is_searchable_through_a_one_article_update(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note is re-indexed with update_paths (tens of ms), not a full update that stats the whole library."""
    from reader.core.search.index import SearchIndex

    qtbot.waitUntil(lambda: window.session is not None and window.session.index_ready, timeout=30000)
    calls: list[str] = []
    real_update, real_paths = SearchIndex.update, SearchIndex.update_paths
    monkeypatch.setattr(
        SearchIndex, "update", lambda self, **kw: calls.append("full") or real_update(self, **kw)
    )
    monkeypatch.setattr(
        SearchIndex,
        "update_paths",
        lambda self, rps: calls.append(f"paths {sorted(rps)}") or real_paths(self, rps),
    )
    source = _open_first(window, qtbot)
    store = window.annotations.store
    assert store is not None
    added = store.add_quote("mesenchymal stem cells", note="zyxwvut marker", color="blue")
    assert added.note == "zyxwvut marker"
    assert window.annotations.flush()
    session = window.session
    assert session is not None
    qtbot.waitUntil(lambda: calls != [] and session.index_ready and not session._index_running, timeout=10000)
    assert calls == [f"paths ['{source.name}']"]
    results = session.index.search("zyxwvut") if session.index is not None else None
    assert results is not None and [h.relpath for h in results.hits] == [source.name]
