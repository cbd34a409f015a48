"""Highlights, notes and tags in the window: the annotations panel, its actions, undo and saving.

:class:`AnnotationController` owns the :class:`~reader.core.notes.store.NotesStore` of the open article. Every
edit goes through a ``QUndoStack`` command (Ctrl+Z, Ctrl+Shift+Z), is shown at once, and is written to the
sidecar within a second (a short timer coalesces bursts). Switching article or closing the window flushes
the last edit synchronously first. A failed save is reported, the edit stays in memory, and saving is
retried. A sidecar that cannot be parsed makes the article's notes read-only; the file is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap, QUndoCommand, QUndoStack
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
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.errors import ReaderError, SidecarError
from reader.core.models import COLORS, Annotation, Article
from reader.core.notes.store import NotesStore, open_notes
from reader.ui.annotation_model import ANNOTATION_ROLE, SWATCHES, AnnotationListModel, NoteFilterProxy

if TYPE_CHECKING:
    from reader.ui.main_window import MainWindow

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 300
RETRY_DELAY_MS = 5000


def swatch_icon(color: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(SWATCHES.get(color, "#999999")))
    return QIcon(pixmap)


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


class _EditCommand(QUndoCommand):
    """One annotation edit, undoable: the annotation's state before and after (``None`` = absent)."""

    def __init__(
        self, controller: AnnotationController, text: str, before: Annotation | None, after: Annotation | None
    ) -> None:
        super().__init__(text)
        self._controller = controller
        self._store = controller.store
        self._before = before
        self._after = after
        self._id = (after or before).id  # type: ignore[union-attr]

    def redo(self) -> None:
        self._controller._apply(self._store, self._id, self._after)

    def undo(self) -> None:
        self._controller._apply(self._store, self._id, self._before)


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
            "Select text in the article, then press 1–5 to highlight it, or N to add a note.", self
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


class AnnotationController(QObject):
    """Connects the reading pane, the panel and the open article's notes store."""

    notes_saved = Signal(str, int)  #: relpath, number of annotations
    notes_changed = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.pane = window.pane
        self.store: NotesStore | None = None
        self.article: Article | None = None
        self.undo_stack = QUndoStack(self)
        self.panel = AnnotationsPanel(window.side_panel)
        side_layout = window.side_panel.layout()
        assert side_layout is not None
        side_layout.addWidget(self.panel)
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.flush)
        self._retry_timer = QTimer(self, singleShot=True, interval=RETRY_DELAY_MS)
        self._retry_timer.timeout.connect(self.flush)
        self._build_actions()
        self.pane.annotation_clicked.connect(self._highlight_clicked)
        self.pane.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.pane.customContextMenuRequested.connect(self._pane_menu)
        self.panel.view.activated.connect(self._jump)
        self.panel.view.clicked.connect(self._jump)
        self.panel.view.doubleClicked.connect(lambda _i: self.edit_note())
        self.panel.view.customContextMenuRequested.connect(self._panel_menu)
        self.panel.reattach_button.clicked.connect(self.reattach_orphan)
        self.panel.delete_orphan_button.clicked.connect(self._delete_orphan)
        window.watcher.fileChanged.connect(self._file_changed)
        window.watcher.directoryChanged.connect(self._folder_changed)

    # ------------------------------------------------------------------------------------- actions
    def _build_actions(self) -> None:
        w = self.window
        self.color_actions: dict[str, QAction] = {}
        for i, color in enumerate(COLORS, 1):
            act = QAction(swatch_icon(color), f"Highlight {color.capitalize()}", w)
            act.setShortcut(QKeySequence(str(i)))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(lambda _c=False, c=color: self.highlight(c))
            self.pane.addAction(act)
            self.panel.addAction(act)
            self.color_actions[color] = act
        self.act_note = self._action("Add or Edit &Note…", self.edit_note, ["N", "Ctrl+Shift+N"])
        self.act_delete = self._action("&Delete Highlight", self.delete_current, ["Delete"])
        self.act_undo = self.undo_stack.createUndoAction(w, "&Undo")
        self.act_undo.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Undo))
        self.act_redo = self.undo_stack.createRedoAction(w, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        w.addAction(self.act_undo)
        w.addAction(self.act_redo)
        self.act_note.setIconText("Note…")
        self.act_delete.setIconText("Delete")
        toolbar = w.addToolBar("Annotate")
        toolbar.setObjectName("annotateToolbar")
        toolbar.setMovable(False)
        for act in self.color_actions.values():
            toolbar.addAction(act)
        toolbar.addSeparator()
        toolbar.addAction(self.act_note)
        toolbar.addAction(self.act_delete)
        toolbar.addSeparator()
        toolbar.addAction(self.act_undo)
        toolbar.addAction(self.act_redo)
        self.toolbar = toolbar
        menu = w.edit_menu
        menu.addAction(self.act_undo)
        menu.addAction(self.act_redo)
        menu.addSeparator()
        for act in self.color_actions.values():
            menu.addAction(act)
        menu.addAction(self.act_note)
        menu.addAction(self.act_delete)

    def _action(self, text: str, slot: Callable[[], object], keys: list[str]) -> QAction:
        act = QAction(text, self.window)
        act.setShortcuts([QKeySequence(k) for k in keys])
        act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        act.triggered.connect(slot)
        self.pane.addAction(act)
        self.panel.addAction(act)
        return act

    # ------------------------------------------------------------------------------------- article
    def set_article(self, article: Article | None) -> None:
        """Show ``article``'s notes (the previous article's last edit is saved first).

        The same article again (its file was edited while open) keeps the store and re-anchors it."""
        if (
            article is not None
            and self.store is not None
            and self.article is not None
            and article.path == self.article.path
        ):
            self.article = article
            if self.store.set_text(article.text, article.content_hash or None):
                self._save_timer.start()
            self.refresh()
            return
        self.flush()
        self.undo_stack.clear()
        self.article = article
        self.store = None
        if article is not None:
            try:
                self.store = open_notes(article)
            except ReaderError as exc:
                self.window.report_error(f"Notes of {article.relpath} could not be opened: {exc}")
            if self.store is not None:
                self.window.watcher.addPath(str(self.store.path.parent))
                if self.store.path.exists():
                    self.window.watcher.addPath(str(self.store.path))
        self.panel.set_read_only(self.store.read_only_reason if self.store is not None else None)
        self.refresh()

    def refresh(self) -> None:
        store = self.store
        if store is None:
            self.panel.show_annotations([], [], [])
            self.pane.set_annotations([])
            return
        anchored = store.anchored()
        self.pane.set_annotations(anchored)
        self.panel.show_annotations(anchored, store.orphans(), store.tags())
        self.notes_changed.emit()

    # ------------------------------------------------------------------------------------- edits
    def _writable(self) -> NotesStore | None:
        if self.store is None:
            return None
        if self.store.read_only:
            self.window.report_error(
                f"The notes of this article are read-only: {self.store.read_only_reason}"
            )
            return None
        return self.store

    def highlight(self, color: str) -> None:
        """Highlight the selection in ``color``; with none, recolour the highlight under the cursor."""
        store = self._writable()
        if store is None:
            return
        span = self.pane.selected_span()
        if span is None:
            current = self._annotation_at_cursor() or self.panel.current_annotation()
            if current is not None:
                self._edit(current.id, "Change colour", color=color)
            return
        try:
            created = store.add(span[0], span[1], color=color)
        except (ReaderError, ValueError) as exc:
            self.window.report_error(f"Cannot highlight here: {exc}")
            return
        store.delete(created.id)  # the undo command re-applies it, so that redo and undo are symmetric
        self.undo_stack.push(_EditCommand(self, "Highlight", None, created))
        self.pane.select_span(span[1], span[1])

    def edit_note(self) -> None:
        store = self._writable()
        if store is None:
            return
        target = self._annotation_at_cursor() or self.panel.current_annotation()
        if target is None:
            span = self.pane.selected_span()
            if span is None:
                self.window.status_label.setText("Select a passage first, then add a note.")
                return
            try:
                target = store.add(span[0], span[1], color="yellow")
            except (ReaderError, ValueError) as exc:
                self.window.report_error(f"Cannot add a note here: {exc}")
                return
            store.delete(target.id)
            dialog = NoteDialog(target, store.tags(), self.window)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            note, tags, color = dialog.values()
            target.note, target.tags, target.color = note, tags, color
            self.undo_stack.push(_EditCommand(self, "Add note", None, target))
            return
        dialog = NoteDialog(target, store.tags(), self.window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            note, tags, color = dialog.values()
            self._edit(target.id, "Edit note", note=note, tags=tags, color=color)

    def _edit(self, annotation_id: str, label: str, **changes: object) -> None:
        store = self._writable()
        if store is None:
            return
        before = store.get(annotation_id)
        try:
            after = store.update(annotation_id, **changes)  # type: ignore[arg-type]
        except (ReaderError, ValueError, KeyError) as exc:
            self.window.report_error(f"Cannot change this note: {exc}")
            return
        if after == before:
            return
        store.put(before)
        self.undo_stack.push(_EditCommand(self, label, before, after))

    def delete_current(self) -> None:
        store = self._writable()
        target = self._annotation_at_cursor() or self.panel.current_annotation()
        if store is None or target is None:
            return
        self.undo_stack.push(_EditCommand(self, "Delete highlight", store.get(target.id), None))

    def _delete_orphan(self) -> None:
        store = self._writable()
        orphan = self.panel.current_orphan()
        if store is not None and orphan is not None:
            self.undo_stack.push(_EditCommand(self, "Delete note", store.get(orphan.id), None))

    def reattach_orphan(self) -> None:
        store = self._writable()
        orphan = self.panel.current_orphan()
        span = self.pane.selected_span()
        if store is None or orphan is None or span is None:
            self.window.status_label.setText("Select the orphaned note and the new passage, then Reattach.")
            return
        before = store.get(orphan.id)
        after = store.reattach(orphan.id, span[0], span[1])
        store.put(before)
        self.undo_stack.push(_EditCommand(self, "Reattach note", before, after))

    def _apply(self, store: NotesStore | None, annotation_id: str, state: Annotation | None) -> None:
        """Bring one annotation to ``state`` (used by undo commands); saves soon after."""
        if store is None or store is not self.store or store.read_only:
            return
        if state is None:
            if any(a.id == annotation_id for a in store.annotations()):
                store.delete(annotation_id)
        else:
            store.put(state)
        self.refresh()
        self._save_timer.start()

    # ------------------------------------------------------------------------------------- saving
    def flush(self) -> bool:
        """Write pending edits now. Returns False (and schedules a retry) if they could not be saved."""
        self._save_timer.stop()
        store = self.store
        if store is None or not store.dirty or store.read_only:
            return True
        try:
            written = store.save()
        except SidecarError as exc:
            self.window.report_error(
                f"Your notes could not be saved yet: {exc}. They are kept and saving will be retried."
            )
            self._retry_timer.start()
            return False
        if written:
            self.window.watcher.addPath(str(store.path))
            if self.article is not None:
                self.notes_saved.emit(self.article.relpath, len(store))
        if store.conflicts:
            conflicts, store.conflicts[:] = list(store.conflicts), []
            self.window.status_label.setText(
                f"Merged notes changed elsewhere ({len(conflicts)} conflicting edit(s) kept in the log)"
            )
        self.refresh()
        return True

    def _folder_changed(self, folder: str) -> None:
        """A sidecar created (or atomically replaced) by another program shows up as a folder change."""
        if self.store is not None and folder == str(self.store.path.parent):
            self._file_changed(str(self.store.path))

    def _file_changed(self, path: str) -> None:
        store = self.store
        if store is None or path != str(store.path):
            return
        try:
            changed = store.reload_if_changed()
        except SidecarError as exc:
            self.panel.set_read_only(exc.reason)
            return
        finally:
            if store.path.exists():
                self.window.watcher.addPath(str(store.path))  # re-add after an atomic replace
        # The store turns read-only when the file stops parsing, and writable again once it parses.
        self.panel.set_read_only(store.read_only_reason)
        if changed:
            self.window.status_label.setText("Notes changed outside the reader; reloaded")
            self.refresh()

    # ------------------------------------------------------------------------------------- helpers
    def _annotation_at_cursor(self) -> Annotation | None:
        if self.store is None or self.pane.article is None:
            return None
        cursor = self.pane.textCursor()
        if cursor.hasSelection():
            return None
        hits = self.store.at(self.pane.to_cp(cursor.position()))
        return hits[0] if hits else None

    def _highlight_clicked(self, annotation_id: str) -> None:
        self.panel.select(annotation_id)

    def _jump(self, index: QModelIndex) -> None:
        annotation = index.data(ANNOTATION_ROLE)
        if isinstance(annotation, Annotation) and annotation.status != "orphaned":
            self.pane.select_span(annotation.start, annotation.end)

    def jump_to(self, annotation_id: str) -> None:
        if self.store is None:
            return
        for annotation in self.store.anchored():
            if annotation.id == annotation_id:
                self.pane.select_span(annotation.start, annotation.end)
                self.panel.select(annotation_id)

    def _pane_menu(self, pos: QPoint) -> None:
        menu = self.pane.createStandardContextMenu(pos)
        menu.addSeparator()
        for act in self.color_actions.values():
            menu.addAction(act)
        menu.addAction(self.act_note)
        menu.addAction(self.act_delete)
        menu.popup(self.pane.viewport().mapToGlobal(pos))
        self._menu = menu

    def _panel_menu(self, pos: QPoint) -> None:
        menu = QMenu(self.panel)
        menu.addAction(self.act_note)
        menu.addAction(self.act_delete)
        menu.popup(self.panel.view.viewport().mapToGlobal(pos))
        self._menu = menu
