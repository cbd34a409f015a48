"""The main window: library table, reading pane, restore on restart, themes, watcher, drops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QPalette
from pytestqt.qtbot import QtBot

from reader.core.articles.loader import load_article
from reader.ui.library.article_model import ROW_ROLE, ArticleFilterProxy, ArticleTableModel, LibraryRow
from reader.ui.main_window import MainWindow

SAMPLE_TITLES = {
    "Fetal bone tissue stem cell therapy enters 1st Korean trial for osteogenesis imperfecta",
    "Exploring the Advancements of Stem Cell Therapy in Korea",
}


def test_window_lists_the_sample_library(window: MainWindow) -> None:
    assert window.model.rowCount() == 4
    titles = {row.entry.meta.title for row in window.model.rows()}
    assert titles >= SAMPLE_TITLES
    assert window.windowTitle().startswith("library")
    assert not window.windowIcon().isNull()


def test_selecting_an_article_shows_its_canonical_text(window: MainWindow, qtbot: QtBot) -> None:
    row: LibraryRow = window.model.rows()[1]
    with qtbot.waitSignal(window.article_shown, timeout=5000) as blocker:
        assert window.select_article(row.relpath)
    assert blocker.args == [row.relpath]
    article = load_article(window.library / row.relpath, window.library)
    shown = window.pane.toPlainText().replace("\u2029", "\n")
    assert article.text in shown
    header = shown.split(article.text)[0]
    assert "2025-12-22" in header and "min read" in header  # the byline header comes first


def _open(window: MainWindow, qtbot: QtBot, relpath: str) -> None:
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        assert window.select_article(relpath)


def test_selection_maps_to_code_points(window: MainWindow, qtbot: QtBot) -> None:
    _open(window, qtbot, window.model.rows()[0].relpath)
    article = window.pane.article
    assert article is not None
    quote = "osteogenesis imperfecta"
    start = article.text.index(quote, 200)
    window.pane.select_span(start, start + len(quote))
    assert window.pane.selected_span() == (start, start + len(quote))
    assert window.pane.textCursor().selectedText() == quote


def test_model_passes_qtmodeltester(window: MainWindow, qtmodeltester: object) -> None:
    qtmodeltester.check(window.model)  # type: ignore[attr-defined]
    qtmodeltester.check(window.proxy)  # type: ignore[attr-defined]


def test_proxy_sorts_on_python_values(window: MainWindow) -> None:
    words_col = 5
    window.proxy.sort(words_col, Qt.SortOrder.AscendingOrder)
    counts = [
        window.proxy.index(r, 0).data(ROW_ROLE).entry.meta.word_count for r in range(window.proxy.rowCount())
    ]
    assert counts == sorted(counts)
    assert len(set(counts)) > 1


def test_filters_unread_and_has_notes(window: MainWindow, qtbot: QtBot) -> None:
    first = window.model.rows()[0].relpath
    _open(window, qtbot, first)  # opening marks it read
    window.unread_filter.setChecked(True)
    visible = {window.proxy.index(r, 0).data(ROW_ROLE).relpath for r in range(window.proxy.rowCount())}
    assert first not in visible
    assert len(visible) == 3
    window.unread_filter.setChecked(False)
    window.notes_filter.setChecked(True)
    assert window.proxy.rowCount() == 0
    window.notes_filter.setChecked(False)
    assert window.proxy.rowCount() == 4


def test_state_is_restored_on_restart(
    qtbot: QtBot, sample_library: Path, window_factory: Callable[[Path], MainWindow]
) -> None:
    first = window_factory(sample_library)
    target = first.model.rows()[2].relpath
    _open(first, qtbot, target)
    first._zoom(2)
    first.set_theme("sepia")
    first.resize(701, 533)
    first.close()

    second = window_factory(sample_library)
    qtbot.waitUntil(lambda: second.pane.article is not None, timeout=5000)
    assert second.current_relpath() == target
    assert second.pane.zoom == 2
    assert second.pane.theme.name == "sepia"
    assert second.size().width() == 701
    row = second.model.row_for(target)
    assert row is not None and row.read


def test_theme_switch_changes_the_reading_pane(window: MainWindow) -> None:
    window.set_theme("dark")
    dark = window.pane.palette().color(QPalette.ColorRole.Base).lightness()
    window.set_theme("light")
    light = window.pane.palette().color(QPalette.ColorRole.Base).lightness()
    assert dark < 80 < light
    assert window.settings.theme() == "light"


def test_new_file_appears_through_the_watcher(window: MainWindow, qtbot: QtBot) -> None:
    (window.library / "new-note.md").write_text(
        "# A brand new note\n\nWritten outside the app.\n", encoding="utf-8"
    )
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=10000)
    titles = {row.entry.meta.title for row in window.model.rows()}
    assert "A brand new note" in titles


def test_deleted_file_disappears_through_the_watcher(window: MainWindow, qtbot: QtBot) -> None:
    victim = window.model.rows()[3].relpath
    (window.library / victim).unlink()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10000)
    assert window.model.row_for(victim) is None


def test_dropped_files_are_copied_into_the_library(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dropped = outside / "000_70401d234f345079.txt"  # same name as a library file: must not overwrite
    dropped.write_text("Dropped article\n\nSome text.\n", encoding="utf-8")
    before = (window.library / dropped.name).read_bytes()
    copied = window.import_files([dropped])
    assert len(copied) == 1 and copied[0].parent == window.library
    assert copied[0].name != dropped.name
    assert (window.library / dropped.name).read_bytes() == before
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=10000)


def test_empty_model_and_proxy_pass_modeltester(qtmodeltester: object) -> None:
    model = ArticleTableModel()
    proxy = ArticleFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    qtmodeltester.check(proxy)  # type: ignore[attr-defined]
    assert model.rowCount(QModelIndex()) == 0


def _complete(window: MainWindow) -> Callable[[int], bool]:
    """For ``waitSignal``: results shown from a complete index (during the first build the window answers
    from what is indexed so far, says so above the list, and searches again when the build ends)."""
    return lambda _shown: not window.library_view.notice.text()


def _wait_for_hits(window: MainWindow, qtbot: QtBot, query: str) -> int:
    with qtbot.waitSignal(window.search_shown, timeout=30000, check_params_cb=_complete(window)) as blocker:
        window.search_field.setText(query)
    return int(blocker.args[0])


def test_search_as_you_type_shows_ranked_hits_with_snippets(window: MainWindow, qtbot: QtBot) -> None:
    shown = _wait_for_hits(window, qtbot, "osteogenesis")
    assert shown == window.model.rowCount() >= 1
    first = window.model.rows()[0]
    assert first.hit is not None
    assert "osteogenesis" in first.hit.snippet.casefold()
    assert "hit" in window.hit_label.text()


def test_typing_fast_drops_stale_results(window: MainWindow, qtbot: QtBot) -> None:
    for partial in ("d", "da", "dae", "daew", "daewoong"):
        window.search_field.setText(partial)
    with qtbot.waitSignal(window.search_shown, timeout=30000, check_params_cb=_complete(window)):
        pass
    qtbot.wait(300)
    titles = [row.entry.meta.title for row in window.model.rows()]
    assert len(titles) == 1 and titles[0].startswith("Daewoong")


def test_escape_clears_the_search_and_shows_the_library(window: MainWindow, qtbot: QtBot) -> None:
    _wait_for_hits(window, qtbot, "daewoong")
    assert window.model.rowCount() == 1
    qtbot.keyClick(window.search_field, Qt.Key.Key_Escape)
    assert window.search_field.text() == ""
    assert window.model.rowCount() == 4


def test_bad_query_gives_a_one_line_message(window: MainWindow, qtbot: QtBot) -> None:
    _wait_for_hits(window, qtbot, "stem")
    window.search_field.setText("date:notadate")
    qtbot.waitUntil(lambda: "not a date" in window.hit_label.text(), timeout=5000)
    assert "\n" not in window.hit_label.text()
    assert "Traceback" not in window.hit_label.text()
    assert window.model.rowCount() >= 1  # the last good results stay visible


def test_opening_a_hit_marks_terms_and_f3_steps_through_them(window: MainWindow, qtbot: QtBot) -> None:
    _wait_for_hits(window, qtbot, "regenerative")
    relpath = window.model.rows()[0].relpath
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        window.select_article(relpath)
    count = window.pane.search_hit_count
    assert count >= 2
    first = window.pane.current_hit
    window.act_next_hit.trigger()
    assert window.pane.current_hit == (first + 1) % count
    window.act_prev_hit.trigger()
    assert window.pane.current_hit == first
    article = window.pane.article
    assert article is not None
    start, end = window.pane._search_spans[0]
    assert article.text[start:end].casefold().startswith("regenerat")


def test_find_in_page_works_without_the_index(window: MainWindow, qtbot: QtBot) -> None:
    _open(window, qtbot, window.model.rows()[0].relpath)
    assert window.pane.find_in_page("stem cell") >= 2
    assert window.pane.find_in_page("no such phrase anywhere") == 0


def test_rows_return_to_one_line_after_a_search(window: MainWindow, qtbot: QtBot) -> None:
    normal = window.table.rowHeight(0)
    _wait_for_hits(window, qtbot, "stem")
    assert window.table.rowHeight(0) > normal  # the snippet is shown under the title
    window.clear_search()
    assert [window.table.rowHeight(r) for r in range(window.proxy.rowCount())] == [normal] * 4


def test_unreadable_files_are_listed_as_problems(
    qtbot: QtBot, sample_library: Path, window_factory: Callable[[Path], MainWindow]
) -> None:
    (sample_library / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (sample_library / "empty.md").write_text("", encoding="utf-8")
    window = window_factory(sample_library)
    assert window.model.rowCount() == 5  # the empty file is listed, the image is not
    assert window.problems_button.isVisibleTo(window)
    assert window.problems_button.text() == "1 problem"
    window.show_problems()
    dialog = window._problems_dialog
    assert dialog is not None
    assert dialog.model.item(0, 0).text() == "photo.txt"
    assert "binary" in dialog.model.item(0, 1).text()
    dialog.close()


def test_cached_list_shows_at_once_and_the_scan_corrects_it(
    qtbot: QtBot, sample_library: Path, window_factory: Callable[[Path], MainWindow]
) -> None:
    from reader.ui.library.library_session import cached_catalog

    assert cached_catalog(sample_library, set()) is None  # no cache yet: nothing to show early
    first = window_factory(sample_library)
    qtbot.waitUntil(lambda: first.session is not None and first.session.index_ready, timeout=30000)
    first.close()
    victim = sorted(sample_library.glob("*.txt"))[0]
    victim.unlink()
    cached = cached_catalog(sample_library, set())
    assert cached is not None and cached.provisional
    assert len(cached.rows) == 4  # the cache still lists the deleted file ...
    second = MainWindow(first.settings, sample_library)
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.catalog_checked, timeout=15000) as blocker:
        second.show()
    assert blocker.args == [3]  # ... and the real scan removes it
    assert second.model.row_for(victim.name) is None
    second.close()


def test_small_segments_are_merged_when_idle(
    qtbot: QtBot,
    sample_library: Path,
    window_factory: Callable[[Path], MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reader.core.search.index import SearchIndex
    from reader.ui.library import library_session

    merged: list[bool] = []
    original = SearchIndex.merge_when_idle

    def spy(self: SearchIndex) -> bool:
        result = original(self)
        merged.append(result)
        return result

    monkeypatch.setattr(SearchIndex, "merge_when_idle", spy)
    monkeypatch.setattr(library_session, "IDLE_MERGE_MS", 50)
    window = window_factory(sample_library)
    qtbot.waitUntil(lambda: bool(merged), timeout=30000)
    (sample_library / "later.md").write_text("# Later\n\nA note about osteoblasts.\n", encoding="utf-8")
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=10000)
    qtbot.waitUntil(lambda: len(merged) >= 2, timeout=30000)
    hits = _wait_for_hits(window, qtbot, "osteoblasts")
    assert hits == 1


def test_switching_library_mid_scan_never_shows_the_old_library(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    """Results of the old library's tasks still on their way must not reach the window after a switch."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "only.md").write_text("# The only article\n\nSome text about bees.\n", encoding="utf-8")
    first = window.library
    window.open_library(first)  # a fresh session starts scanning and opening the index ...
    window.open_library(other)  # ... and is closed at once, its results still queued
    shown: list[set[str]] = []

    def record(*_args: object) -> None:
        shown.append({row.relpath for row in window.model.rows()})

    window.model.modelReset.connect(record)
    window.model.rowsInserted.connect(record)
    qtbot.waitUntil(lambda: [row.relpath for row in window.model.rows()] == ["only.md"], timeout=15000)
    qtbot.wait(300)  # time for any stale result of the first session to arrive
    assert shown and all(rows == {"only.md"} for rows in shown), shown
    assert [row.relpath for row in window.model.rows()] == ["only.md"]


def test_switching_library_stops_the_old_index_build(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    """Closing a session cancels its index build instead of making the window wait for all of it."""
    big = tmp_path / "big"
    big.mkdir()
    for n in range(3000):
        text = f"Article {n}\n\nwords about topic {n} and more words\n"
        (big / f"a{n:04}.txt").write_text(text, encoding="utf-8")
    window.open_library(big)
    session = window.session
    assert session is not None
    with qtbot.waitSignal(session.index_progressed, timeout=60000):
        pass  # the build of the big library has started
    window.open_library(window.library.parent / "library")  # back to the sample library
    assert window.session is not session and session.index is None  # the old session is closed
    from reader.core.search.index import SearchIndex

    index = SearchIndex(session.index_dir, big)
    try:
        assert index.doc_count() < 3000  # the old build stopped early
    finally:
        index.close()
