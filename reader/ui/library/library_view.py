"""The library list: a filter row (tag, colour, with notes, unread) above the table of articles.

:class:`LibraryView` holds the catalog last scanned and shows either it or a page of search hits. It knows
nothing of the reading pane: it reports the row the user moves to (:attr:`LibraryView.current_changed`) and
asks ``shown_relpath`` which article is open, so that filtering keeps that row current.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reader.core.models import COLORS, Annotation, CatalogEntry
from reader.ui.library.article_filters import ArticleFilterRow, ArticleFilters
from reader.ui.library.article_model import (
    COLUMN_KEYS,
    COLUMNS,
    DEFAULT_VISIBLE,
    ROW_ROLE,
    ArticleFilterProxy,
    ArticleTableModel,
    LibraryRow,
)
from reader.ui.library.delegates import SnippetDelegate
from reader.ui.library.library_session import SEARCH_PAGE

#: Initial widths of the narrow columns (the title column stretches).
COLUMN_WIDTHS = {
    "author": 110, "source": 110, "date": 84, "language": 44, "words": 60, "notes": 48, "tags": 100,
    "status": 64, "star": 28,
}  # fmt: skip
#: The narrow columns are as wide as their header or their longest value, up to this many average characters;
#: together they take at most :data:`NARROW_SHARE` of the table, the title the rest.
COLUMN_MAX_CHARS = {
    "author": 18, "source": 16, "date": 11, "language": 4, "words": 7, "notes": 5, "tags": 16, "status": 8,
    "star": 2,
}  # fmt: skip
NARROW_SHARE = 0.5
#: The columns that give up width first when the table is narrow.
ELASTIC_COLUMNS = frozenset({"author", "source", "tags"})
#: Rows measured for the widths of the narrow columns.
FIT_SAMPLE_ROWS = 300


class LibraryView(QWidget):
    """Filters and the article table, over the catalog or a page of search hits."""

    #: The current row moved (not when a filter hid it): its relpath, or ``None`` for no article row.
    current_changed = Signal(object)

    def __init__(self, shown_relpath: Callable[[], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shown_relpath = shown_relpath
        self._suppress_current = False
        #: The catalog as last scanned (search hits are shown from it).
        self.catalog_rows: list[LibraryRow] = []
        self.model = ArticleTableModel(self)
        self.proxy = ArticleFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_filters())
        self.article_filters = ArticleFilterRow(self)
        self.article_filters.changed.connect(self._filters_changed)
        layout.addWidget(self.article_filters)
        #: Above the search hits: why they may be incomplete (the index is still being built).
        self.notice = QLabel("", self)
        self.notice.setObjectName("searchNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout.addWidget(self.notice)
        self.table = self._build_table()
        layout.addWidget(self.table)

    def _build_filters(self) -> QHBoxLayout:
        filters = QHBoxLayout()
        self.tag_filter = QComboBox(self)
        self.tag_filter.setToolTip("Show only articles with a note tagged …")
        self.tag_filter.addItem("Any tag", "")
        self.color_filter = QComboBox(self)
        self.color_filter.addItem("Any colour", "")
        for color in COLORS:
            self.color_filter.addItem(color.capitalize(), color)
        self.notes_filter = QCheckBox("With notes", self)
        self.unread_filter = QCheckBox("Unread", self)
        for widget in (self.tag_filter, self.color_filter):
            widget.currentIndexChanged.connect(self._filters_changed)
            filters.addWidget(widget)
        for box in (self.notes_filter, self.unread_filter):
            box.toggled.connect(self._filters_changed)
            filters.addWidget(box)
        filters.addStretch(1)
        return filters

    def _build_table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("articleTable")
        table.setModel(self.proxy)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setSortingEnabled(True)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        self._row_height = table.verticalHeader().defaultSectionSize()
        table.setShowGrid(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        for i, key in enumerate(COLUMN_KEYS):
            if key in COLUMN_WIDTHS:
                header.resizeSection(i, COLUMN_WIDTHS[key])
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        for i, key in enumerate(COLUMN_KEYS):
            table.setColumnHidden(i, key not in DEFAULT_VISIBLE)
        table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.snippet_delegate = SnippetDelegate(table)
        table.setItemDelegateForColumn(0, self.snippet_delegate)
        table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        table.installEventFilter(self)
        return table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

    def fit_columns(self) -> None:
        """Size the narrow columns by their contents, never leaving the title less than half the table: the
        short columns (date, counts, star) get what they need, author, source and tags share what is left."""
        header = self.table.horizontalHeader()
        font = QFont(self.table.font())
        font.setBold(True)  # unread rows are bold
        metrics = QFontMetrics(font)
        em = metrics.averageCharWidth()
        pad = 2 * em  # cell margins
        rows = min(self.model.rowCount(), FIT_SAMPLE_ROWS)
        wants: dict[int, int] = {}
        for i, key in enumerate(COLUMN_KEYS):
            if key not in COLUMN_MAX_CHARS or self.table.isColumnHidden(i):
                continue
            widest = header.fontMetrics().horizontalAdvance(COLUMNS[i][1]) + em  # and the sort indicator
            for r in range(rows):
                widest = max(widest, metrics.horizontalAdvance(str(self.model.index(r, i).data() or "")))
            wants[i] = min(widest, COLUMN_MAX_CHARS[key] * em) + pad
        elastic = [i for i in wants if COLUMN_KEYS[i] in ELASTIC_COLUMNS]
        room = self.table.viewport().width() * NARROW_SHARE - sum(
            w for i, w in wants.items() if i not in elastic
        )
        total = sum(wants[i] for i in elastic)
        scale = max(0.0, min(1.0, room / total)) if total else 1.0
        for i, width in wants.items():
            if i in elastic:
                width = max(header.fontMetrics().horizontalAdvance(COLUMNS[i][1]) + pad, int(width * scale))
            header.resizeSection(i, max(header.minimumSectionSize(), width))

    # ------------------------------------------------------------------------------------- rows
    def set_catalog(self, rows: list[LibraryRow]) -> None:
        """A new scan: keep its rows (shown by :meth:`show_catalog`) and offer their tags as filters."""
        self.catalog_rows = rows
        self._refresh_tag_filter()

    def show_catalog(self) -> None:
        self.show_rows(self.catalog_rows)

    def show_rows(self, rows: list[LibraryRow]) -> None:
        """Show ``rows``, keeping the current article current when it is among them."""
        current = self.current_relpath()
        self.model.set_rows(rows)
        self.fit_columns()
        if current:
            index = self.proxy.mapFromSource(self.model.index_for(current))
            if index.isValid():
                self.table.selectionModel().setCurrentIndex(
                    index,
                    self.table.selectionModel().SelectionFlag.ClearAndSelect
                    | self.table.selectionModel().SelectionFlag.Rows,
                )

    def show_hits(self, rows: list[LibraryRow]) -> None:
        """Search hits, in rank order, each row tall enough for its snippet."""
        self.snippet_delegate.searching = True
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # rank order
        self.show_rows(rows)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def show_notice(self, text: str) -> None:
        """Say ``text`` above the list (an empty text hides the notice)."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def end_search(self) -> None:
        """Back from search hits to the catalog, with rows of the normal height."""
        self.show_notice("")
        self.snippet_delegate.searching = False
        header = self.table.verticalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(self._row_height)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.show_catalog()
        # The sections that showed hits keep their taller heights unless told otherwise.
        for row in range(min(self.proxy.rowCount(), SEARCH_PAGE)):
            header.resizeSection(row, self._row_height)

    def notes_saved(self, relpath: str, count: int, annotations: Iterable[Annotation]) -> None:
        """An article's notes were saved: its count, tags and colours change in the table and the catalog."""
        row = self.model.row_for(relpath)
        if row is None:
            return
        notes = list(annotations)
        self.model.update_row(
            relpath,
            entry=replace(row.entry, notes_count=count),
            tags=frozenset(t for a in notes for t in a.tags),
            colors=frozenset(a.color for a in notes),
        )
        self.catalog_rows = [
            self.model.row_for(r.relpath) or r if r.relpath == relpath else r for r in self.catalog_rows
        ]
        self._refresh_tag_filter()

    def articles_read(self, entries: dict[str, CatalogEntry], unreadable: set[str]) -> None:
        """Articles listed by file name were read (the index build's one pass): their rows get the real
        entries, in the catalog and in the table when it shows the catalog; files that could not be read
        leave the list."""
        rows = self.catalog_rows
        if unreadable:
            rows = [row for row in rows if row.relpath not in unreadable]
        self.catalog_rows = [
            replace(row, entry=entries[row.relpath]) if row.relpath in entries else row for row in rows
        ]
        if self.snippet_delegate.searching:
            return  # search hits: the next search (which the build's commit starts) shows them
        if unreadable:
            self.show_catalog()
        else:
            self.model.update_entries(entries)

    def shown_relpaths(self) -> list[str]:
        """Every article in the table (before filtering), in model order."""
        return [row.relpath for row in self.model.rows()]

    # ------------------------------------------------------------------------------------- current row
    def current_relpath(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        row = index.data(ROW_ROLE) if index.isValid() else None
        return row.relpath if isinstance(row, LibraryRow) else None

    def select(self, relpath: str) -> bool:
        """Make ``relpath`` the current row (False when it is not shown)."""
        index = self.proxy.mapFromSource(self.model.index_for(relpath))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index,
            self.table.selectionModel().SelectionFlag.ClearAndSelect
            | self.table.selectionModel().SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def selected_relpaths(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        values = [index.data(ROW_ROLE) for index in rows]
        return [row.relpath for row in values if isinstance(row, LibraryRow)]

    def step(self, step: int) -> None:
        """Move to the next (``1``) or previous (``-1``) row."""
        current = self.table.selectionModel().currentIndex()
        row = (current.row() + step) if current.isValid() else 0
        if 0 <= row < self.proxy.rowCount():
            self.table.selectRow(row)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._suppress_current:
            return
        row = current.data(ROW_ROLE) if current.isValid() else None
        self.current_changed.emit(row.relpath if isinstance(row, LibraryRow) else None)

    # ------------------------------------------------------------------------------------- filters
    def _refresh_tag_filter(self) -> None:
        current = self.tag_filter.currentData()
        tags = sorted({t for row in self.catalog_rows for t in row.tags}, key=str.casefold)
        self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem("Any tag", "")
        for tag in tags:
            self.tag_filter.addItem(f"#{tag}", tag)
        i = self.tag_filter.findData(current)
        self.tag_filter.setCurrentIndex(max(0, i))
        self.tag_filter.blockSignals(False)

    def _filters_changed(self) -> None:
        # A filter that hides the current row must not open (and mark read) its neighbour.
        self._suppress_current = True
        try:
            self.proxy.set_filters(
                tag=self.tag_filter.currentData(),
                color=self.color_filter.currentData(),
                has_notes=self.notes_filter.isChecked(),
                unread=self.unread_filter.isChecked(),
            )
            self.proxy.set_article_filters(self.article_filters.filters())
            shown = self._shown_relpath()
            index = self.proxy.mapFromSource(self.model.index_for(shown)) if shown else QModelIndex()
            flags = self.table.selectionModel().SelectionFlag
            if index.isValid():
                self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
            else:
                self.table.selectionModel().setCurrentIndex(QModelIndex(), flags.Clear)
        finally:
            self._suppress_current = False

    def clear_filters(self) -> None:
        """Show every row: the proxy drops its filters (the filter widgets are left as they are)."""
        self.proxy.set_filters()
        self.proxy.set_article_filters(ArticleFilters())

    def _show_column(self, column: int, shown: bool) -> None:
        self.table.setColumnHidden(column, not shown)
        self.fit_columns()

    def _header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for i, (key, label) in enumerate(COLUMNS):
            act = menu.addAction(label)
            act.setCheckable(True)
            act.setChecked(not self.table.isColumnHidden(i))
            act.setEnabled(key != "title")
            act.toggled.connect(lambda on, col=i: self._show_column(col, on))
        menu.popup(self.table.horizontalHeader().mapToGlobal(pos))
