"""The window's status bar: a message, a progress bar for background work, and the problems button.

Long work (reading the library, indexing, importing notes) shows its progress here and never blocks the
window; files that could not be read are counted on a button that opens the list (the window's
:class:`~reader.ui.dialogs.ProblemsDialog`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QWidget


class StatusArea:
    """The widgets of the status bar and what they show."""

    def __init__(self, bar: QStatusBar, show_problems: Callable[[], None], parent: QWidget) -> None:
        self.progress = QProgressBar(parent)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.label = QLabel("", parent)
        self.problems_button = QPushButton("", parent)
        self.problems_button.setObjectName("problemsButton")
        self.problems_button.setFlat(True)
        self.problems_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problems_button.clicked.connect(show_problems)
        self.problems_button.hide()
        bar.addWidget(self.label, 1)
        bar.addPermanentWidget(self.problems_button)
        bar.addPermanentWidget(self.progress)

    def show_message(self, text: str) -> None:
        self.label.setText(text)

    def clear_message(self, text: str) -> None:
        """Clear the message if it is still ``text`` (another may have replaced it since)."""
        if self.label.text() == text:
            self.label.setText("")

    def show_progress(self, what: str, done: int, total: int) -> None:
        """``done`` of ``total`` steps of ``what``; hidden once done (or when the total is unknown)."""
        self.progress.setVisible(total > 0 and done < total)
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(f"{what} %v/%m")
        # Wide enough for the longest text of this task (the count's digits at their widest), on one line.
        widest = self.progress.fontMetrics().horizontalAdvance(f"{what} {total}/{total}".replace("1", "0"))
        self.progress.setFixedWidth(max(120, widest + 24))

    def hide_progress(self) -> None:
        self.progress.hide()

    def show_problem_count(self, count: int) -> None:
        """The problems button: hidden without problems, else their number."""
        self.problems_button.setVisible(count > 0)
        self.problems_button.setText(f"{count} problem{'s' if count != 1 else ''}")
        self.problems_button.setToolTip("Files that could not be read; click for details")
