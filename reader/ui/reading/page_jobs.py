"""The page view's background work: opening a PDF's pages, rendering them and reading their character boxes.

:class:`PageJobs` runs every PDFium call in the window's :class:`~reader.ui.workers.TaskRunner`, one job at a
time (PDFium is serialized by the core's lock anyway, and one job in flight keeps the shared pool free for
the library's work): images of the pages in sight at the zoom and device pixel ratio first, then character
boxes. A job for a page scrolled out of sight is dropped before it starts; a job that failed is not asked
for again. Images go to the page view's bounded :class:`~reader.ui.reading.page_cache.PageCache`.

Opening renders the first page in the same job, under the same hold of the PDFium lock, so that a text
extraction waiting for the lock (the article being read) does not delay it. A document no longer shown is
closed once no job of it runs, under the lock, off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from reader.core.articles.pdf import PDFIUM_LOCK
from reader.ui.reading.page_cache import page_key
from reader.ui.reading.page_view import PageView, fit_factor
from reader.ui.reading.pdf_pages import PageBoxes, PdfPages
from reader.ui.workers import TaskRunner

Job = tuple[str, int, float]  #: ("render" | "boxes", 0-based page, scale)


class PageJobs(QObject):
    """Feeds a :class:`PageView` with the pages of one PDF at a time."""

    document_ready = Signal(int)  #: the document is open: number of pages
    open_failed = Signal(str)  #: message
    page_rendered = Signal(int)  #: 0-based page whose image just arrived

    def __init__(self, view: PageView, runner: TaskRunner, show_status: Callable[[str], None]) -> None:
        super().__init__(view)
        self.view = view
        self._runner = runner
        self._show_status = show_status
        #: The open document and the file it is (``path`` is set from the moment it starts opening).
        self.pages: PdfPages | None = None
        self.path: Path | None = None
        self._generation = 0
        self._queue: list[Job] = []
        self._in_flight = 0
        self._failed: set[tuple[str, int]] = set()
        self._retired: list[PdfPages] = []
        view.pages_needed.connect(self._want_pages)
        view.boxes_needed.connect(self._want_boxes)

    # ------------------------------------------------------------------------------------- documents
    def open(self, path: Path, data: bytes | None, first: int) -> None:
        """Open ``path`` (or its decrypted ``data``) and render page ``first`` at the view's zoom."""
        self.close_document()
        self.path = path
        generation = self._generation
        width, dpr = self.view.viewport().width(), self.view.devicePixelRatioF()
        factor = None if self.view.fit_width else self.view.factor

        def open_and_render() -> tuple[PdfPages, float, QImage | None]:
            with PDFIUM_LOCK:
                pages = PdfPages.open(path, data=data)
                scale = (factor or fit_factor(pages.sizes, width)) * dpr
                image = pages.render(first, scale) if first < pages.count else None
            return pages, scale, image

        self._runner.run(
            open_and_render,
            on_success=lambda result: self._opened(generation, first, *result),
            on_failure=lambda message: self._open_failed(generation, message),
        )

    def _opened(
        self, generation: int, first: int, pages: PdfPages, scale: float, image: QImage | None
    ) -> None:
        if generation != self._generation:
            self._retire(pages)
            return
        self.pages = pages
        self.view.set_document(pages.sizes, pages.labels)
        if image is not None:
            image.setDevicePixelRatio(self.view.devicePixelRatioF())
            self.view.cache.put(page_key(first, scale), image)
        self.document_ready.emit(pages.count)
        if image is not None:
            self.page_rendered.emit(first)

    def _open_failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.path = None
            self.open_failed.emit(message)

    def close_document(self) -> None:
        """Stop showing the document (its jobs' results are dropped; it is closed when they end)."""
        self._generation += 1
        self.path = None
        self._queue.clear()
        self._failed.clear()
        if self.pages is not None:
            self._retire(self.pages)
            self.pages = None
        self.view.clear()

    def _retire(self, pages: PdfPages) -> None:
        self._retired.append(pages)
        self._close_retired()

    def _close_retired(self) -> None:
        if self._in_flight == 0 and self._retired:
            retired, self._retired = self._retired, []

            def close_all() -> None:
                for pages in retired:
                    pages.close()

            self._runner.run(close_all)

    def close(self) -> None:
        """Close every document now (the window is closing and its workers have finished)."""
        for pages in [*self._retired, *([self.pages] if self.pages else [])]:
            pages.close()
        self._retired, self.pages = [], None

    # ------------------------------------------------------------------------------------- jobs
    def _want_pages(self, pages: list[int]) -> None:
        scale = self.view.device_scale()
        for page in pages:
            job = ("render", page, scale)
            if page_key(page, scale) in self.view.cache or ("render", page) in self._failed:
                continue
            if job not in self._queue:
                self._queue.append(job)
        self._pump()

    def _want_boxes(self, pages: list[int]) -> None:
        for page in pages:
            job = ("boxes", page, 0.0)
            if (
                self.view.boxes(page) is None
                and ("boxes", page) not in self._failed
                and job not in self._queue
            ):
                self._queue.append(job)
        self._pump()

    def _next_job(self) -> Job | None:
        visible = self.view.visible_pages()
        wanted = set(visible) | ({visible[-1] + 1} if visible else set())
        scale = self.view.device_scale()
        self._queue = [
            job for job in self._queue if job[1] in wanted and (job[0] != "render" or job[2] == scale)
        ]
        for kind in ("render", "boxes"):
            for job in self._queue:
                if job[0] == kind:
                    self._queue.remove(job)
                    return job
        return None

    def _pump(self) -> None:
        pages = self.pages
        if self._in_flight or pages is None:
            return
        job = self._next_job()
        if job is None:
            return
        kind, page, scale = job
        generation = self._generation
        self._in_flight += 1
        if kind == "render":
            self._runner.run(
                lambda: pages.render(page, scale),
                on_success=lambda image: self._rendered(generation, page, scale, image),
                on_failure=lambda message: self._job_failed(generation, message, kind, page),
            )
        else:
            self._runner.run(
                lambda: pages.char_boxes(page),
                on_success=lambda boxes: self._boxes_ready(generation, page, boxes),
                on_failure=lambda message: self._job_failed(generation, message, kind, page),
            )

    def _job_done(self) -> None:
        self._in_flight -= 1
        self._close_retired()
        self._pump()

    def _rendered(self, generation: int, page: int, scale: float, image: QImage) -> None:
        if generation == self._generation:
            image.setDevicePixelRatio(self.view.devicePixelRatioF())
            self.view.cache.put(page_key(page, scale), image)
            self.view.viewport().update()
            self.page_rendered.emit(page)
        self._job_done()

    def _boxes_ready(self, generation: int, page: int, boxes: PageBoxes) -> None:
        if generation == self._generation:
            self.view.set_boxes(page, boxes)
        self._job_done()

    def _job_failed(self, generation: int, message: str, kind: str, page: int) -> None:
        if generation == self._generation:
            self._show_status(
                f"Page {page + 1} could not be {'shown' if kind == 'render' else 'read'}: {message}"
            )
            self._failed.add((kind, page))  # not asked for again (each paint would ask)
        self._job_done()
