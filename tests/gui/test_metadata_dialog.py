"""The window's article data: metadata dialog, bulk edit, Tags/Status/★ columns, article filters, Copy
Citation, and the read mark moving into an existing sidecar."""

from __future__ import annotations

import json

from PySide6.QtGui import QGuiApplication

from reader.core.notes.article_data import read_article_data, with_tags
from reader.core.notes.sidecar import sidecar_path
from reader.ui.library.article_model import COLUMN_KEYS
from reader.ui.library.metadata_dialog import MetadataDialog

FETAL = "000_70401d234f345079.txt"
KMED = "001_96bab6ea404fa460.txt"
TRIAL = "002_4fb186e8765177bb.txt"


def _cell(window, relpath: str, key: str) -> str:
    index = window.model.index_for(relpath)
    return window.model.index(index.row(), COLUMN_KEYS.index(key)).data()


def test_metadata_dialog_edits_and_resets(window, qtbot, sample_library):
    assert window.library_view.select(FETAL)
    dialog = window.article_data.edit_current()
    assert isinstance(dialog, MetadataDialog)
    title = dialog.fields["title"]
    assert title.text() == "" and title.placeholderText().startswith("Fetal bone tissue")
    assert dialog.fields["authors"].placeholderText() == "You Ji-young"
    assert dialog.fields["citekey"].placeholderText() == "you2025fetal"
    title.setText("Fetal bone stem cells: first Korean trial")
    dialog.fields["source"].setText("Korea Biomedical Review")
    dialog.tags.setText("korea, stem cells")
    dialog.status.setCurrentIndex(dialog.status.findData("reading"))
    dialog.starred.setChecked(True)
    dialog.accept()
    data = read_article_data(sample_library / FETAL)
    assert (
        data.title == "Fetal bone stem cells: first Korean trial" and data.source == "Korea Biomedical Review"
    )
    assert data.tags == ["korea", "stem cells"] and data.status == "reading" and data.starred
    assert data.authors is None  # untouched fields stay unset
    assert _cell(window, FETAL, "title") == "Fetal bone stem cells: first Korean trial"
    assert _cell(window, FETAL, "tags") == "korea, stem cells" and _cell(window, FETAL, "star") == "★"
    # reset to extracted
    dialog = window.article_data.edit_current()
    assert dialog.fields["title"].text() == "Fetal bone stem cells: first Korean trial"
    dialog.reset_buttons["title"].click()
    dialog.accept()
    assert read_article_data(sample_library / FETAL).title is None
    assert _cell(window, FETAL, "title").startswith("Fetal bone tissue")


def test_bulk_edit_and_article_filters(window, qtbot, sample_library):
    table = window.table
    table.selectAll()
    dialog = window.article_data.bulk_edit()
    assert dialog is not None
    dialog.add_tags.setText("korea, review")
    dialog.status.setCurrentIndex(dialog.status.findData("read"))
    dialog.accept()
    for relpath in window.library_view.shown_relpaths():
        data = read_article_data(sample_library / relpath)
        assert data.tags == ["korea", "review"] and data.status == "read"
    assert window.library_view.select(KMED)
    dialog = window.article_data.bulk_edit()
    dialog.remove_tags.setText("review")
    dialog.add_tags.setText("company")
    dialog.accept()
    assert read_article_data(sample_library / KMED).tags == ["korea", "company"]
    filters = window.library_view.article_filters
    filters.tags.setText("review, company")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0)  # all of them: none has both
    filters.mode.setCurrentIndex(filters.mode.findData(False))
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 4)  # any of them
    filters.tags.setText("company")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1)
    filters.tags.setText("")
    filters.starred.setChecked(True)
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0)
    filters.starred.setChecked(False)
    filters.status.setCurrentIndex(filters.status.findData("unread"))
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0)
    filters.status.setCurrentIndex(filters.status.findData("read"))
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 4)


def test_copy_citation_pins_the_key(window, qtbot, sample_library):
    assert window.library_view.select(FETAL)
    text = window.article_data.copy_citation()
    assert text is not None and text.startswith("You, J.-Y. (2025, November 20). Fetal bone tissue")
    assert QGuiApplication.clipboard().text() == text
    assert read_article_data(sample_library / FETAL).citekey == "you2025fetal"


def test_read_mark_moves_into_an_existing_sidecar(window, qtbot, sample_library):
    sidecar = sidecar_path(sample_library / KMED)
    sidecar.write_text(
        json.dumps(
            {
                "format": "research-notes-reader/notes",
                "version": 1,
                "source": KMED,
                "text_hash": "",
                "annotations": [],
            }
        ),
        encoding="utf-8",
    )
    window.select_article(KMED)
    qtbot.waitUntil(lambda: read_article_data(sample_library / KMED).status == "read", timeout=10000)
    # an article without a sidecar gets none just for being opened
    window.select_article(FETAL)
    qtbot.waitUntil(lambda: window.pane.article is not None and window.pane.article.relpath == FETAL)
    assert not sidecar_path(sample_library / FETAL).exists()


def test_reading_position_is_kept_in_an_existing_sidecar(window, qtbot, sample_library):
    sidecar = sidecar_path(sample_library / FETAL)
    sidecar.write_text(
        json.dumps(
            {
                "format": "research-notes-reader/notes",
                "version": 2,
                "source": FETAL,
                "text_hash": "",
                "annotations": [],
                "article": {"position": 0.5},
            }
        ),
        encoding="utf-8",
    )
    assert window.article_data.position(FETAL) == 0.5
    assert window.article_data.save_position(FETAL, 0.25)
    assert not window.article_data.save_position(FETAL, 0.252)  # moved too little to write again
    assert read_article_data(sample_library / FETAL).position == 0.25
    assert not window.article_data.save_position(KMED, 0.3)  # no sidecar: none is made for a position
    assert not sidecar_path(sample_library / KMED).exists()


def test_saved_searches_sidebar_counts_and_applies(window, qtbot, sample_library):
    from reader.core.library.saved_searches import load_saved_searches

    panel = window.saved_searches
    qtbot.waitUntil(lambda: window.session is not None and window.session.index_ready, timeout=30000)
    window.library_view.select(FETAL)
    window.article_data.apply([FETAL, KMED], lambda d: with_tags(d, add=["korea"]))
    filters = window.library_view.article_filters
    filters.tags.setText("korea")
    window.search_field.setText("")
    assert panel.save_current("Korea")
    window.search_field.setText("osteogenesis")
    assert panel.save_current("Bones in Korea")
    assert [s.name for s in load_saved_searches(sample_library)] == ["Bones in Korea", "Korea"]
    qtbot.waitUntil(lambda: panel.counts == {"Korea": 2, "Bones in Korea": 1}, timeout=20000)
    assert panel.list.count() == 2 and panel.list.item(1).text() == "Korea  (2)"
    # counts follow the library: a third article tagged
    with qtbot.waitSignal(panel.counted, timeout=20000):
        window.article_data.apply([TRIAL], lambda d: with_tags(d, add=["korea"]))
    qtbot.waitUntil(lambda: panel.counts.get("Korea") == 3, timeout=20000)
    filters.tags.setText("")
    window.search_field.setText("")
    assert panel.apply("Korea")
    assert filters.tags.text() == "korea" and window.search_field.text() == ""
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 3)
