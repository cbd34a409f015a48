"""File → Import with another tool's highlights shows what will be imported before anything is written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from reader.core.notes.sidecar import load_annotations, sidecar_path
from reader.ui.main_window import MainWindow
from reader.ui.notes.import_preview import ImportPreviewDialog

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
HYPOTHESIS = SHARED / "interchange" / "hypothesis"


def _library(tmp_path: Path) -> Path:
    assert HYPOTHESIS.is_dir(), f"the shared interchange samples are missing: {HYPOTHESIS}"
    library = tmp_path / "lib"
    library.mkdir()
    shutil.copy(HYPOTHESIS / "wikipedia-regression-testing.html", library)
    return library


def _preview(window: MainWindow, qtbot: QtBot, source: Path) -> ImportPreviewDialog:
    with qtbot.waitSignal(window.library_notes.preview_shown, timeout=20000) as shown:
        window.import_notes_file(source)
    dialog = shown.args[0]
    assert isinstance(dialog, ImportPreviewDialog)
    return dialog


def test_the_preview_lists_what_will_be_imported_and_writes_nothing_until_accepted(
    window_factory: Callable[[Path], MainWindow], qtbot: QtBot, tmp_path: Path
) -> None:
    library = _library(tmp_path)
    window = window_factory(library)
    article = library / "wikipedia-regression-testing.html"
    dialog = _preview(window, qtbot, HYPOTHESIS / "api-search_wikipedia-regression-testing.json")
    text = dialog.details.toPlainText()
    assert "Read from the hypothesis file: 5 highlights." in text
    assert "Regression testing - Wikipedia  →  wikipedia-regression-testing.html  (by title)" in text
    assert "5 imported" in text
    assert dialog.import_button.isEnabled()
    assert not sidecar_path(article).exists()  # the dry run wrote nothing
    with qtbot.waitSignal(window.notes_imported, timeout=20000):
        dialog.accept()
    assert len(load_annotations(article)) == 5


def test_cancelling_the_preview_imports_nothing(
    window_factory: Callable[[Path], MainWindow], qtbot: QtBot, tmp_path: Path
) -> None:
    library = _library(tmp_path)
    window = window_factory(library)
    dialog = _preview(window, qtbot, HYPOTHESIS / "api-search_wikipedia-regression-testing.json")
    dialog.reject()
    qtbot.wait(200)
    assert not sidecar_path(library / "wikipedia-regression-testing.html").exists()


def test_a_file_with_nothing_for_this_library_cannot_be_imported(
    window_factory: Callable[[Path], MainWindow], qtbot: QtBot, tmp_path: Path
) -> None:
    window = window_factory(_library(tmp_path))
    dialog = _preview(window, qtbot, SHARED / "interchange" / "readwise" / "api-v2-export_page.json")
    assert not dialog.import_button.isEnabled()
    assert "No article found" in dialog.details.toPlainText()
    dialog.reject()


def test_a_vault_sync_is_previewed_then_carries_an_edit_back(
    window_factory: Callable[[Path], MainWindow], qtbot: QtBot, tmp_path: Path
) -> None:
    from reader.core.exchange import export_notes
    from reader.core.exchange.importers.apply import import_tool_file

    library = _library(tmp_path)
    import_tool_file(HYPOTHESIS / "api-search_wikipedia-regression-testing.json", library)
    vault = tmp_path / "vault"
    export_notes(library, None, "markdown", vault, per_article=True)
    (note_file,) = vault.glob("*.md")
    text = note_file.read_text(encoding="utf-8")
    assert "\nHeading\n" in text
    note_file.write_text(text.replace("\nHeading\n", "\nHeading, as edited in the vault\n"), encoding="utf-8")
    window = window_factory(library)
    with qtbot.waitSignal(window.library_notes.preview_shown, timeout=20000) as shown:
        window.library_notes.sync_vault_folder(vault)
    dialog = shown.args[0]
    assert dialog.import_button.isEnabled()
    assert "Changes:" in dialog.details.toPlainText()
    notes = {a.note for a in load_annotations(library / "wikipedia-regression-testing.html")}
    assert "Heading, as edited in the vault" not in notes  # the preview wrote nothing
    with qtbot.waitSignal(window.library_notes.vault_synced, timeout=20000):
        dialog.accept()
    notes = {a.note for a in load_annotations(library / "wikipedia-regression-testing.html")}
    assert "Heading, as edited in the vault" in notes


def test_the_notes_panel_names_colours_with_the_library_s_labels(
    window_factory: Callable[[Path], MainWindow], tmp_path: Path
) -> None:
    from reader.core.library.color_labels import set_color_labels

    library = _library(tmp_path)
    set_color_labels(library, {"red": "disagree"})
    window = window_factory(library)
    combo = window.annotations.panel.color_filter
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert "Red — disagree" in texts
    assert "Green" in texts
