"""The page view of PDFs on real papers from ../shared/documents/pdf: pages, go to page, rendering off the GUI
thread into a bounded cache, highlights shared with the reflowed pane at the same canonical offsets, the
password prompt of encrypted files, and the table of contents."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from reader.core.articles.loader import load_article
from reader.ui.main_window import MainWindow
from reader.ui.reading.page_cache import page_key
from reader.ui.reading.page_view_controller import PageViewController
from reader.ui.reading.pdf_pages import PdfPages
from reader.ui.reading.reading_pane import ReadingPane
from reader.ui.settings import Settings
from reader.ui.workers import TaskRunner

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ROOT.parent / "shared" / "documents"
PAPER = "acl-2020-specter.pdf"  # two columns, 13 pages
BOOK = "book-free-culture-lessig-352p.pdf"
ENCRYPTED_SOURCE = "encrypted-rc4-libreoffice-pw-openpassword.pdf"  # user password: openpassword
ENCRYPTED = "locked-report.pdf"  # its copy in the library (a name without the password in it)
EPUB = "en-the-prophet-standard-ebooks-epub3.epub"


def shared(kind: str, name: str) -> Path:
    path = DOCUMENTS / kind / name
    if not path.is_file():
        pytest.fail(f"the shared documents are missing: {path} (expected ../shared/documents/{kind})")
    return path


@pytest.fixture
def pdf_library(tmp_path: Path) -> Path:
    library = tmp_path / "papers"
    library.mkdir()
    shutil.copyfile(shared("pdf", PAPER), library / PAPER)
    shutil.copyfile(shared("pdf", ENCRYPTED_SOURCE), library / ENCRYPTED)
    shutil.copyfile(shared("epub", EPUB), library / EPUB)
    return library


def show(qtbot: QtBot, window: MainWindow, relpath: str) -> None:
    assert window.select_article(relpath)
    qtbot.waitUntil(
        lambda: window.pane.article is not None and window.pane.article.relpath == relpath, timeout=30000
    )


def page_view_on(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.pages.document_ready, timeout=30000):
        window.pages.set_page_view(True)
    qtbot.waitUntil(lambda: len(window.page_view.cache) > 0, timeout=30000)


def wait_boxes(qtbot: QtBot, window: MainWindow, page: int) -> None:
    window.page_view.go_to_page(page)
    qtbot.waitUntil(lambda: window.page_view.boxes(page) is not None, timeout=60000)


def test_page_count_go_to_page_and_the_view_is_remembered(
    qtbot: QtBot,
    window_factory: Callable[[Path], MainWindow],
    pdf_library: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = window_factory(pdf_library)
    show(qtbot, window, PAPER)
    assert window.named_actions["page_view"].isEnabled()
    page_view_on(qtbot, window)
    expected = len(pdfium.PdfDocument(shared("pdf", PAPER)))
    assert window.page_view.page_count == expected == 13
    assert window.pages.active and window.page_view.isVisible() and not window.pane.isVisible()
    assert window.page_view.page_label.text() == f"1 / {expected}"

    monkeypatch.setattr(QInputDialog, "getInt", lambda *args, **kwargs: (7, True))
    window.named_actions["go_to_page"].trigger()
    assert window.page_view.current_page == 6
    assert window.page_view.page_label.text() == f"7 / {expected}"
    assert 6 in window.page_view.visible_pages()

    # Remembered per article: another article shows its text; coming back shows the pages again.
    assert PAPER in window.settings.page_view_articles(window.library)
    show(qtbot, window, EPUB)
    assert not window.pages.active and not window.named_actions["page_view"].isEnabled()
    show(qtbot, window, PAPER)
    qtbot.waitUntil(lambda: window.page_view.page_count == expected, timeout=30000)
    assert window.pages.active

    # Back to the reflowed text at the page shown: the pane's top is on that page.
    window.page_view.go_to_page(4)
    window.named_actions["page_view"].trigger()
    assert not window.pages.active and window.pane.isVisible()
    assert window.pages.pane_page() == 4
    assert PAPER not in window.settings.page_view_articles(window.library)


def test_pages_render_off_the_gui_thread_into_a_bounded_cache(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    threads: list[bool] = []
    render = PdfPages.render

    def recording_render(self: PdfPages, page: int, scale: float):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread() is threading.main_thread())
        return render(self, page, scale)

    monkeypatch.setattr(PdfPages, "render", recording_render)
    host = QWidget()
    qtbot.addWidget(host)
    runner = TaskRunner(host)
    pane = ReadingPane(host)
    controller = PageViewController(
        pane, runner, Settings(), lambda: tmp_path, show_status=lambda _m: None, report_error=pytest.fail,
        parent=host,
    )  # fmt: skip
    QVBoxLayout(host).addWidget(controller.area)
    host.resize(260, 360)
    host.show()
    article = load_article(shared("pdf", BOOK))
    pane.show_article(article)
    controller.show_article(article)
    view = controller.view
    with qtbot.waitSignal(controller.document_ready, timeout=60000) as ready:
        controller.set_page_view(True)
    assert ready.args == [352]
    qtbot.waitUntil(lambda: page_key(0, view.device_scale()) in view.cache, timeout=30000)
    first = view.cache.get(page_key(0, view.device_scale()))
    assert first is not None
    limit = int(first.sizeInBytes() * 2.5)
    view.cache.limit = limit
    peak = 0
    for page in range(60):
        view.go_to_page(page)
        qtbot.waitUntil(lambda p=page: page_key(p, view.device_scale()) in view.cache, timeout=30000)
        peak = max(peak, view.cache.bytes_held)
        assert view.cache.bytes_held <= limit
    assert peak <= limit
    assert len(view.cache) <= 4 and view.cache.evictions >= 50
    assert len(threads) >= 60 and not any(threads), "a page was rendered on the GUI thread"
    controller.show_article(None)
    assert runner.wait(30000)
    controller.close()


def _drag(qtbot: QtBot, window: MainWindow, page: int, start: int, end: int) -> None:
    """Press on the character at ``start``, drag to the one at ``end - 1``, release (on page ``page``)."""
    view = window.page_view
    boxes = view.boxes(page)
    assert boxes is not None
    first = boxes.boxes[boxes.offsets.index(start)]
    last = boxes.boxes[boxes.offsets.index(end - 1)]
    a = view.from_page(page, first.center().x(), first.center().y()).toPoint()
    b = view.from_page(page, last.center().x(), last.center().y()).toPoint()
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(view.viewport(), QPoint((a.x() + b.x()) // 2, a.y()))
    qtbot.mouseMove(view.viewport(), b)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=b)


def test_highlights_are_shared_between_the_page_view_and_the_text(
    qtbot: QtBot, window_factory: Callable[[Path], MainWindow], pdf_library: Path
) -> None:
    window = window_factory(pdf_library)
    show(qtbot, window, PAPER)
    text = window.pane.article.text  # type: ignore[union-attr]
    page_view_on(qtbot, window)
    wait_boxes(qtbot, window, 0)
    view = window.page_view

    # A drag over the words on the page: the highlight's offsets are those words in the canonical text.
    words = "Representation learning"
    start = text.find(words)
    end = start + len(words)
    _drag(qtbot, window, 0, start, end)
    assert view.selected_span() == (start, end)
    assert window.annotations.selection.selected_span() == (start, end)
    window.pages.copy()
    assert QApplication.clipboard().text() == words
    window.annotations.highlight("yellow")
    store = window.annotations.store
    assert store is not None
    [made] = store.anchored()
    assert (made.start, made.end) == (start, end)
    assert text[made.start : made.end] == made.exact == words
    # ... the words under the boxes dragged over are those words.
    boxes = view.boxes(0)
    assert boxes is not None
    assert "".join(text[o] for o in boxes.offsets if start <= o < end).replace(" ", "") == words.replace(
        " ", ""
    )
    # It is drawn over those words on the page, and shown in the reflowed text at the same offsets.
    assert made.id in view.drawn_annotations(0)
    rects = view.highlight_rects(0, made.start, made.end)
    for offset in (start, end - 1):
        box = boxes.boxes[boxes.offsets.index(offset)]
        centre = view.from_page(0, box.center().x(), box.center().y())
        assert any(r.contains(centre) for r in rects)
    annotation = window.pane.annotation_at(start)
    assert annotation is not None and annotation.id == made.id
    assert window.pane.annotation_at(end) is None

    # And the other way: a highlight made in the text is drawn on the page over its words.
    window.pages.set_page_view(False)
    other = "Transformer language models"
    o_start = text.find(other)
    o_end = o_start + len(other)
    window.pane.select_span(o_start, o_end)
    window.annotations.highlight("green")
    second = next(a for a in store.anchored() if a.id != made.id)
    assert (second.start, second.end, second.color) == (o_start, o_end, "green")
    window.pages.set_page_view(True)
    qtbot.waitUntil(lambda: second.id in view.drawn_annotations(0), timeout=30000)
    rects = view.highlight_rects(0, second.start, second.end)
    assert rects
    for offset in (o_start, o_end - 1):
        box = boxes.boxes[boxes.offsets.index(offset)]
        assert any(r.contains(view.from_page(0, box.center().x(), box.center().y())) for r in rects)

    # A click on the highlight on the page makes it the current one (note and delete act on it).
    centre = boxes.boxes[boxes.offsets.index(o_start + 2)].center()
    with qtbot.waitSignal(window.pane.annotation_clicked, timeout=5000) as clicked:
        qtbot.mouseClick(
            view.viewport(),
            Qt.MouseButton.LeftButton,
            pos=view.from_page(0, centre.x(), centre.y()).toPoint(),
        )
    assert clicked.args == [second.id]
    window.annotations.delete_current()
    assert [a.id for a in store.anchored()] == [made.id]
    assert second.id not in view.drawn_annotations(0)


def test_an_encrypted_pdf_asks_for_its_password_and_opens(
    qtbot: QtBot,
    window_factory: Callable[[Path], MainWindow],
    pdf_library: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = window_factory(pdf_library)
    qtbot.waitUntil(lambda: any(s.relpath == ENCRYPTED for s in window._skipped), timeout=30000)
    answers = iter([("not-it", True), ("openpassword", True)])
    prompts: list[str] = []

    def get_text(
        _parent: object, _title: str, label: str, *args: object, **kwargs: object
    ) -> tuple[str, bool]:
        prompts.append(label)
        return next(answers)

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    window.named_actions["unlock_pdf"].trigger()
    qtbot.waitUntil(
        lambda: window.pane.article is not None and window.pane.article.relpath == ENCRYPTED, timeout=30000
    )
    assert len(prompts) == 2 and "Wrong password" in prompts[1]
    article = window.pane.article
    assert article is not None and article.format == "pdf" and len(article.text.split()) > 20
    # The page view renders it from the copy decrypted in memory.
    page_view_on(qtbot, window)
    assert window.page_view.page_count == 1
    # The password is stored nowhere: not in the settings, not next to the file.
    window.save_state()
    assert "openpassword" not in window.settings.path.read_text(encoding="utf-8", errors="replace")
    assert sorted(p.name for p in pdf_library.iterdir()) == sorted([PAPER, ENCRYPTED, EPUB])


def test_the_contents_menu_jumps_to_a_chapter(
    qtbot: QtBot, window_factory: Callable[[Path], MainWindow], pdf_library: Path
) -> None:
    window = window_factory(pdf_library)
    show(qtbot, window, EPUB)
    article = window.pane.article
    assert article is not None and len(article.toc) > 10
    menu = window.menus["contents"]
    menu.aboutToShow.emit()
    entries = [a for a in menu.actions() if a.isEnabled()]
    assert [a.text().replace("&&", "&") for a in entries] == [title for title, _o in article.toc]
    entries[10].trigger()
    _title, offset = article.toc[10]
    assert window.pane.to_cp(window.pane.textCursor().position()) == offset
    assert window.pane.verticalScrollBar().value() > 0
    assert 0 <= window.pane.cursorRect().top() < window.pane.viewport().height() // 2


def test_a_highlight_past_the_text_the_pane_shows_is_made_and_found_on_the_page(
    qtbot: QtBot, window_factory: Callable[[Path], MainWindow], tmp_path: Path
) -> None:
    """The reading pane shows only the start of a very long text; the page view highlights anywhere."""
    library = tmp_path / "long"
    library.mkdir()
    name = "us-irs-i1040nr-instructions-50p.pdf"
    shutil.copyfile(shared("pdf", name), library / name)
    window = window_factory(library)
    show(qtbot, window, name)
    article = window.pane.article
    assert article is not None and window.pane.shown_length < len(article.text)
    block = next(
        b for b in article.blocks
        if b.start > window.pane.shown_length + 1000 and b.kind == "paragraph" and b.end - b.start > 200
    )  # fmt: skip
    page = (block.page or 1) - 1
    page_view_on(qtbot, window)
    wait_boxes(qtbot, window, page)
    boxes = window.page_view.boxes(page)
    assert boxes is not None
    start = block.start
    while article.text[start].isspace() or start not in boxes.offsets:
        start += 1
    end = article.text.index(" ", start + 12)
    while end - 1 not in boxes.offsets:
        end -= 1
    _drag(qtbot, window, page, start, end)
    window.annotations.highlight("blue")
    store = window.annotations.store
    assert store is not None
    [made] = store.anchored()
    assert (made.start, made.end) == (start, end) and made.start > window.pane.shown_length
    assert made.id in window.page_view.drawn_annotations(page)
    # Chosen in the panel while elsewhere in the document, the page view brings it back into sight.
    window.page_view.go_to_page(0)
    window.annotations.jump_to(made.id)
    assert page in window.page_view.visible_pages()
    assert window.page_view.selected_span() == (made.start, made.end)


def test_the_page_shown_is_where_the_reader_comes_back(
    qtbot: QtBot, window_factory: Callable[[Path], MainWindow], pdf_library: Path
) -> None:
    window = window_factory(pdf_library)
    show(qtbot, window, PAPER)
    page_view_on(qtbot, window)
    window.page_view.go_to_page(8)
    qtbot.waitUntil(lambda: window.pages.pane_page() == 8, timeout=10000)  # the pane follows the pages
    window.close()
    again = window_factory(pdf_library)
    qtbot.waitUntil(lambda: again.pages.active and again.page_view.page_count == 13, timeout=30000)
    qtbot.waitUntil(lambda: again.page_view.current_page == 8, timeout=10000)
    assert again.pane.article is not None and again.pane.article.relpath == PAPER
