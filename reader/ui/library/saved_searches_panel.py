"""The saved searches sidebar: each saved search (query plus article filters) with how many articles it
finds, counted off the GUI thread and again whenever the library or its index changes. Clicking one puts
its query in the search box and its filters in the filter row; "Save…" saves what is shown now.

The searches live in the library (:mod:`reader.core.library.saved_searches`), so they sync with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.errors import ReaderError
from reader.core.library.saved_searches import SavedSearch, delete_search, load_saved_searches, save_search
from reader.ui.library.article_filters import ArticleFilters
from reader.ui.library.library_view import LibraryView
from reader.ui.workers import TaskRunner

#: Hits asked for when counting what a query finds (every article of a large library).
COUNT_LIMIT = 1_000_000


class SavedSearchesPanel(QWidget):
    """The list of saved searches with their counts (see the module documentation)."""

    #: Counts shown anew: {name: count or None when it could not be counted}.
    counted = Signal(object)

    def __init__(
        self,
        view: LibraryView,
        search_field: QLineEdit,
        runner: TaskRunner,
        library: Callable[[], Path],
        index: Callable[[], Any],
        report_error: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("savedSearches")
        self._view, self._field, self._runner = view, search_field, runner
        self._library, self._index, self._report_error = library, index, report_error
        self._generation = 0
        self.searches: list[SavedSearch] = []
        self.counts: dict[str, int | None] = {}
        self.list = QListWidget(self)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        save = QPushButton("Save…", self)
        save.setToolTip("Save the search and filters shown now under a name")
        save.clicked.connect(self._ask_name)
        delete = QPushButton("Delete", self)
        delete.clicked.connect(self._delete_current)
        buttons = QHBoxLayout()
        for button in (save, delete):
            button.setMinimumWidth(24)  # the sidebar may be made narrow (it must not widen the window)
            buttons.addWidget(button)
        self.list.setMinimumWidth(40)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    # ------------------------------------------------------------------------------------- list
    def reload(self) -> None:
        """Read the saved searches of the library and count them again."""
        try:
            self.searches = load_saved_searches(self._library())
        except ReaderError as exc:
            self.searches = []
            self._report_error(f"Saved searches not shown: {exc}")
        self._fill()
        self.recount()

    def _fill(self) -> None:
        self.list.clear()
        for search in self.searches:
            count = self.counts.get(search.name)
            shown = "…" if count is None else str(count)
            item = QListWidgetItem(f"{search.name}  ({shown})")
            item.setData(Qt.ItemDataRole.UserRole, search.name)
            item.setToolTip(search.query or "(filters only)")
            self.list.addItem(item)

    def recount(self) -> None:
        """Count every saved search in the background (the newest count wins)."""
        self._generation += 1
        generation = self._generation
        searches = list(self.searches)
        entries = [row.entry for row in self._view.catalog_rows]
        index = self._index()

        def work() -> dict[str, int | None]:
            counts: dict[str, int | None] = {}
            for search in searches:
                filters = ArticleFilters(search.tags, search.match_all, search.status, search.starred)
                matching = {e.relpath for e in entries if filters.matches(e)}
                if search.query.strip():
                    if index is None:
                        counts[search.name] = None
                        continue
                    hits = index.search(search.query, limit=COUNT_LIMIT, snippets=False).hits
                    matching &= {hit.relpath for hit in hits}
                counts[search.name] = len(matching)
            return counts

        def done(counts: dict[str, int | None]) -> None:
            if generation == self._generation:
                self.counts = counts
                self._fill()
                self.counted.emit(counts)

        self._runner.run(work, on_success=done, on_failure=lambda message: None)

    # ------------------------------------------------------------------------------------- actions
    def current(self) -> SavedSearch:
        """What the window shows now, as an unnamed saved search."""
        filters = self._view.article_filters.filters()
        return SavedSearch("", self._field.text().strip(), filters.tags, filters.match_all, filters.status,
                           filters.starred)  # fmt: skip

    def save_current(self, name: str) -> bool:
        current = self.current()
        search = SavedSearch(
            name, current.query, current.tags, current.match_all, current.status, current.starred
        )
        try:
            save_search(self._library(), search)
        except ReaderError as exc:
            self._report_error(f"Search not saved: {exc}")
            return False
        self.reload()
        return True

    def apply(self, name: str) -> bool:
        """Show the saved search called ``name``: its query in the search box, its filters in the row."""
        search = next((s for s in self.searches if s.name == name), None)
        if search is None:
            return False
        row = self._view.article_filters
        row.tags.setText(", ".join(search.tags))
        row.mode.setCurrentIndex(row.mode.findData(search.match_all))
        row.status.setCurrentIndex(max(0, row.status.findData(search.status)))
        row.starred.setChecked(search.starred)
        self._field.setText(search.query)
        return True

    def _activated(self, item: QListWidgetItem) -> None:
        self.apply(item.data(Qt.ItemDataRole.UserRole))

    def _ask_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save Search", "Name:")
        if ok and name.strip():
            self.save_current(name.strip())

    def _delete_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        try:
            delete_search(self._library(), item.data(Qt.ItemDataRole.UserRole))
        except ReaderError as exc:
            self._report_error(f"Search not deleted: {exc}")
            return
        self.reload()
