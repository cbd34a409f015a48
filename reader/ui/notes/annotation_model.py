"""Qt models for annotations: one article's list (the side panel) and every note in the library.

Both hold plain :class:`~reader.core.models.Annotation` objects; the object is available under
:data:`ANNOTATION_ROLE`, and sorting/filtering happen in :class:`NoteFilterProxy` on Python values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from reader.core.models import Annotation
from reader.ui.theme import SWATCHES

ANNOTATION_ROLE = Qt.ItemDataRole.UserRole + 10
SORT_ROLE = Qt.ItemDataRole.UserRole + 11
RELPATH_ROLE = Qt.ItemDataRole.UserRole + 12

Index = QModelIndex | QPersistentModelIndex

STATUS_LABEL = {
    "anchored": "",
    "moved": "moved",
    "fuzzy": "approximate match",
    "orphaned": "passage not found",
}


def _one_line(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe(annotation: Annotation) -> str:
    """The panel's text for one annotation: quote, note, tags and (when not simply anchored) status."""
    lines = [f"“{_one_line(annotation.exact)}”"]
    if annotation.note:
        lines.append(_one_line(annotation.note, 200))
    extra = " ".join(f"#{tag}" for tag in annotation.tags)
    status = STATUS_LABEL.get(annotation.status, annotation.status)
    if status:
        extra = f"{extra}  [{status}]".strip()
    if extra:
        lines.append(extra)
    return "\n".join(lines)


class AnnotationListModel(QAbstractListModel):
    """One article's annotations in text order (orphans listed separately by the panel)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[Annotation] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return describe(item)
        if role == Qt.ItemDataRole.DecorationRole:
            return QColor(SWATCHES.get(item.color, "#999999"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.note or item.exact
        if role == ANNOTATION_ROLE:
            return item
        if role == SORT_ROLE:
            return item.start
        return None

    def set_annotations(self, items: list[Annotation]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def annotations(self) -> list[Annotation]:
        return list(self._items)

    def row_of(self, annotation_id: str) -> int:
        return next((i for i, a in enumerate(self._items) if a.id == annotation_id), -1)


@dataclass(frozen=True, slots=True)
class LibraryNote:
    relpath: str
    title: str
    annotation: Annotation


NOTE_COLUMNS = ("Article", "Quote", "Note", "Tags", "Colour", "Modified")


class LibraryNotesModel(QAbstractTableModel):
    """Every annotation across the library."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[LibraryNote] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(NOTE_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(NOTE_COLUMNS):
            return NOTE_COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        a = row.annotation
        column = index.column()
        values = (
            row.title,
            _one_line(a.exact, 200),
            _one_line(a.note, 200),
            " ".join(f"#{t}" for t in a.tags),
            a.color,
            a.modified.replace("T", " ").rstrip("Z"),
        )
        if role == Qt.ItemDataRole.DisplayRole:
            return values[column]
        if role == SORT_ROLE:
            return (row.title.casefold(), a.start) if column == 0 else str(values[column]).casefold()
        if role == Qt.ItemDataRole.DecorationRole and column == 4:
            return QColor(SWATCHES.get(a.color, "#999999"))
        if role == Qt.ItemDataRole.ToolTipRole and column in (1, 2):
            return a.exact if column == 1 else a.note
        if role == ANNOTATION_ROLE:
            return a
        if role == RELPATH_ROLE:
            return row.relpath
        return None

    def set_rows(self, rows: list[LibraryNote]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()


class NoteFilterProxy(QSortFilterProxyModel):
    """Filters annotations by free text (quote, note, tags, title), tag and colour."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._text = ""
        self._tag = ""
        self._color = ""

    def set_filter(self, *, text: str = "", tag: str = "", color: str = "") -> None:
        self.beginFilterChange()
        self._text, self._tag, self._color = text.casefold().strip(), tag, color
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        annotation = model.data(index, ANNOTATION_ROLE)
        if not isinstance(annotation, Annotation):
            return False
        if self._tag and self._tag not in annotation.tags:
            return False
        if self._color and annotation.color != self._color:
            return False
        if self._text:
            title = str(model.data(index, Qt.ItemDataRole.DisplayRole) or "")
            hay = " ".join([annotation.exact, annotation.note, " ".join(annotation.tags), title]).casefold()
            return all(word in hay for word in self._text.split())
        return True
