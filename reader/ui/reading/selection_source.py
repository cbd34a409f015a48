"""Where the annotation controller reads the user's selection from: a view of the article's canonical text.

The reading pane is one (:class:`~reader.ui.reading.reading_pane.ReadingPane`); a PDF's page view is another
(:class:`~reader.ui.reading.page_view_controller.PageSelection`), used while the pages are shown. Both speak
code-point offsets of the canonical text, so a highlight made in either lands at the same offsets.
"""

from __future__ import annotations

from typing import Protocol


class SelectionSource(Protocol):
    """A view of the canonical text that has a selection and a cursor, in code points."""

    def selected_span(self) -> tuple[int, int] | None:
        """The selection ``(start, end)``, or ``None`` when nothing is selected."""
        ...

    def cursor_offset(self) -> int | None:
        """The cursor's offset when nothing is selected (the highlight clicked, say), else ``None``."""
        ...

    def select_span(self, start: int, end: int) -> None:
        """Select ``start:end`` and bring it into sight (``start == end``: only place the cursor)."""
        ...
