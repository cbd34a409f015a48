"""The notes of the whole library: the All Notes browser, export, and import (a JSON-LD export, or another
tool's highlights after a preview of what will be imported).

:class:`LibraryNotes` opens the dialogs of :mod:`reader.ui.notes.notes_views` on the open library and runs
an import in the background (progress in the status bar); afterwards the library is rescanned and
re-indexed so that the imported notes show and can be searched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from reader.core.exchange import ImportReport, import_notes
from reader.core.exchange.importers.apply import ToolImportReport, import_tool_file
from reader.core.exchange.importers.reading import is_jsonld_export
from reader.core.exchange.vault.sync import SyncReport, sync_vault
from reader.ui.library.library_controller import LibraryController
from reader.ui.library.library_view import LibraryView
from reader.ui.library.search_box import SearchBox
from reader.ui.notes.annotation_controller import AnnotationController
from reader.ui.notes.import_preview import ImportPreviewDialog, PreviewDialog, VaultSyncPreviewDialog
from reader.ui.notes.notes_views import ExportDialog, LibraryNotesDialog
from reader.ui.status_bar import StatusArea
from reader.ui.workers import TaskRunner


class LibraryNotes(QObject):
    """Library-wide notes: browse, export, import."""

    imported = Signal(object)  #: ImportReport or ToolImportReport
    preview_shown = Signal(object)  #: a PreviewDialog (another tool's file, a vault sync)
    vault_synced = Signal(object)  #: SyncReport
    open_requested = Signal(str, str)  #: relpath, annotation id (chosen in the All Notes browser)

    def __init__(
        self,
        libraries: LibraryController,
        view: LibraryView,
        search: SearchBox,
        annotations: AnnotationController,
        status: StatusArea,
        runner: TaskRunner,
        *,
        report_error: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._libraries = libraries
        self._view = view
        self._search = search
        self._annotations = annotations
        self._status = status
        self._runner = runner
        self._report_error = report_error
        self._parent = parent

    def show_export(self) -> ExportDialog:
        """The export dialog, offering the selected articles and the search results as scopes."""
        shown = self._view.shown_relpaths()
        dialog = ExportDialog(
            self._libraries.library,
            self._runner,
            self._view.selected_relpaths(),
            self._search.query,
            lambda: shown,
            self._parent,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_all(self) -> LibraryNotesDialog:
        """Every note of the library in one filterable list; opening one emits :attr:`open_requested`."""
        articles = [(r.relpath, r.entry.meta.title) for r in self._view.catalog_rows if r.entry.notes_count]
        dialog = LibraryNotesDialog(self._libraries.library, articles, self._runner, self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open_requested.connect(self.open_requested)
        dialog.show()
        return dialog

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._parent,
            "Import Notes",
            str(Path.home()),
            "Notes and highlights (*.jsonld *.json *.txt *.lua *.csv);;"
            "JSON-LD export (*.jsonld *.json);;Kindle My Clippings (*.txt);;KOReader sidecar (*.lua);;"
            "Hypothesis, Readwise, calibre, Kobo (*.json *.csv);;All files (*)",
        )
        if path:
            self.import_file(Path(path))

    def import_file(self, source: Path) -> None:
        """Merge an export into this library's sidecars in the background: a JSON-LD export at once, another
        tool's highlights after :class:`ImportPreviewDialog` showed what will be imported."""
        self._annotations.flush()
        if not is_jsonld_export(source):
            self._preview_tool_import(source)
            return
        library = self._libraries.library

        def work(progress: Callable[[int, int], None]) -> ImportReport:
            return import_notes(source, library, progress=progress)

        def done(report: ImportReport) -> None:
            self._status.hide_progress()
            text = f"Imported notes from {source.name}: {report.summary()}"
            if report.errors:
                text += "\n" + "\n".join(report.errors[:10])
            self._status.show_message(text.splitlines()[0])
            self.imported.emit(report)
            self._refresh_library()

        self._runner.run(
            work,
            on_success=done,
            on_failure=lambda message: self._report_error(f"Import failed: {message}"),
            on_progress=lambda d, t: self._status.show_progress("Importing notes", d, t),
        )

    def _open_preview(self, dialog: PreviewDialog, on_accept: Callable[[], None]) -> None:
        """Show a dry run's :class:`PreviewDialog`; accepting it runs ``on_accept``."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(on_accept)
        self.preview_shown.emit(dialog)
        dialog.open()

    def _refresh_library(self) -> None:
        """After notes were written: rescan (note counts) and re-index (notes are searchable)."""
        self._libraries.rescan()
        if self._libraries.session is not None:
            self._libraries.session.update_index()

    def choose_vault(self) -> None:
        folder = QFileDialog.getExistingDirectory(self._parent, "Sync a Notes Vault (exported as Markdown)")
        if folder:
            self.sync_vault_folder(Path(folder))

    def sync_vault_folder(self, vault: Path) -> None:
        """Preview a two-way sync of ``vault`` with this library (a dry run), then run it if accepted."""
        self._annotations.flush()
        library = self._libraries.library

        def preview() -> SyncReport:
            return sync_vault(vault, library, dry_run=True)

        def show(report: SyncReport) -> None:
            dialog = VaultSyncPreviewDialog(report, vault.name, self._parent)
            self._open_preview(dialog, lambda: self._run_vault_sync(vault))

        self._runner.run(
            preview, on_success=show, on_failure=lambda message: self._report_error(f"Sync failed: {message}")
        )

    def _run_vault_sync(self, vault: Path) -> None:
        library = self._libraries.library

        def work() -> SyncReport:
            return sync_vault(vault, library)

        def done(report: SyncReport) -> None:
            conflicts = (
                f", {len(report.conflicts)} conflicts to review in the vault" if report.conflicts else ""
            )
            self._status.show_message(f"Synced {vault.name}: {len(report.changes)} changes{conflicts}")
            self.vault_synced.emit(report)
            self._refresh_library()

        self._runner.run(
            work, on_success=done, on_failure=lambda message: self._report_error(f"Sync failed: {message}")
        )

    def _preview_tool_import(self, source: Path) -> None:
        library = self._libraries.library

        def preview(progress: Callable[[int, int], None]) -> ToolImportReport:
            return import_tool_file(source, library, dry_run=True, progress=progress)

        def show(report: ToolImportReport) -> None:
            self._status.hide_progress()
            dialog = ImportPreviewDialog(report, source.name, self._parent)
            self._open_preview(dialog, lambda: self._run_tool_import(source))

        self._runner.run(
            preview,
            on_success=show,
            on_failure=lambda message: self._report_error(f"Import failed: {message}"),
            on_progress=lambda d, t: self._status.show_progress("Reading the highlights", d, t),
        )

    def _run_tool_import(self, source: Path) -> None:
        library = self._libraries.library

        def work(progress: Callable[[int, int], None]) -> ToolImportReport:
            return import_tool_file(source, library, progress=progress)

        def done(report: ToolImportReport) -> None:
            self._status.hide_progress()
            text = f"Imported highlights from {source.name}: {report.summary()}"
            self._status.show_message(text if not report.errors else f"{text}; {report.errors[0]}")
            self.imported.emit(report)
            self._refresh_library()

        self._runner.run(
            work,
            on_success=done,
            on_failure=lambda message: self._report_error(f"Import failed: {message}"),
            on_progress=lambda d, t: self._status.show_progress("Importing highlights", d, t),
        )
