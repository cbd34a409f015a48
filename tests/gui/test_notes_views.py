"""Export dialog, import, and the library-wide notes browser."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from reader.core.articles.loader import load_article
from reader.core.notes.sidecar import sidecar_path
from reader.core.notes.store import open_notes
from reader.ui.main_window import MainWindow


def _annotate(window: MainWindow) -> tuple[Path, str]:
    relpath = window.model.rows()[0].relpath
    source = window.library / relpath
    store = open_notes(load_article(source, window.library))
    added = store.add_quote("fetal bone tissue", note="exported note", tags=["trial"], color="green")
    store.add_quote("osteogenesis imperfecta", note="other", color="blue")
    store.save()
    return source, added.id


def test_export_dialog_writes_csv_in_the_background(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _annotate(window)
    dialog = window.show_export()
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.color.setCurrentIndex(dialog.color.findData("green"))
    dest = tmp_path / "out" / "notes.csv"
    dialog.dest.setText(str(dest))
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(opened.append))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10000)
    with dest.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["note"] for row in rows] == ["exported note"]
    assert [url.toLocalFile() for url in opened] == [str(dest.parent)]  # the result is revealed
    dialog.close()


def test_import_merges_a_jsonld_export(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    from reader.core.exchange import export_notes

    source, annotation_id = _annotate(window)
    export = tmp_path / "notes.jsonld"
    export_notes(window.library, None, "jsonld", export)
    sidecar_path(source).unlink()  # the notes are gone from this library ...
    with qtbot.waitSignal(window.notes_imported, timeout=10000) as blocker:
        window.import_notes_file(export)  # ... and come back from the export
    assert blocker.args[0].imported == 2
    ids = [item["id"] for item in json.loads(sidecar_path(source).read_text(encoding="utf-8"))["annotations"]]
    assert annotation_id in ids


def test_all_notes_view_filters_and_opens_the_article(window: MainWindow, qtbot: QtBot) -> None:
    source, _annotation_id = _annotate(window)
    window._library_changed()
    qtbot.waitUntil(lambda: window.model.row_for(source.name).entry.notes_count == 2, timeout=10000)  # type: ignore[union-attr]
    dialog = window.show_all_notes()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=10000)
    dialog.text.setText("exported")
    assert dialog.proxy.rowCount() == 1
    dialog.text.setText("")
    dialog.color.setCurrentIndex(dialog.color.findData("blue"))
    assert dialog.proxy.rowCount() == 1
    dialog.color.setCurrentIndex(0)
    dialog.text.setText("exported")
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        dialog._open(dialog.proxy.index(0, 0))
    qtbot.waitUntil(lambda: window.pane.selected_span() is not None, timeout=5000)
    article = window.pane.article
    span = window.pane.selected_span()
    assert article is not None and span is not None
    assert article.text[span[0] : span[1]] == "fetal bone tissue"
    dialog.close()
