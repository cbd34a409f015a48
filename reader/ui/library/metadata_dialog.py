"""The article data dialogs: one article's metadata and data, and a bulk edit of the selected articles.

:class:`MetadataDialog` shows every field of :mod:`reader.core.notes.article_data` editable; an empty
metadata field shows the value extracted from the file as its placeholder and means "use it"; each has a
"Reset" button (back to the extracted value). :meth:`MetadataDialog.change` is the edit to apply with
:func:`~reader.core.notes.article_data.update_article_data` (only the fields the user changed, so that it
merges with what another program changed meanwhile). :class:`BulkEditDialog` adds or removes tags and sets
the reading status of several articles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.models import ArticleMeta
from reader.core.notes.article_data import (
    META_FIELDS,
    READING_STATUSES,
    ArticleData,
    check_value,
    extracted_value,
    with_tags,
    with_value,
)

Change = Callable[[ArticleData], ArticleData]

LABELS = {
    "title": "Title",
    "authors": "Authors",
    "date": "Date",
    "source": "Source",
    "url": "URL",
    "doi": "DOI",
    "citekey": "Citation key",
}


def split_list(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def _shown(name: str, value: Any) -> str:
    if value is None:
        return ""
    return "; ".join(value) if name == "authors" else str(value)


class MetadataDialog(QDialog):
    """Edit one article's metadata, tags, reading status and star (see the module documentation)."""

    def __init__(
        self,
        title: str,
        extracted: ArticleMeta,
        data: ArticleData,
        citekey: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Article Info — {title}")
        self.setObjectName("metadataDialog")
        self.data = data
        self.fields: dict[str, QLineEdit] = {}
        self.reset_buttons: dict[str, QPushButton] = {}
        form = QFormLayout()
        for name in META_FIELDS:
            edit = QLineEdit(_shown(name, data.value(name)), self)
            edit.setObjectName(f"field_{name}")
            placeholder = extracted_value(extracted, name) or (citekey if name == "citekey" else "")
            edit.setPlaceholderText(placeholder)
            if name == "authors":
                edit.setToolTip("Several names separated by ';' (Family, Given; Family, Given)")
            reset = QPushButton("Reset", self)
            reset.setToolTip("Back to the value extracted from the file")
            reset.clicked.connect(edit.clear)
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(reset)
            form.addRow(LABELS[name], row)
            self.fields[name] = edit
            self.reset_buttons[name] = reset
        self.tags = QLineEdit(", ".join(data.tags), self)
        self.tags.setObjectName("field_tags")
        self.tags.setPlaceholderText("tags, separated by commas")
        form.addRow("Tags", self.tags)
        self.status = QComboBox(self)
        for status in READING_STATUSES:
            self.status.addItem(status.capitalize(), status)
        self.status.setCurrentIndex(READING_STATUSES.index(data.reading_status))
        form.addRow("Status", self.status)
        self.starred = QCheckBox("Starred", self)
        self.starred.setChecked(data.is_starred)
        form.addRow("", self.starred)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def values(self) -> dict[str, Any]:
        """What the dialog says now, checked (``None``: unset). Raises ``ValueError`` for an invalid value."""
        result: dict[str, Any] = {}
        for name, edit in self.fields.items():
            text = edit.text().strip()
            value: Any = (split_list(text, ";") or None) if name == "authors" else (text or None)
            result[name] = check_value(name, value)
        result["tags"] = check_value("tags", split_list(self.tags.text(), ","))
        result["status"] = self.status.currentData()
        result["starred"] = self.starred.isChecked()
        return result

    def change(self) -> Change:
        """The edit: the fields that differ from what the dialog was opened with."""
        values = self.values()
        before = self.data
        changed = {
            name: value
            for name, value in values.items()
            if value != (before.reading_status if name == "status" else before.value(name))
            and not (name == "starred" and value is False and before.starred is None)
        }

        def apply(data: ArticleData) -> ArticleData:
            for name, value in changed.items():
                data = with_value(data, name, value)
            return data

        return apply


class BulkEditDialog(QDialog):
    """Add or remove tags and set the reading status of several articles."""

    def __init__(self, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Edit {count} Article{'s' if count != 1 else ''}")
        self.setObjectName("bulkEditDialog")
        form = QFormLayout()
        self.add_tags = QLineEdit(self)
        self.add_tags.setPlaceholderText("tags to add, separated by commas")
        self.remove_tags = QLineEdit(self)
        self.remove_tags.setPlaceholderText("tags to remove, separated by commas")
        self.status = QComboBox(self)
        self.status.addItem("(unchanged)", "")
        for status in READING_STATUSES:
            self.status.addItem(status.capitalize(), status)
        form.addRow("Add tags", self.add_tags)
        form.addRow("Remove tags", self.remove_tags)
        form.addRow("Status", self.status)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def change(self) -> Change:
        add = split_list(self.add_tags.text(), ",")
        remove = split_list(self.remove_tags.text(), ",")
        status = self.status.currentData()

        def apply(data: ArticleData) -> ArticleData:
            data = with_tags(data, add, remove)
            return with_value(data, "status", status) if status and status != data.status else data

        return apply
