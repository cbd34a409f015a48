"""What the window does with article data: the metadata dialog, bulk edits, "Copy Citation", and moving the
per-machine read mark and reading position of an article into its sidecar.

Edits are written at once with :func:`~reader.core.notes.article_data.update_article_data` (a small file,
merged under the sidecar's lock with what another program wrote) and the article's row is refreshed from
the sidecar. The dialogs are opened window-modal without blocking (:meth:`QDialog.open`); the methods return
them so that tests can fill them in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from reader.core.errors import ReaderError
from reader.core.exchange.citations import format_references, pin_keys, records_for
from reader.core.library.scan import with_article_data
from reader.core.notes.article_data import (
    ArticleData,
    ArticleDataError,
    read_article_data,
    read_sidecar_summary,
    update_article_data,
    with_value,
)
from reader.core.notes.sidecar import sidecar_path
from reader.ui.library.library_view import LibraryView
from reader.ui.library.metadata_dialog import BulkEditDialog, Change, MetadataDialog

log = logging.getLogger(__name__)

#: A reading position that moved less than this (a fraction of the article) is not written again.
POSITION_STEP = 0.005


class ArticleDataActions(QObject):
    """Article data edits for the window (see the module documentation)."""

    #: Some article's data was saved (filters and saved search counts may change).
    changed = Signal()

    def __init__(
        self,
        view: LibraryView,
        library: Callable[[], Path],
        report_error: Callable[[str], None],
        show_status: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._view = view
        self._library = library
        self._report_error = report_error
        self._show_status = show_status
        self._parent = parent

    # ------------------------------------------------------------------------------------- edits
    def apply(self, relpaths: list[str], change: Change, base: ArticleData | None = None) -> int:
        """Apply ``change`` to each article and refresh its row; returns how many were saved."""
        saved = 0
        for relpath in relpaths:
            try:
                update_article_data(self._library() / relpath, change, base=base)
            except (ReaderError, ArticleDataError) as exc:
                self._report_error(f"Could not save the article data of {relpath}: {exc}")
                continue
            saved += 1
            self.refresh(relpath)
        if saved:
            self.changed.emit()
        return saved

    def refresh(self, relpath: str) -> None:
        """Show what the sidecar of ``relpath`` says now in its row (and in the catalog kept for filters)."""
        row = self._view.model.row_for(relpath)
        rows = [r for r in self._view.catalog_rows if r.relpath == relpath]
        if row is None and not rows:
            return
        count, data = read_sidecar_summary(self._library() / relpath)
        if row is not None:
            self._view.model.update_row(relpath, entry=with_article_data(row.entry, count, data))
        self._view.catalog_rows = [
            r if r.relpath != relpath else replace(r, entry=with_article_data(r.entry, count, data))
            for r in self._view.catalog_rows
        ]

    def edit_current(self) -> MetadataDialog | None:
        """Open the metadata dialog of the current article (``None`` when there is none)."""
        relpath = self._view.current_relpath()
        row = self._view.model.row_for(relpath) if relpath else None
        if relpath is None or row is None:
            return None
        try:
            data = read_article_data(self._library() / relpath)
        except ReaderError as exc:
            self._report_error(str(exc))
            return None
        extracted = row.entry.extracted or row.entry.meta
        key = self._citation_key(relpath)
        dialog = MetadataDialog(row.entry.meta.title, extracted, data, key, self._parent)

        def accepted() -> None:
            try:
                change = dialog.change()
            except (ArticleDataError, ValueError) as exc:
                self._report_error(str(exc))
                return
            if self.apply([relpath], change, base=data):
                self._show_status("Article info saved")

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    def bulk_edit(self) -> BulkEditDialog | None:
        """Open the bulk edit dialog for the selected articles (``None`` when none is selected)."""
        relpaths = self._view.selected_relpaths()
        if not relpaths:
            return None
        dialog = BulkEditDialog(len(relpaths), self._parent)

        def accepted() -> None:
            saved = self.apply(relpaths, dialog.change())
            self._show_status(f"Updated {saved} article{'s' if saved != 1 else ''}")

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    def set_status(self, relpath: str, status: str) -> None:
        self.apply([relpath], lambda d: with_value(d, "status", status))

    # ------------------------------------------------------------------------------------- citations
    def _citation_key(self, relpath: str) -> str:
        entries = [row.entry for row in self._view.catalog_rows]
        return next((r.key for r in records_for(entries) if r.relpath == relpath), "")

    def copy_citation(self) -> str | None:
        """Copy the APA reference of the current article (its key stored from now on); returns the text."""
        relpath = self._view.current_relpath()
        entries = [row.entry for row in self._view.catalog_rows]
        records = [r for r in records_for(entries) if r.relpath == relpath]
        if not records:
            return None
        try:
            (text,) = format_references(records, "apa")
            pin_keys(self._library(), records)
        except ReaderError as exc:
            self._report_error(str(exc))
            return None
        QGuiApplication.clipboard().setText(text)
        self.refresh(records[0].relpath)
        self._show_status(f"Copied the citation of {records[0].key}")
        return text

    # ------------------------------------------------------------------------------------- position
    def position(self, relpath: str) -> float | None:
        """The reading position kept in the sidecar of ``relpath``, if any."""
        try:
            return read_article_data(self._library() / relpath).position
        except ReaderError:
            return None

    def save_position(self, relpath: str, fraction: float) -> bool:
        """Keep the reading position in the sidecar of ``relpath`` when it has one (an article gets no
        sidecar for being read) and it moved; returns whether it was written. Failures are only logged."""
        path = self._library() / relpath
        if not sidecar_path(path).exists():
            return False
        fraction = round(max(0.0, min(1.0, fraction)), 4)
        try:
            data = read_article_data(path)
            if data.position is not None and abs(data.position - fraction) < POSITION_STEP:
                return False
            update_article_data(path, lambda d: with_value(d, "position", fraction))
        except (ReaderError, ArticleDataError) as exc:
            log.warning("reading position of %s not kept in its sidecar: %s", relpath, exc)
            return False
        return True

    # ------------------------------------------------------------------------------------- migration
    def migrate(self, relpath: str, read: bool, position: float | None) -> bool:
        """Move this machine's read mark and reading position of ``relpath`` into its sidecar, once: only
        into a sidecar that exists (an article gets none just for being opened) and whose fields are unset.
        Returns whether anything was written."""
        path = self._library() / relpath
        if not sidecar_path(path).exists() or (not read and position is None):
            return False
        try:
            data = read_article_data(path)
        except ReaderError:
            return False
        change = data
        if read and data.status is None:
            change = with_value(change, "status", "read")
        if position is not None and data.position is None:
            change = with_value(change, "position", max(0.0, min(1.0, position)))
        if change is data:
            return False
        self.apply([relpath], lambda _d: change, base=data)
        return True
