"""The annotations panel (the open article's highlights and notes, filters, orphans) and the note dialog.

Both are plain widgets: they show what they are given and expose their controls; the
:class:`~reader.ui.notes.annotation_controller.AnnotationController` connects them to the notes store.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.models import COLORS, Annotation
from reader.ui.notes.annotation_model import ANNOTATION_ROLE, AnnotationListModel, NoteFilterProxy
from reader.ui.theme import swatch_icon


class NoteDialog(QDialog):
    """Edit an annotation's note (Markdown) and tags."""

    def __init__(self, annotation: Annotation, known_tags: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Note")
        self.resize(520, 360)
        layout = QVBoxLayout(self)
        quote = QLabel(f"“{annotation.exact[:400]}”", self)
        quote.setWordWrap(True)
        quote.setStyleSheet("font-style: italic;")
        layout.addWidget(quote)
        form = QFormLayout()
        self.note = QPlainTextEdit(annotation.note, self)
        self.note.setPlaceholderText("Your note (Markdown)")
        self.note.setTabChangesFocus(True)  # Tab moves on to Tags, as in every other field
        self.tags = QLineEdit(", ".join(annotation.tags), self)
        self.tags.setPlaceholderText("tags, separated by commas")
        completer = QCompleter(known_tags, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tags.setCompleter(completer)
        self.color = QComboBox(self)
        for color in COLORS:
            self.color.addItem(swatch_icon(color), color.capitalize(), color)
        self.color.setCurrentIndex(max(0, self.color.findData(annotation.color)))
        form.addRow("Note", self.note)
        form.addRow("Tags", self.tags)
        form.addRow("Colour", self.color)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.note.setFocus()

    def values(self) -> tuple[str, list[str], str]:
        tags = [t.strip().lstrip("#") for t in self.tags.text().replace(";", ",").split(",")]
        return self.note.toPlainText(), [t for t in tags if t], str(self.color.currentData())


class AnnotationsPanel(QWidget):
    """The right-hand panel: the open article's annotations in text order, filters and orphans."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.title = QLabel("<b>Notes</b>", self)
        layout.addWidget(self.title)
        self.banner = QLabel("", self)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("color: #b45309;")
        self.banner.hide()
        layout.addWidget(self.banner)
        filters = QHBoxLayout()
        self.color_filter = QComboBox(self)
        self.color_filter.addItem("All colours", "")
        for color in COLORS:
            self.color_filter.addItem(swatch_icon(color), color.capitalize(), color)
        self.tag_filter = QComboBox(self)
        self.tag_filter.addItem("All tags", "")
        filters.addWidget(self.color_filter)
        filters.addWidget(self.tag_filter)
        layout.addLayout(filters)
        self.model = AnnotationListModel(self)
        self.proxy = NoteFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = QListView(self)
        self.view.setObjectName("annotationList")
        self.view.setModel(self.proxy)
        self.view.setWordWrap(True)
        self.view.setSpacing(3)
        self.view.setAlternatingRowColors(True)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout.addWidget(self.view, 3)
        self.empty = QLabel(
            "Select text in the article, then press 1–9 to highlight it, or N to add a note.", self
        )
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: palette(mid);")
        layout.addWidget(self.empty)
        self.orphan_label = QLabel(
            "<b>Passage not found</b> — select the new passage and press Reattach", self
        )
        self.orphan_label.setWordWrap(True)
        layout.addWidget(self.orphan_label)
        self.orphan_model = AnnotationListModel(self)
        self.orphan_view = QListView(self)
        self.orphan_view.setObjectName("orphanList")
        self.orphan_view.setModel(self.orphan_model)
        self.orphan_view.setWordWrap(True)
        layout.addWidget(self.orphan_view, 1)
        buttons = QHBoxLayout()
        self.reattach_button = QPushButton("Reattach to selection", self)
        self.delete_orphan_button = QPushButton("Delete", self)
        buttons.addWidget(self.reattach_button)
        buttons.addWidget(self.delete_orphan_button)
        layout.addLayout(buttons)
        self.color_filter.currentIndexChanged.connect(self._filter)
        self.tag_filter.currentIndexChanged.connect(self._filter)
        self.show_annotations([], [], [])

    def _filter(self) -> None:
        self.proxy.set_filter(
            tag=str(self.tag_filter.currentData() or ""), color=str(self.color_filter.currentData() or "")
        )

    def show_annotations(
        self, anchored: list[Annotation], orphans: list[Annotation], tags: list[str]
    ) -> None:
        self.model.set_annotations(anchored)
        self.orphan_model.set_annotations(orphans)
        n = len(anchored) + len(orphans)
        self.title.setText(f"<b>Notes</b> ({n})" if n else "<b>Notes</b>")
        self.empty.setVisible(n == 0)
        has_orphans = bool(orphans)
        for widget in (self.orphan_label, self.orphan_view, self.reattach_button, self.delete_orphan_button):
            widget.setVisible(has_orphans)
        current = self.tag_filter.currentData()
        self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem("All tags", "")
        for tag in tags:
            self.tag_filter.addItem(f"#{tag}", tag)
        self.tag_filter.setCurrentIndex(max(0, self.tag_filter.findData(current)))
        self.tag_filter.blockSignals(False)
        self._filter()

    def set_color_labels(self, labels: Mapping[str, str]) -> None:
        """Name the colours as the library's labels say ("Red — disagree")."""
        for index in range(self.color_filter.count()):
            color = str(self.color_filter.itemData(index) or "")
            if color:
                label = labels.get(color, "")
                self.color_filter.setItemText(index, color.capitalize() + (f" — {label}" if label else ""))

    def set_read_only(self, reason: str | None) -> None:
        self.banner.setVisible(reason is not None)
        if reason:
            self.banner.setText(
                f"These notes are read-only: the notes file could not be read ({reason}). "
                "It has not been changed. Fix or move it, then reopen the article."
            )

    def select(self, annotation_id: str) -> None:
        row = self.model.row_of(annotation_id)
        if row >= 0:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)

    def current_annotation(self) -> Annotation | None:
        """The annotation selected in the list, when the list has the focus."""
        if not self.view.hasFocus():
            return None
        index = self.view.currentIndex()
        value = index.data(ANNOTATION_ROLE) if index.isValid() else None
        return value if isinstance(value, Annotation) else None

    def current_orphan(self) -> Annotation | None:
        index = self.orphan_view.currentIndex()
        value = index.data(ANNOTATION_ROLE) if index.isValid() else None
        return value if isinstance(value, Annotation) else None
