"""The article table: a ``QAbstractTableModel`` over catalog rows, and a proxy that sorts and filters them.

Rows are plain :class:`LibraryRow` objects (a catalog entry, its annotation tags and colours, read state,
and the search hit when the table shows search results). The Python object is available under
:data:`ROW_ROLE`; sorting uses Python values under :data:`SORT_ROLE` (dates, numbers), not display strings.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont

from reader.core.models import CatalogEntry
from reader.core.search.results import SearchHit
from reader.ui.dates import display_date
from reader.ui.library.article_filters import ArticleFilters

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
SNIPPET_ROLE = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class LibraryRow:
    entry: CatalogEntry
    tags: frozenset[str] = field(default_factory=frozenset)
    colors: frozenset[str] = field(default_factory=frozenset)
    read: bool = False
    hit: SearchHit | None = None

    @property
    def relpath(self) -> str:
        return self.entry.relpath


COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("author", "Author"),
    ("source", "Source"),
    ("date", "Date"),
    ("language", "Lang"),
    ("words", "Words"),
    ("notes", "Notes"),
    ("tags", "Tags"),
    ("status", "Status"),
    ("star", "★"),
)
COLUMN_KEYS = tuple(key for key, _ in COLUMNS)
DEFAULT_VISIBLE = frozenset({"title", "source", "date", "notes", "tags", "star"})


def snippet_html(text: str, marks: tuple[tuple[int, int], ...]) -> str:
    """Escape ``text`` and wrap each marked span in ``<b>``."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(marks):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<b>{html.escape(text[start:end])}</b>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


class ArticleTableModel(QAbstractTableModel):
    """Catalog rows, or search hits in rank order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[LibraryRow] = []
        self._by_path: dict[str, int] = {}

    # ------------------------------------------------------------------------------------- Qt API
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        key = COLUMN_KEYS[index.column()]
        meta = row.entry.meta
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, key)
        if role == SORT_ROLE:
            return self._sort_value(row, key)
        if role == SNIPPET_ROLE and key == "title" and row.hit is not None:
            return snippet_html(row.hit.snippet, row.hit.snippet_marks)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "title":
                parts = [html.escape(meta.title), f"<small>{html.escape(row.relpath)}</small>"]
                if row.hit is not None and row.hit.snippet:
                    parts.append(snippet_html(row.hit.snippet, row.hit.snippet_marks))
                return "<br>".join(parts)
            return self._display(row, key) or None
        if role == Qt.ItemDataRole.FontRole and key == "title" and (not row.read or row.entry.pending):
            font = QFont()
            font.setBold(not row.read)
            font.setItalic(row.entry.pending)  # listed by its file name: still being read
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("words", "notes"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # ------------------------------------------------------------------------------------- content
    @staticmethod
    def _display(row: LibraryRow, key: str) -> str:
        meta = row.entry.meta
        if key == "title":
            return meta.title
        if key == "author":
            return meta.author or ""
        if key == "source":
            return meta.source or ""
        if key == "date":
            return display_date(meta.date)
        if key == "language":
            return meta.language or ""
        if key == "words":
            return f"{meta.word_count:,}"
        if key == "notes":
            return str(row.entry.notes_count) if row.entry.notes_count else ""
        if key == "tags":
            return ", ".join(row.entry.tags)
        if key == "status":
            return row.entry.status
        if key == "star":
            return "★" if row.entry.starred else ""
        return ""

    @staticmethod
    def _sort_value(row: LibraryRow, key: str) -> Any:
        meta = row.entry.meta
        if key == "words":
            return meta.word_count
        if key == "notes":
            return row.entry.notes_count
        if key == "date":
            # '--07-24' (year unknown) sorts before any dated article
            return meta.date or ""
        if key == "star":
            return 0 if row.entry.starred else 1
        return ArticleTableModel._display(row, key).casefold()

    def rows(self) -> list[LibraryRow]:
        return list(self._rows)

    def row_for(self, relpath: str) -> LibraryRow | None:
        i = self._by_path.get(relpath)
        return self._rows[i] if i is not None else None

    def index_for(self, relpath: str) -> QModelIndex:
        i = self._by_path.get(relpath)
        return self.index(i, 0) if i is not None else QModelIndex()

    def set_rows(self, rows: list[LibraryRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._by_path = {row.relpath: i for i, row in enumerate(self._rows)}
        self.endResetModel()

    def update_entries(self, entries: dict[str, CatalogEntry]) -> None:
        """Give the rows of these relpaths their new catalog entries (an article read by the index build),
        with one ``dataChanged`` over the rows they span: the views keep their scroll and selection."""
        changed = [i for i in (self._by_path.get(relpath) for relpath in entries) if i is not None]
        if not changed:
            return
        for i in changed:
            self._rows[i] = replace(self._rows[i], entry=entries[self._rows[i].relpath])
        self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), len(COLUMNS) - 1))

    def update_row(self, relpath: str, **changes: Any) -> None:
        """Replace fields of one row (read state, notes count ...) and tell the views."""
        i = self._by_path.get(relpath)
        if i is None:
            return
        self._rows[i] = replace(self._rows[i], **changes)
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))


class ArticleFilterProxy(QSortFilterProxyModel):
    """Sorts on :data:`SORT_ROLE` and filters by tag, colour, has-notes and unread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self._tag: str | None = None
        self._color: str | None = None
        self._has_notes = False
        self._unread = False
        self._article = ArticleFilters()

    def set_filters(
        self,
        *,
        tag: str | None = None,
        color: str | None = None,
        has_notes: bool = False,
        unread: bool = False,
    ) -> None:
        self.beginFilterChange()
        self._tag, self._color, self._has_notes, self._unread = tag or None, color or None, has_notes, unread
        self.endFilterChange()

    def set_article_filters(self, filters: ArticleFilters) -> None:
        """Filter by article tags, status and star as well (see :class:`ArticleFilters`)."""
        self.beginFilterChange()
        self._article = filters
        self.endFilterChange()

    @property
    def filtering(self) -> bool:
        return bool(self._tag or self._color or self._has_notes or self._unread or self._article.active)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self.filtering:  # the common case, called once per row: keep it cheap
            return True
        model = self.sourceModel()
        row = model.data(model.index(source_row, 0, source_parent), ROW_ROLE)
        if not isinstance(row, LibraryRow):
            return False
        if self._tag and self._tag not in row.tags:
            return False
        if self._color and self._color not in row.colors:
            return False
        if self._has_notes and row.entry.notes_count == 0:
            return False
        if self._article.active and not self._article.matches(row.entry):
            return False
        return not (self._unread and row.read)
