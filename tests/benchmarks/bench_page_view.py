"""Benchmark of the PDF page view on the 352-page book of ../shared/documents/pdf.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_page_view.py [--pages 352]

Measures, each printed and written to ``tests/benchmarks/results/page_view.json``:

- time to the first page shown: in the window (the book's row chosen, its page view remembered, until the
  first page's image is in the view: the article is read first, then the pages open and render), and for
  the page view alone (the document opened and page 1 rendered);
- page render time (PDFium to ``QImage``) at 100% and 200% zoom, median and 95th percentile over pages
  spread through the book;
- memory while scrolling through every page in the window's page view (each page brought into sight and
  rendered): the process's RSS before and at its peak, and the most bytes the page cache held (bounded).

Not collected by pytest (no test asserts a time); needs ``psutil`` (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("READER_DATA_DIR", tempfile.mkdtemp(prefix="bench-page-view-"))

import psutil  # noqa: E402
from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from reader.ui.main_window import MainWindow  # noqa: E402
from reader.ui.reading.page_cache import page_key  # noqa: E402
from reader.ui.reading.pdf_pages import PdfPages  # noqa: E402
from reader.ui.settings import Settings  # noqa: E402

BOOK = ROOT.parent / "shared" / "documents" / "pdf" / "book-free-culture-lessig-352p.pdf"
RESULTS = Path(__file__).resolve().parent / "results" / "page_view.json"
ACTUAL = 96.0 / 72.0  # device pixels per point at 100% on a 96 dpi screen


def spin(app: QApplication, until, timeout: float = 120.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.perf_counter() + timeout
    while time.perf_counter() < end and not until():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    return bool(until())


def render_times(samples: int) -> dict[str, object]:
    pages = PdfPages.open(BOOK)
    chosen = [round(i * (pages.count - 1) / (samples - 1)) for i in range(samples)]
    out: dict[str, object] = {}
    for label, scale in (("100%", ACTUAL), ("200%", 2 * ACTUAL)):
        times = []
        for page in chosen:
            started = time.perf_counter()
            image = pages.render(page, scale)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[label] = {
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "max_ms": round(times[-1], 1),
            "pixels": f"{image.width()}x{image.height()}",
        }
    started = time.perf_counter()
    alone = PdfPages.open(BOOK)
    alone.render(0, ACTUAL)
    out["first_page_alone_ms"] = round((time.perf_counter() - started) * 1000, 1)
    alone.close()
    pages.close()
    return out


def window_measures(
    app: QApplication, library: Path, scroll_pages: int, cache_mb: int | None
) -> dict[str, object]:
    settings = Settings()
    settings.set_page_view(library.resolve(), BOOK.name, True)
    window = MainWindow(settings, library)
    window.resize(1400, 900)
    window.show()
    assert spin(app, lambda: window.model.rowCount() > 0), "the book was not listed"
    assert spin(app, lambda: window.session is not None and window.session.index_ready, 300)
    view = window.page_view
    if cache_mb is not None:
        view.cache.limit = cache_mb * 2**20
    started = time.perf_counter()
    window.select_article(BOOK.name)
    assert spin(app, lambda: window.pages.active and len(view.cache) > 0), "no page was shown"
    first_page = time.perf_counter() - started
    proc = psutil.Process()
    rss_before = proc.memory_info().rss
    peak_rss, peak_cache = rss_before, 0
    started = time.perf_counter()
    for page in range(min(scroll_pages, view.page_count)):
        view.go_to_page(page)
        assert spin(app, lambda p=page: page_key(p, view.device_scale()) in view.cache, 60), page
        peak_rss = max(peak_rss, proc.memory_info().rss)
        peak_cache = max(peak_cache, view.cache.bytes_held)
    scroll = time.perf_counter() - started
    result = {
        "first_page_in_window_s": round(first_page, 2),
        "scrolled_pages": min(scroll_pages, view.page_count),
        "scroll_all_s": round(scroll, 1),
        "zoom_factor": round(view.factor, 3),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_peak_mb": round(peak_rss / 2**20, 1),
        "cache_peak_mb": round(peak_cache / 2**20, 1),
        "cache_limit_mb": round(view.cache.limit / 2**20, 1),
        "cache_pages_at_end": len(view.cache),
        "evictions": view.cache.evictions,
    }
    window.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=352, help="pages to scroll through in the window")
    parser.add_argument("--samples", type=int, default=40, help="pages timed for the render times")
    parser.add_argument("--cache-mb", type=int, default=None, help="page cache limit (default: the app's)")
    args = parser.parse_args()
    if not BOOK.is_file():
        sys.exit(f"the shared book is missing: {BOOK}")
    app = QApplication([])
    results: dict[str, object] = {"book": BOOK.name, "render": render_times(args.samples)}
    with tempfile.TemporaryDirectory() as folder:
        library = Path(folder) / "library"
        library.mkdir()
        shutil.copyfile(BOOK, library / BOOK.name)
        results["window"] = window_measures(app, library, args.pages, args.cache_mb)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if args.cache_mb is None:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
