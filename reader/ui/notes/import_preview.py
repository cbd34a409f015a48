"""What an import of another tool's highlights will do, shown before anything is written.

The import runs once as a dry run (in the background); :class:`ImportPreviewDialog` lists which book went to
which article and how, what will be imported, updated or left out and why; *Import* runs it for real.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from reader.core.exchange.importers.apply import ToolImportReport


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def preview_text(report: ToolImportReport) -> str:
    """The dry run's report as lines for people."""
    read = ", ".join(_plural(n, kind) for kind, n in sorted(report.read.items())) or "nothing"
    lines = [f"Read from the {report.tool} file: {read}.", ""]
    if report.matched:
        lines.append("Matched articles:")
        lines += [f"  {book}  →  {relpath}  (by {rule})" for book, relpath, rule in report.matched]
    if report.unmatched_books:
        lines.append("No article found (nothing is imported for these):")
        for missing in report.unmatched_books:
            closest = f"; closest: {', '.join(missing.candidates)}" if missing.candidates else ""
            lines.append(f"  {missing.label}: {_plural(missing.records, 'highlight')}{closest}")
    lines += ["", f"Will import: {report.summary()}."]
    lines += [f"Note: {line}." for line in report.notes()]
    return "\n".join(lines)


class ImportPreviewDialog(QDialog):
    """The dry run's report with *Import* and *Cancel*; *Import* is disabled when nothing would change."""

    def __init__(self, report: ToolImportReport, source_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import {source_name}")
        self.resize(640, 420)
        changes = report.imported + report.updated
        heading = QLabel(
            f"{_plural(changes, 'highlight')} will be added or updated."
            if changes
            else "Nothing new to import: these highlights are already in the library, or have no article."
        )
        heading.setWordWrap(True)
        self.details = QPlainTextEdit(preview_text(report))
        self.details.setReadOnly(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(changes > 0)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.details)
        layout.addWidget(self.buttons)
