"""The smaller things seen in the window (issue 15, item 10): each measured on the widgets themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from reader.core.articles.loader import load_article
from reader.core.models import Annotation, ArticleMeta, CatalogEntry
from reader.core.notes.store import open_notes
from reader.ui.dates import display_date
from reader.ui.library.article_model import ArticleTableModel, LibraryRow
from reader.ui.library.library_view import LibraryView
from reader.ui.main_window import MainWindow
from reader.ui.notes.annotations_panel import NoteDialog


def _wait_for_hits(window: MainWindow, qtbot: QtBot, query: str) -> int:
    with qtbot.waitSignal(
        window.search_shown, timeout=30000, check_params_cb=lambda _n: not window.library_view.notice.text()
    ) as blocker:
        window.search_field.setText(query)
    return int(blocker.args[0])


def test_progress_text_fits_its_bar(window: MainWindow, qtbot: QtBot) -> None:
    window.status.show_progress("Reading library", 9_876, 10_000)
    bar = window.status.progress
    qtbot.waitUntil(lambda: bar.isVisible())
    text = bar.text()
    assert text == "Reading library 9876/10000"
    needed = bar.fontMetrics().horizontalAdvance(text)
    assert bar.width() >= needed + 16, (bar.width(), needed)


def test_match_count_goes_when_the_query_changes(window: MainWindow, qtbot: QtBot) -> None:
    _wait_for_hits(window, qtbot, "regenerative")
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        window.select_article(window.model.rows()[0].relpath)
    window.act_next_hit.trigger()
    assert window.status.label.text().startswith("Match ")
    _wait_for_hits(window, qtbot, "stem")
    assert not window.status.label.text().startswith("Match ")


def test_toolbar_keeps_its_place_when_a_query_message_appears(window: MainWindow, qtbot: QtBot) -> None:
    window.resize(1200, 700)
    _wait_for_hits(window, qtbot, "stem")
    qtbot.wait(50)
    before = (window.search_field.geometry(), window.annotate_toolbar.geometry())
    window.search_field.setText("date:notadate")
    qtbot.waitUntil(
        lambda: "not a date" in window.hit_label.toolTip() + window.hit_label.text(), timeout=5000
    )
    qtbot.wait(50)
    assert (window.search_field.geometry(), window.annotate_toolbar.geometry()) == before


def test_tab_in_the_note_editor_moves_to_tags(qtbot: QtBot) -> None:
    dialog = NoteDialog(Annotation(exact="quote", start=0, end=5), [])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.note.setFocus()
    qtbot.waitUntil(dialog.note.hasFocus)
    qtbot.keyClicks(dialog.note, "first")
    qtbot.keyClick(dialog.note, "\t")
    assert "\t" not in dialog.note.toPlainText()
    assert dialog.tags.hasFocus()


def test_tag_filters_are_never_blank_while_loading(qtbot: QtBot) -> None:
    view = LibraryView(lambda: None)
    qtbot.addWidget(view)
    assert view.tag_filter.currentText() == "Any tag"


def test_all_notes_tag_filter_is_not_blank_while_loading(window: MainWindow) -> None:
    dialog = window.show_all_notes()
    assert dialog.tag.currentText() == "All tags"
    dialog.close()


def _entry(relpath: str, title: str, source: str | None, date: str | None = None) -> CatalogEntry:
    meta = ArticleMeta(title=title, source=source, date=date, word_count=100)
    return CatalogEntry(relpath=relpath, meta=meta, size=1, mtime_ns=1, content_hash="h")


def test_title_column_is_not_squeezed_by_a_mostly_empty_source(window: MainWindow, qtbot: QtBot) -> None:
    window.resize(900, 600)
    rows = [
        LibraryRow(_entry(f"a{i}.txt", f"A reasonably long title number {i}", "BBC" if i == 0 else None))
        for i in range(20)
    ]
    window.library_view.set_catalog(rows)
    window.library_view.show_catalog()
    qtbot.wait(50)
    header = window.table.horizontalHeader()
    title, source = header.sectionSize(0), header.sectionSize(2)
    em = window.table.fontMetrics().averageCharWidth()
    assert title > source
    assert title >= 12 * em, (title, em)
    assert source <= window.table.fontMetrics().horizontalAdvance("Source") + 4 * em


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("--07-24", "24 Jul"),
        ("2025-11-20", "2025-11-20"),
        ("2025-07", "Jul 2025"),
        (None, ""),
        ("junk", "junk"),
    ],
)
def test_dates_are_shown_for_people(value: str | None, shown: str) -> None:
    assert display_date(value) == shown
    model = ArticleTableModel()
    model.set_rows([LibraryRow(_entry("a.txt", "A", None, value))])
    assert model.index(0, 3).data() == shown


def _annotate_one(window: MainWindow) -> None:
    source = window.library / window.model.rows()[0].relpath
    store = open_notes(load_article(source, window.library))
    store.add_quote("fetal bone tissue", note="one note")
    store.save()


def test_export_dialog_counts_closes_and_follows_the_format(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda _url: True))
    _annotate_one(window)
    dialog = window.show_export()
    dialog.format.setCurrentIndex(dialog.format.findData("markdown"))
    folder = tmp_path / "vault"
    dialog.dest.setText(str(folder))
    dialog.format.setCurrentIndex(dialog.format.findData("jsonld"))
    jsonld = Path(dialog.dest.text())
    assert jsonld != folder and jsonld.suffix == ".jsonld"  # not the Markdown folder, silently reused
    for fmt, suffix in (("html", ".html"), ("csv", ".csv")):
        dialog.format.setCurrentIndex(dialog.format.findData(fmt))
        assert Path(dialog.dest.text()).suffix == suffix
    dialog.format.setCurrentIndex(dialog.format.findData("markdown"))
    assert Path(dialog.dest.text()) == folder  # each format keeps its own destination
    dialog.format.setCurrentIndex(dialog.format.findData("jsonld"))
    target = tmp_path / "out.jsonld"
    dialog.dest.setText(str(target))
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel is not None and cancel.text() == "Cancel"
    dialog.start()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10000)
    assert json.loads(target.read_text(encoding="utf-8"))
    assert not folder.exists()
    assert "1 note from 1 article " in dialog.message.text()
    assert "articles" not in dialog.message.text()
    close = dialog.buttons.button(QDialogButtonBox.StandardButton.Close)
    assert close is not None and close.isVisible()
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel) is None
    dialog.close()


def test_the_saved_searches_sidebar_waits_to_be_asked_for(window: MainWindow, qtbot: QtBot) -> None:
    """An empty sidebar would take the width the titles need on a first start: it opens from the View menu."""
    dock = window.saved_searches_dock
    assert not dock.isVisible()
    window.named_actions["saved_searches"].trigger()
    qtbot.waitUntil(dock.isVisible)
    window.named_actions["saved_searches"].trigger()
    qtbot.waitUntil(lambda: not dock.isVisible())
