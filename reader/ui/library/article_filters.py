"""The article data filters above the library table: article tags (all or any of several), reading status
and star. :class:`ArticleFilters` is the plain value the proxy applies; :class:`ArticleFilterRow` the widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QWidget

from reader.core.models import CatalogEntry
from reader.core.notes.article_data import READING_STATUSES


@dataclass(frozen=True, slots=True)
class ArticleFilters:
    """Which articles to show by their article data; empty criteria match everything."""

    tags: tuple[str, ...] = ()
    match_all: bool = True  #: every tag (True) or any of them (False)
    status: str = ""
    starred: bool = False

    @property
    def active(self) -> bool:
        return bool(self.tags or self.status or self.starred)

    def matches(self, entry: CatalogEntry) -> bool:
        if self.tags:
            have = {t.casefold() for t in entry.tags}
            wanted = [t.casefold() for t in self.tags]
            hit = all(t in have for t in wanted) if self.match_all else any(t in have for t in wanted)
            if not hit:
                return False
        if self.status and entry.status != self.status:
            return False
        return not (self.starred and not entry.starred)


class ArticleFilterRow(QWidget):
    """Tags (comma-separated, all/any), status and "Starred" filters; ``changed`` when any changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tags = QLineEdit(self)
        self.tags.setObjectName("articleTagFilter")
        self.tags.setPlaceholderText("Article tags: a, b")
        self.tags.setToolTip("Show only articles tagged with these tags (comma-separated)")
        self.tags.setClearButtonEnabled(True)
        self.mode = QComboBox(self)
        self.mode.addItem("All tags", True)
        self.mode.addItem("Any tag", False)
        self.status = QComboBox(self)
        self.status.addItem("Any status", "")
        for status in READING_STATUSES:
            self.status.addItem(status.capitalize(), status)
        self.starred = QCheckBox("Starred", self)
        layout.addWidget(self.tags, 1)
        layout.addWidget(self.mode)
        layout.addWidget(self.status)
        layout.addWidget(self.starred)
        self.tags.textChanged.connect(lambda _text: self.changed.emit())
        self.mode.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.status.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.starred.toggled.connect(lambda _on: self.changed.emit())

    def filters(self) -> ArticleFilters:
        tags = tuple(t.strip() for t in self.tags.text().split(",") if t.strip())
        return ArticleFilters(
            tags, bool(self.mode.currentData()), self.status.currentData(), self.starred.isChecked()
        )
