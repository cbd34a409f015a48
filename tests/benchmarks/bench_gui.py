"""Benchmark child for the window: event-loop stalls and memory while a library is read and indexed.

    QT_QPA_PLATFORM=offscreen READER_DATA_DIR=/tmp/x python tests/benchmarks/bench_gui.py stall LIBRARY

Opens the main window on LIBRARY (fresh data folder: the catalog scan and the index build both run) with a
5 ms QTimer; the longest gap between its ticks is the longest stall a user would feel. Prints one JSON
object: the stalls, when the list showed and the index was ready, and the GUI process's RSS afterwards.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from reader.app import GIL_SWITCH_INTERVAL  # noqa: E402
from reader.ui.main_window import MainWindow  # noqa: E402
from reader.ui.settings import Settings  # noqa: E402

TICK_MS = 5


def stall(library: Path) -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # as reader.app.run_gui does
    app = QApplication([])
    started = time.perf_counter()
    window = MainWindow(Settings(), library, freeze_gc=True)  # as reader.app.run_gui does
    window.show()
    gaps: list[tuple[float, float]] = []  # (gap, at)
    last = [time.perf_counter()]
    events: dict[str, float] = {}
    proc = psutil.Process()
    peak_rss = [0]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0], now - started))
        last[0] = now
        if "listed" not in events and window.model.rowCount() > 0:
            events["listed"] = now - started
        session = window.session
        if session is not None and session.index_ready and "index_ready" not in events:
            events["index_ready"] = now - started
            QTimer.singleShot(500, finish)
        if len(gaps) % 40 == 0:
            peak_rss[0] = max(peak_rss[0], proc.memory_info().rss)

    def finish() -> None:
        timer.stop()
        # A search, so that the memory includes a searcher and a page of snippets.
        assert window.session is not None
        window.search_field.setText("python")
        window._start_search()

    def searched(_count: int) -> None:
        events.setdefault("searched", time.perf_counter() - started)
        QTimer.singleShot(200, app.quit)

    window.search_shown.connect(searched)
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()
    app.exec()
    rss = proc.memory_info().rss
    window.close()
    # Ignore the first second: the window's own construction and first paint are measured by cold start.
    busy = [g for g, at in gaps if at > 1.0]
    busy.sort(reverse=True)
    data = {
        "max_stall_ms": busy[0] * 1000 if busy else 0.0,
        "top_stalls_ms": [round(g * 1000, 1) for g in busy[:10]],
        "top_stalls_at_s": [
            round(at, 2) for g, at in sorted(((g, at) for g, at in gaps if at > 1.0), reverse=True)[:10]
        ],
        "stalls_over_50ms": sum(1 for g in busy if g > 0.05),
        "ticks": len(gaps),
        "listed_s": events.get("listed", -1.0),
        "index_ready_s": events.get("index_ready", -1.0),
        "searched_s": events.get("searched", -1.0),
        "rss_mb": rss / 1e6,
        "peak_gui_rss_mb": max(peak_rss[0], rss) / 1e6,
    }
    print(json.dumps(data), flush=True)


if __name__ == "__main__":
    command, lib = sys.argv[1:3]
    if command != "stall":
        raise SystemExit(f"unknown command {command}")
    stall(Path(lib))
