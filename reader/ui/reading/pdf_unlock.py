"""Opening encrypted PDFs: the password is asked for in the window, used once, and never stored.

The library scan lists an encrypted PDF among the problems (``encrypted (needs a password)``), and loading
one reports the same. :class:`PdfUnlocker` asks for its password (``QInputDialog``, echo off), reads the
article off the GUI thread from a decrypted copy made in memory
(:func:`~reader.ui.reading.pdf_pages.unlock_pdf`), and reports it with :attr:`PdfUnlocker.unlocked`; a wrong
password asks again. The password itself is dropped as soon as the copy is made; the copy lives as long as
the article is shown (the page view renders from it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from reader.core.articles.pdf import ENCRYPTED
from reader.core.models import Article, Skipped
from reader.ui.reading.pdf_pages import unlock_pdf
from reader.ui.workers import TaskRunner

WRONG_PASSWORD = "wrong password"


def encrypted_pdfs(skipped: Sequence[Skipped]) -> list[str]:
    """The relpaths of the PDFs the scan skipped because they need a password."""
    return [s.relpath for s in skipped if s.relpath.lower().endswith(".pdf") and ENCRYPTED in s.reason]


class PdfUnlocker(QObject):
    """Asks for the password of an encrypted PDF and reads it with that password."""

    unlocked = Signal(object, object)  #: Article, decrypted bytes (memory only)

    def __init__(
        self,
        runner: TaskRunner,
        library: Callable[[], Path],
        skipped: Callable[[], Sequence[Skipped]],
        *,
        show_status: Callable[[str], None],
        report_error: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._library = library
        self._skipped = skipped
        self._show_status = show_status
        self._report_error = report_error
        self._parent = parent

    def choose(self) -> None:
        """File → Unlock Encrypted PDF…: pick one of the library's encrypted PDFs, then ask its password."""
        candidates = encrypted_pdfs(self._skipped())
        if not candidates:
            self._show_status("No encrypted PDFs in this library")
            return
        relpath: str | None = candidates[0]
        if len(candidates) > 1:
            choice, ok = QInputDialog.getItem(
                self._parent, "Unlock Encrypted PDF", "Encrypted PDF:", candidates, 0, False
            )
            relpath = choice if ok else None
        if relpath:
            self.unlock(relpath)

    def unlock(self, relpath: str, *, retry: bool = False) -> None:
        """Ask for ``relpath``'s password and open it (nothing happens when the user cancels)."""
        prompt = f"“{relpath}” is encrypted.\n{'Wrong password; try again' if retry else 'Password'}:"
        password, ok = QInputDialog.getText(
            self._parent, "Encrypted PDF", prompt, QLineEdit.EchoMode.Password
        )
        if not ok:
            self._show_status(f"{relpath} not opened (no password given)")
            return
        library = self._library()
        self._runner.run(
            lambda: unlock_pdf(library / relpath, library, password),
            on_success=lambda result: self.unlocked.emit(*result),
            on_failure=lambda message: self._failed(relpath, message),
        )

    def _failed(self, relpath: str, message: str) -> None:
        if WRONG_PASSWORD in message:
            self.unlock(relpath, retry=True)
        else:
            self._report_error(message)


def opened_article(article: Article) -> str:
    """The status line after an encrypted PDF was opened."""
    return f"Opened {article.relpath} with its password (the password is not kept)"
