"""Highlights, notes and tags of the open article: edits, undo, saving and changes made outside the reader.

:class:`AnnotationController` owns the :class:`~reader.core.notes.store.NotesStore` of the open article. Every
edit goes through a ``QUndoStack`` command (Ctrl+Z, Ctrl+Shift+Z), is shown at once, and is written to the
sidecar within a second (a short timer coalesces bursts). Switching article or closing the window flushes
the last edit synchronously first. A failed save is reported, the edit stays in memory, and saving is
retried. A sidecar that cannot be parsed makes the article's notes read-only; the file is never touched.

The controller is given what it works with: the reading pane, the annotations panel, the file watcher, the
window (parent of its actions and dialogs) and two callbacks to report errors and show a status message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QFileSystemWatcher, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QWidget

from reader import APP_NAME
from reader.core.errors import ReaderError, SidecarError
from reader.core.models import Annotation, Article
from reader.core.notes.store import NotesStore, open_notes
from reader.ui.actions import PANE_CONTEXT_MENU, PANEL_CONTEXT_MENU, build_annotation_actions, popup_menu
from reader.ui.notes.annotation_model import ANNOTATION_ROLE
from reader.ui.notes.annotations_panel import AnnotationsPanel, NoteDialog
from reader.ui.reading.reading_pane import ReadingPane
from reader.ui.reading.selection_source import SelectionSource

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 300
RETRY_DELAY_MS = 5000


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


class AnnotationController(QObject):
    """Connects the reading pane, the panel and the open article's notes store."""

    notes_saved = Signal(str, int)  #: relpath, number of annotations
    notes_changed = Signal()

    def __init__(
        self,
        pane: ReadingPane,
        panel: AnnotationsPanel,
        watcher: QFileSystemWatcher,
        window: QWidget,
        *,
        report_error: Callable[[str], None],
        show_status: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self.pane = pane
        #: Where selections and the cursor are read from: the pane, or a PDF's page view while it is shown.
        self.selection: SelectionSource = pane
        self.panel = panel
        self._watcher = watcher
        self._window = window
        self._report_error = report_error
        self._show_status = show_status
        self.store: NotesStore | None = None
        self.article: Article | None = None
        self.undo_stack = QUndoStack(self)
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.flush)
        self._retry_timer = QTimer(self, singleShot=True, interval=RETRY_DELAY_MS)
        self._retry_timer.timeout.connect(self.flush)
        self.actions = build_annotation_actions(
            window,
            (pane, panel),
            self.undo_stack,
            highlight=self.highlight,
            edit_note=self.edit_note,
            delete=self.delete_current,
        )
        self.color_actions = self.actions.colors
        self.act_note = self.actions.note
        self.act_delete = self.actions.delete
        self.act_undo = self.actions.undo
        self.act_redo = self.actions.redo
        self.pane.annotation_clicked.connect(self._highlight_clicked)
        self.pane.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.pane.customContextMenuRequested.connect(self._pane_menu)
        self.panel.view.activated.connect(self._jump)
        self.panel.view.clicked.connect(self._jump)
        self.panel.view.doubleClicked.connect(lambda _i: self.edit_note())
        self.panel.view.customContextMenuRequested.connect(self._panel_menu)
        self.panel.reattach_button.clicked.connect(self.reattach_orphan)
        self.panel.delete_orphan_button.clicked.connect(self._delete_orphan)
        watcher.fileChanged.connect(self._file_changed)
        watcher.directoryChanged.connect(self._folder_changed)

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
                self._report_error(f"Notes of {article.relpath} could not be opened: {exc}")
            if self.store is not None:
                self._watcher.addPath(str(self.store.path.parent))
                if self.store.path.exists():
                    self._watcher.addPath(str(self.store.path))
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
            self._report_error(f"The notes of this article are read-only: {self.store.read_only_reason}")
            return None
        return self.store

    def highlight(self, color: str) -> None:
        """Highlight the selection in ``color``; with none, recolour the highlight under the cursor."""
        store = self._writable()
        if store is None:
            return
        span = self.selection.selected_span()
        if span is None:
            current = self._annotation_at_cursor() or self.panel.current_annotation()
            if current is not None:
                self._edit(current.id, "Change colour", color=color)
            return
        try:
            created = store.add(span[0], span[1], color=color)
        except (ReaderError, ValueError) as exc:
            self._report_error(f"Cannot highlight here: {exc}")
            return
        store.delete(created.id)  # the undo command re-applies it, so that redo and undo are symmetric
        self.undo_stack.push(_EditCommand(self, "Highlight", None, created))
        self.selection.select_span(span[1], span[1])

    def edit_note(self) -> None:
        store = self._writable()
        if store is None:
            return
        target = self._annotation_at_cursor() or self.panel.current_annotation()
        if target is None:
            span = self.selection.selected_span()
            if span is None:
                self._show_status("Select a passage first, then add a note.")
                return
            try:
                target = store.add(span[0], span[1], color="yellow")
            except (ReaderError, ValueError) as exc:
                self._report_error(f"Cannot add a note here: {exc}")
                return
            store.delete(target.id)
            dialog = NoteDialog(target, store.tags(), self._window)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            note, tags, color = dialog.values()
            target.note, target.tags, target.color = note, tags, color
            self.undo_stack.push(_EditCommand(self, "Add note", None, target))
            return
        dialog = NoteDialog(target, store.tags(), self._window)
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
            self._report_error(f"Cannot change this note: {exc}")
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
        span = self.selection.selected_span()
        if store is None or orphan is None or span is None:
            self._show_status("Select the orphaned note and the new passage, then Reattach.")
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
    def may_close(self) -> bool:
        """Save pending edits; when they cannot be saved, ask whether to close anyway and lose them."""
        if self.flush():
            return True
        answer = QMessageBox.warning(
            self._window,
            APP_NAME,
            "Some notes could not be saved (see the message). Close anyway and lose them?",
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Discard,
        )
        return answer == QMessageBox.StandardButton.Discard

    def flush(self) -> bool:
        """Write pending edits now. Returns False (and schedules a retry) if they could not be saved."""
        self._save_timer.stop()
        store = self.store
        if store is None or not store.dirty or store.read_only:
            return True
        try:
            written = store.save()
        except SidecarError as exc:
            self._report_error(
                f"Your notes could not be saved yet: {exc}. They are kept and saving will be retried."
            )
            self._retry_timer.start()
            return False
        if written:
            self._watcher.addPath(str(store.path))
            if self.article is not None:
                self.notes_saved.emit(self.article.relpath, len(store))
        if store.conflicts:
            conflicts, store.conflicts[:] = list(store.conflicts), []
            self._show_status(
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
                self._watcher.addPath(str(store.path))  # re-add after an atomic replace
        # The store turns read-only when the file stops parsing, and writable again once it parses.
        self.panel.set_read_only(store.read_only_reason)
        if changed:
            self._show_status("Notes changed outside the reader; reloaded")
            self.refresh()

    # ------------------------------------------------------------------------------------- helpers
    def _annotation_at_cursor(self) -> Annotation | None:
        if self.store is None or self.pane.article is None:
            return None
        offset = self.selection.cursor_offset()
        if offset is None:
            return None
        hits = self.store.at(offset)
        return hits[0] if hits else None

    def _highlight_clicked(self, annotation_id: str) -> None:
        self.panel.select(annotation_id)

    def _jump(self, index: QModelIndex) -> None:
        annotation = index.data(ANNOTATION_ROLE)
        if isinstance(annotation, Annotation) and annotation.status != "orphaned":
            self.selection.select_span(annotation.start, annotation.end)

    def jump_to(self, annotation_id: str) -> None:
        if self.store is None:
            return
        for annotation in self.store.anchored():
            if annotation.id == annotation_id:
                self.selection.select_span(annotation.start, annotation.end)
                self.panel.select(annotation_id)

    def _pane_menu(self, pos: QPoint) -> None:
        menu = self.pane.createStandardContextMenu(pos)
        self._menu = popup_menu(menu, PANE_CONTEXT_MENU, self.actions.by_name(), self.pane.viewport(), pos)

    def _panel_menu(self, pos: QPoint) -> None:
        menu = QMenu(self.panel)
        self._menu = popup_menu(
            menu, PANEL_CONTEXT_MENU, self.actions.by_name(), self.panel.view.viewport(), pos
        )
