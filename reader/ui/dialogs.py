"""Small non-blocking dialogs: problems (skipped files), keyboard shortcuts, about, messages.

Error boxes never block the event loop: they are shown with ``show()``, not ``exec()``, and
:data:`MessageSink` lets tests replace them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMessageBox,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from reader import APP_NAME, __version__
from reader.core.models import Skipped

MessageSink = Callable[[str, str], None]


def show_error(parent: QWidget, title: str, text: str) -> QMessageBox:
    """A non-modal warning box (the caller may ignore the returned box)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box


def show_about(parent: QWidget, library: Path, settings: Path) -> QMessageBox:
    """The version, the library open and where the settings are."""
    box = QMessageBox(
        QMessageBox.Icon.Information,
        f"About {APP_NAME}",
        f"{APP_NAME} {__version__}\n\nLibrary: {library}\nSettings: {settings}",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.show()
    return box


class ProblemsDialog(QDialog):
    """Lists the files that were not read, and why."""

    def __init__(self, problems: Sequence[Skipped], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Problems")
        self.resize(640, 320)
        layout = QVBoxLayout(self)
        self.model = QStandardItemModel(0, 2, self)
        self.model.setHorizontalHeaderLabels(["File", "Reason"])
        for problem in problems:
            cells = [QStandardItem(problem.relpath), QStandardItem(problem.reason)]
            for cell in cells:
                cell.setEditable(False)
            self.model.appendRow(cells)
        table = QTableView(self)
        table.setModel(self.model)
        table.setSortingEnabled(True)
        table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnToContents(0)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.table = table


class ShortcutsDialog(QDialog):
    """Every action with a shortcut, as listed in the menus."""

    def __init__(self, actions: Sequence[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(520, 560)
        rows = []
        for action in actions:
            keys = ", ".join(seq.toString() for seq in action.shortcuts() if not seq.isEmpty())
            if keys:
                label = action.text().replace("&", "")
                rows.append(f"<tr><td>{html.escape(label)}</td><td><b>{html.escape(keys)}</b></td></tr>")
        view = QTextBrowser(self)
        view.setHtml("<table cellpadding='4'>" + "".join(rows) + "</table>")
        layout = QVBoxLayout(self)
        layout.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
