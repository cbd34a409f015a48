"""Library-wide views of notes: the notes browser and the export dialog.

Both read sidecars off the GUI thread (through the :class:`~reader.ui.workers.TaskRunner` they are given)
and show progress; the export reveals its result in the file manager when done.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, QModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reader.core.errors import ReaderError
from reader.core.exchange import ExportReport, NoteFilter, export_notes, select_items
from reader.core.models import COLORS
from reader.core.notes.sidecar import load_annotations
from reader.ui.notes.annotation_model import (
    ANNOTATION_ROLE,
    RELPATH_ROLE,
    LibraryNote,
    LibraryNotesModel,
    NoteFilterProxy,
)
from reader.ui.theme import swatch_icon
from reader.ui.workers import TaskRunner

FORMAT_LABELS = {
    "markdown": "Markdown (Obsidian vault)",
    "jsonld": "W3C Web Annotation JSON-LD",
    "html": "HTML (self-contained, printable)",
    "csv": "CSV (spreadsheet)",
}
#: The file name ending of each format's single-file export.
FORMAT_SUFFIXES = {"markdown": ".md", "jsonld": ".jsonld", "html": ".html", "csv": ".csv"}


def plural(count: int, noun: str) -> str:
    """``1 note``, ``2 notes``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def collect_notes(library: Path, rows: list[tuple[str, str]]) -> list[LibraryNote]:
    """Every annotation of the given ``(relpath, title)`` articles (run in a worker)."""
    notes: list[LibraryNote] = []
    for relpath, title in rows:
        try:
            annotations = load_annotations(library / relpath)
        except ReaderError:
            continue  # reported by the scan as a problem
        notes.extend(LibraryNote(relpath, title, a) for a in annotations)
    return notes


class LibraryNotesDialog(QDialog):
    """Every annotation in the library, filterable; opening one opens its article at the highlight."""

    open_requested = Signal(str, str)  #: relpath, annotation id

    def __init__(
        self,
        library: Path,
        articles: list[tuple[str, str]],
        runner: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        """``articles``: the ``(relpath, title)`` of the articles with notes."""
        super().__init__(parent)
        self.setWindowTitle("All Notes")
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("Filter notes…")
        self.text.setClearButtonEnabled(True)
        self.tag = QComboBox(self)
        self.tag.addItem("All tags", "")  # until the notes are loaded
        self.color = QComboBox(self)
        self.color.addItem("All colours", "")
        for color in COLORS:
            self.color.addItem(swatch_icon(color), color.capitalize(), color)
        filters.addWidget(self.text, 2)
        filters.addWidget(self.tag)
        filters.addWidget(self.color)
        layout.addLayout(filters)
        self.model = LibraryNotesModel(self)
        self.proxy = NoteFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._open)
        self.table.activated.connect(self._open)
        layout.addWidget(self.table)
        self.status = QLabel("Loading notes…", self)
        layout.addWidget(self.status)
        self.text.textChanged.connect(self._filter)
        self.tag.currentIndexChanged.connect(self._filter)
        self.color.currentIndexChanged.connect(self._filter)
        runner.run(
            lambda: collect_notes(library, articles),
            on_success=self._loaded,
            on_failure=lambda m: self.status.setText(m),
        )

    def _loaded(self, notes: list[LibraryNote]) -> None:
        self.model.set_rows(notes)
        tags = sorted({t for n in notes for t in n.annotation.tags}, key=str.casefold)
        self.tag.clear()
        self.tag.addItem("All tags", "")
        for tag in tags:
            self.tag.addItem(f"#{tag}", tag)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self._filter()

    def _filter(self) -> None:
        self.proxy.set_filter(
            text=self.text.text(),
            tag=str(self.tag.currentData() or ""),
            color=str(self.color.currentData() or ""),
        )
        self.status.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()} notes")

    def _open(self, index: QModelIndex) -> None:
        relpath = index.data(RELPATH_ROLE)
        annotation = index.data(ANNOTATION_ROLE)
        if relpath and annotation is not None:
            self.open_requested.emit(str(relpath), annotation.id)


class ExportDialog(QDialog):
    """Format, scope and destination; the export runs in the background and reveals its result."""

    def __init__(
        self,
        library: Path,
        runner: TaskRunner,
        selected: list[str],
        query: str,
        search_relpaths: Callable[[], list[str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._runner = runner
        self._search_relpaths = search_relpaths
        self.setWindowTitle("Export Notes")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.format = QComboBox(self)
        for key, label in FORMAT_LABELS.items():
            self.format.addItem(label, key)
        form.addRow("Format", self.format)
        scope = QVBoxLayout()
        self.scope_library = QRadioButton("The whole library", self)
        self.scope_selected = QRadioButton(f"The selected articles ({len(selected)})", self)
        self.scope_search = QRadioButton(
            f"The search results for “{query}”" if query else "Search results", self
        )
        self.scope_library.setChecked(True)
        self.scope_selected.setEnabled(bool(selected))
        self.scope_search.setEnabled(bool(query))
        for button in (self.scope_library, self.scope_selected, self.scope_search):
            scope.addWidget(button)
        form.addRow("Articles", scope)
        self.tag = QLineEdit(self)
        self.tag.setPlaceholderText("any tag (or several, separated by commas)")
        form.addRow("Only tags", self.tag)
        self.color = QComboBox(self)
        self.color.addItem("Any colour", "")
        for color in COLORS:
            self.color.addItem(swatch_icon(color), color.capitalize(), color)
        form.addRow("Only colour", self.color)
        self.use_dates = QCheckBox("Only notes created between", self)
        self.since = QDateEdit(self)
        self.until = QDateEdit(self)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        today = _dt.date.today()
        self.since.setDate(QDate(today.year, today.month, 1))
        self.until.setDate(QDate(today.year, today.month, today.day))
        dates = QHBoxLayout()
        dates.addWidget(self.use_dates)
        dates.addWidget(self.since)
        dates.addWidget(QLabel("and", self))
        dates.addWidget(self.until)
        form.addRow("Dates", dates)
        self.per_article = QCheckBox("One file per article (into a folder)", self)
        form.addRow("Files", self.per_article)
        self.bom = QCheckBox("Byte-order mark for spreadsheet programs (CSV)", self)
        form.addRow("", self.bom)
        dest = QHBoxLayout()
        self.dest = QLineEdit("", self)
        #: The destination typed or chosen for each kind of export (format, into a folder or not): switching
        #: format never sends one format's file into another's folder.
        self._destinations: dict[tuple[str, bool], str] = {}
        self._dest_key: tuple[str, bool] | None = None
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        dest.addWidget(self.dest)
        dest.addWidget(browse)
        form.addRow("Destination", dest)
        layout.addLayout(form)
        self.progress = QProgressBar(self)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(lambda: self.start())
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._selected = selected
        self.format.currentIndexChanged.connect(self._format_changed)
        self.per_article.toggled.connect(lambda _on: self._follow_format())
        self._format_changed()
        self.report: ExportReport | None = None

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        self.bom.setEnabled(fmt == "csv")
        self.per_article.setEnabled(fmt == "markdown" or fmt == "html")
        self.per_article.setChecked(fmt == "markdown")  # a vault is a folder; the others are one file
        self._follow_format()

    def _into_folder(self) -> bool:
        return self.per_article.isChecked() and self.per_article.isEnabled()

    def _default_destination(self, fmt: str, folder: bool) -> str:
        name = f"{self._library.name} notes"
        if folder:
            return str(Path.home() / (name if fmt == "markdown" else f"{name} ({fmt})"))
        return str(Path.home() / (name + FORMAT_SUFFIXES.get(fmt, "")))

    def _follow_format(self) -> None:
        """Show the destination of the format chosen: a folder for one file per article, else a file."""
        key = (str(self.format.currentData()), self._into_folder())
        if key == self._dest_key:
            return
        if self._dest_key is not None:
            self._destinations[self._dest_key] = self.dest.text()
        self._dest_key = key
        self.dest.setText(self._destinations.get(key) or self._default_destination(*key))

    def _browse(self) -> None:
        if self.per_article.isChecked() and self.per_article.isEnabled():
            folder = QFileDialog.getExistingDirectory(self, "Export into folder", self.dest.text())
            if folder:
                self.dest.setText(folder)
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export to file", self.dest.text())
            if path:
                self.dest.setText(path)

    def note_filter(self) -> NoteFilter:
        tags = [t.strip().lstrip("#") for t in self.tag.text().split(",") if t.strip()]
        color = str(self.color.currentData() or "")
        relpaths: list[str] | None = None
        if self.scope_selected.isChecked():
            relpaths = list(self._selected)
        elif self.scope_search.isChecked() and self._search_relpaths is not None:
            relpaths = self._search_relpaths()
        since = until = None
        if self.use_dates.isChecked():
            d1, d2 = self.since.date(), self.until.date()
            since = _dt.date(d1.year(), d1.month(), d1.day())
            until = _dt.date(d2.year(), d2.month(), d2.day())
        return NoteFilter(
            tags=tags, colors=[color] if color else [], since=since, until=until, relpaths=relpaths
        )

    def start(self, *, force: bool = False) -> None:
        library = self._library
        fmt = str(self.format.currentData())
        dest = Path(self.dest.text()).expanduser()
        per_article = self.per_article.isChecked() and self.per_article.isEnabled()
        note_filter = self.note_filter()
        bom = self.bom.isChecked() and fmt == "csv"

        def work(progress: Callable[[int, int], None]) -> ExportReport:
            items = select_items(library, note_filter=note_filter, progress=progress)
            return export_notes(library, items, fmt, dest, per_article=per_article, force=force, bom=bom)

        self.export_button.setEnabled(False)
        self.progress.show()
        self.message.setText("Exporting…")
        signals = self._runner.run(work, on_success=self._done, on_progress=self._progress)
        signals.failed.connect(lambda message: self._failed(message, force))

    def _progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)

    def _done(self, report: ExportReport) -> None:
        self.report = report
        self.progress.hide()
        self.export_button.setEnabled(True)
        if not report.written:
            self.message.setText("Nothing to export: no notes match.")
            return
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)  # nothing left to cancel
        self.message.setText(
            f"Exported {plural(report.annotations, 'note')} from {plural(report.articles, 'article')} to "
            f"{report.written[0].parent if len(report.written) > 1 else report.written[0]}"
        )
        target = report.written[0].parent
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

    def _failed(self, message: str, forced: bool) -> None:
        self.progress.hide()
        self.export_button.setEnabled(True)
        if not forced and "will not overwrite" in message:
            answer = QMessageBox.question(self, "Export Notes", f"{message}\n\nReplace the existing files?")
            if answer == QMessageBox.StandardButton.Yes:
                self.start(force=True)
                return
        self.message.setText(message)
