"""Switching theme while the window runs restyles what the reading pane draws (issue 15, item 6).

These tests look at pixels, not at palettes: the pane's viewport is rendered to an image and the background,
the text and the highlight and search-mark colours are measured there.
"""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from reader.core.models import Annotation
from reader.ui.main_window import MainWindow
from reader.ui.reading.article_document import THEMES
from reader.ui.theme import effective_theme

#: WCAG's minimum contrast for body text.
MIN_CONTRAST = 4.5


def _luminance(color: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.red()) + 0.7152 * channel(color.green()) + 0.0722 * channel(color.blue())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _colours(image: QImage, rect: QRect) -> Counter[int]:
    """How often each colour (as ``#AARRGGBB``) occurs in ``rect`` of ``image``."""
    rect = rect.intersected(image.rect())
    return Counter(
        image.pixel(x, y)
        for y in range(rect.top(), rect.bottom() + 1)
        for x in range(rect.left(), rect.right() + 1)
    )


def background_and_ink(image: QImage, rect: QRect) -> tuple[QColor, float]:
    """The most common colour in ``rect`` (the background) and the best contrast any pixel makes with it
    (the glyphs' cores)."""
    colours = _colours(image, rect)
    assert colours
    background = QColor.fromRgb(colours.most_common(1)[0][0])
    return background, max(contrast(background, QColor.fromRgb(rgb)) for rgb in colours)


def _open_first(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.article_shown, timeout=5000):
        assert window.select_article(window.model.rows()[0].relpath)


def _text_rect(window: MainWindow, start: int, end: int) -> QRect:
    """The viewport rectangle covering code points ``start``..``end`` (on one line)."""
    first = window.pane.cursorRect(window.pane._cursor_for(window.pane.document(), start, start))
    last = window.pane.cursorRect(window.pane._cursor_for(window.pane.document(), end, end))
    return QRect(first.left() + 1, first.top(), max(4, last.left() - first.left() - 2), first.height())


def test_every_theme_switch_restyles_what_the_pane_draws(window: MainWindow, qtbot: QtBot) -> None:
    _open_first(window, qtbot)
    article = window.pane.article
    assert article is not None
    quote = "osteogenesis imperfecta"
    start = article.text.index(quote, 200)
    highlight = Annotation(id="h1", start=start, end=start + len(quote), exact=quote, color="yellow")
    window.pane.set_annotations([highlight])
    mark_start = article.text.index("stem cell", start + len(quote))
    window.pane.set_search_spans([(mark_start, mark_start + len("stem cell"))])
    window.pane.next_hit()  # the current mark, drawn in its own colour
    for choice in ("light", "dark", "sepia", "light", "system", "dark", "light"):
        window.set_theme(choice)
        qtbot.wait(50)  # let the application's palette and style changes be delivered
        expected = THEMES[effective_theme(choice)]
        window.pane.select_span(start, start)  # no selection colour over the measured text
        window.pane.set_search_spans([(mark_start, mark_start + len("stem cell"))])
        window.pane.next_hit()
        window.pane.scroll_to(start)
        image = window.pane.viewport().grab().toImage()

        background, ink = background_and_ink(image, image.rect())
        assert background.name() == expected.background, (choice, background.name())
        assert ink >= MIN_CONTRAST, (choice, ink)

        hl_background, hl_ink = background_and_ink(image, _text_rect(window, start, start + len(quote)))
        assert hl_background.name() == expected.highlights["yellow"], (choice, hl_background.name())
        assert hl_ink >= MIN_CONTRAST, (choice, hl_ink)

        window.pane.scroll_to(mark_start)
        image = window.pane.viewport().grab().toImage()
        rect = _text_rect(window, mark_start, mark_start + len("stem cell"))
        mark_background, mark_ink = background_and_ink(image, rect)
        assert mark_background.name() == expected.search_current, (choice, mark_background.name())
        assert mark_ink >= MIN_CONTRAST, (choice, mark_ink)


def test_placeholder_follows_the_theme(window: MainWindow, qtbot: QtBot) -> None:
    window.pane.show_article(None)
    for choice in ("dark", "sepia", "light"):
        window.set_theme(choice)
        qtbot.wait(50)
        image = window.pane.viewport().grab().toImage()
        background, ink = background_and_ink(image, image.rect())
        assert background.name() == THEMES[choice].background, (choice, background.name())
        assert ink >= 3.0, (choice, ink)  # muted text, but readable


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_mark_colour_keeps_the_text_readable(name: str) -> None:
    """Each highlight colour and both search-mark colours, under the theme's text colour."""
    theme = THEMES[name]
    text = QColor(theme.text)
    backgrounds = {**theme.highlights, "search": theme.search, "current match": theme.search_current}
    for what, colour in backgrounds.items():
        assert contrast(text, QColor(colour)) >= MIN_CONTRAST, (name, what, colour)
    assert contrast(text, QColor(theme.background)) >= 7.0
