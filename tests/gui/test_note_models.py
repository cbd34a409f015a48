"""The notes' Qt models pass pytest-qt's model tester, empty, filled, filtered, sorted and reset."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from reader.core.models import Annotation
from reader.ui.notes.annotation_model import (
    ANNOTATION_ROLE,
    RELPATH_ROLE,
    AnnotationListModel,
    LibraryNote,
    LibraryNotesModel,
    NoteFilterProxy,
)


def _annotations() -> list[Annotation]:
    return [
        Annotation("fetal bone tissue", 10, 27, color="green", note="trial size?", tags=["trial"]),
        Annotation("mesenchymal stem cells", 40, 62, color="blue", tags=["cells", "trial"]),
        Annotation("osteogenesis imperfecta", 80, 103, note="rare disease", status="fuzzy"),
        Annotation("a passage that moved away", 0, 0, color="pink", status="orphaned"),
    ]


def test_annotation_list_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = AnnotationListModel()
    qtmodeltester.check(model)
    items = _annotations()
    model.set_annotations(items)
    qtmodeltester.check(model)
    assert model.rowCount() == 4
    assert model.row_of(items[2].id) == 2 and model.row_of("no such id") == -1
    first = model.index(0, 0)
    assert "fetal bone tissue" in model.data(first, Qt.ItemDataRole.DisplayRole)
    assert "#trial" in model.data(first, Qt.ItemDataRole.DisplayRole)
    assert "[approximate match]" in model.data(model.index(2, 0), Qt.ItemDataRole.DisplayRole)
    assert model.data(first, ANNOTATION_ROLE).exact == "fetal bone tissue"
    model.set_annotations([])  # a reset while the tester watches
    assert model.rowCount() == 0


def test_note_filter_proxy_over_one_article_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = AnnotationListModel()
    proxy = NoteFilterProxy()
    proxy.setSourceModel(model)
    model.set_annotations(_annotations())
    qtmodeltester.check(proxy)
    proxy.set_filter(tag="trial")
    assert proxy.rowCount() == 2
    proxy.set_filter(color="blue")
    assert [proxy.index(r, 0).data(ANNOTATION_ROLE).exact for r in range(proxy.rowCount())] == [
        "mesenchymal stem cells"
    ]
    proxy.set_filter(text="RARE")
    assert proxy.rowCount() == 1
    qtmodeltester.check(proxy)
    proxy.set_filter()
    assert proxy.rowCount() == 4


def test_library_notes_model_and_proxy_pass_the_model_tester(qtmodeltester: ModelTester) -> None:
    notes = _annotations()
    rows = [
        LibraryNote("b.md", "Bone trial", notes[0]),
        LibraryNote("a.md", "Another article", notes[1]),
        LibraryNote("b.md", "Bone trial", notes[2]),
    ]
    model = LibraryNotesModel()
    qtmodeltester.check(model)
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert (model.rowCount(), model.columnCount()) == (3, 6)
    assert model.headerData(4, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) == "Colour"
    assert model.index(1, 0).data(RELPATH_ROLE) == "a.md"

    proxy = NoteFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(1, Qt.SortOrder.DescendingOrder)  # by quote
    qtmodeltester.check(proxy)
    assert [proxy.index(r, 1).data() for r in range(3)] == [
        "osteogenesis imperfecta",
        "mesenchymal stem cells",
        "fetal bone tissue",
    ]
    proxy.set_filter(text="bone trial")  # the article's title is searched too
    assert proxy.rowCount() == 2
    proxy.set_filter(tag="cells")
    assert proxy.rowCount() == 1
    model.set_rows(rows[:1])  # a reset under an active filter and sort
    assert proxy.rowCount() == 0
    proxy.set_filter()
    assert proxy.rowCount() == 1
