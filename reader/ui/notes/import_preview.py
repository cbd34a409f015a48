"""What an import of another tool's highlights, or a sync with a notes vault, will do, shown before anything
is written.

Each runs once as a dry run (in the background); :class:`ImportPreviewDialog` lists which book went to which
article and how, what will be imported, updated or left out and why; :class:`VaultSyncPreviewDialog` lists
the changes, conflicts and problems of a vault sync. The dialog's action button runs it for real.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from reader.core.exchange.importers.apply import ToolImportReport
from reader.core.exchange.vault.sync import SyncReport


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


class PreviewDialog(QDialog):
    """A dry run's report with an action button (disabled when nothing would change) and *Cancel*."""

    def __init__(
        self, title: str, heading: str, details: str, action: str, enabled: bool, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 420)
        label = QLabel(heading)
        label.setWordWrap(True)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(enabled)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.details)
        layout.addWidget(self.buttons)


class ImportPreviewDialog(PreviewDialog):
    """What importing another tool's file will do; *Import* is disabled when nothing would change."""

    def __init__(self, report: ToolImportReport, source_name: str, parent: QWidget | None = None) -> None:
        changes = report.imported + report.updated
        heading = (
            f"{_plural(changes, 'highlight')} will be added or updated."
            if changes
            else "Nothing new to import: these highlights are already in the library, or have no article."
        )
        super().__init__(
            f"Import {source_name}", heading, preview_text(report), "Import", changes > 0, parent
        )


def sync_text(report: SyncReport) -> str:
    """A vault sync's report as lines for people."""
    sections = (
        ("Changes", report.changes),
        ("Conflicts (both texts are kept)", report.conflicts),
        ("Not synced", report.problems),
        ("Skipped", report.skipped),
        ("Warnings", report.warnings),
    )
    lines: list[str] = []
    for title, items in sections:
        if items:
            lines += [f"{title}:", *(f"  {item}" for item in items), ""]
    return "\n".join(lines).strip() or "The vault and the library already agree."


class VaultSyncPreviewDialog(PreviewDialog):
    """What syncing a notes vault will do; *Sync* is disabled when nothing would change."""

    def __init__(self, report: SyncReport, vault_name: str, parent: QWidget | None = None) -> None:
        changes = len(report.changes) + len(report.conflicts)
        heading = (
            f"{_plural(len(report.changes), 'change')}, {_plural(len(report.conflicts), 'conflict')} to sync."
            if changes
            else "Nothing to sync."
        )
        super().__init__(f"Sync {vault_name}", heading, sync_text(report), "Sync", changes > 0, parent)
