"""Benchmark children for the window: the first-open timeline, event-loop stalls and memory.

    QT_QPA_PLATFORM=offscreen READER_DATA_DIR=/tmp/x python tests/benchmarks/bench_gui.py timeline LIBRARY N
    QT_QPA_PLATFORM=offscreen READER_DATA_DIR=/tmp/x python tests/benchmarks/bench_gui.py stall LIBRARY

``timeline`` (what ``run.py`` runs; see :func:`timeline`) opens a fresh library of N articles in the real
window and times the list shown, the first search answered and the index complete, with the stalls.

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


# --------------------------------------------------------------------------------- first-open timeline

#: Give up on a first open after this long (the result then says ``timed_out``).
TIMELINE_LIMIT_S = 3600.0
#: A search answered with no hits (the index still empty) is asked again after this long.
RETRY_MS = 250


def timeline(library: Path, expected: int, query: str = "python") -> dict[str, object]:
    """The first open of a fresh library (no index, no scan cache) in the real window, with ``query`` typed
    as soon as the window is up. Times are seconds since the process was launched:

    - ``list_shown_s``: the list shows rows (``LibraryController.catalog_shown`` with rows, then a paint);
    - ``first_answer_s``: the session's first answer (``LibrarySession.search_finished``), any hits;
    - ``first_hit_s``: the first answer with at least one hit (``first_hit_coverage``: "N of M indexed" as
      ``LibrarySession.index_coverage()`` said then, or "complete"); an answer without hits is asked again
      after :data:`RETRY_MS`, as the app's own refresh on ``index_updated`` may also do;
    - ``first_shown_s``: the window listing those hits (``MainWindow.search_shown`` with rows);
    - ``complete_s``: the index holds every article: ``index_coverage()`` is ``None``, no build is
      running, and it holds ``expected`` articles (less any the app could not read);
    - stalls of the GUI thread (a 5 ms timer's longest gaps) from the window shown to complete.
    """
    launched = psutil.Process().create_time()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # as reader.app.run_gui does
    app = QApplication([])
    origin = time.perf_counter() - (time.time() - launched)  # perf_counter() at the launch

    def now() -> float:
        return time.perf_counter() - origin

    events: dict[str, object] = {"window_start_s": now()}
    window = MainWindow(Settings(), library, freeze_gc=True)  # as reader.app.run_gui does
    window.show()
    events["window_shown_s"] = now()
    shown_at = time.perf_counter()
    proc = psutil.Process()
    peak_rss = [proc.memory_info().rss]
    gaps: list[tuple[float, float]] = []  # (gap, seconds since the window was shown)
    last = [time.perf_counter()]
    coverage_samples: list[tuple[float, object]] = []
    state = {"index_updates": 0, "answers": 0, "retries": 0, "listed": False}

    def session() -> object | None:
        return getattr(window, "session", None)

    def coverage_text() -> str:
        s = session()
        cov = s.index_coverage() if s is not None and hasattr(s, "index_coverage") else None
        if cov is not None:
            return f"{cov[0]} of {cov[1]} indexed"
        return "complete" if complete() else f"{indexed()} indexed, total not known yet"

    def indexed() -> int | None:
        s = session()
        return getattr(s, "indexed_count", None) if s is not None else None

    def complete() -> bool:
        """The session says the index holds everything, and it does: ``expected`` articles less those the
        app could not read (without ``indexed_count``: once the index has reported an update)."""
        s = session()
        if s is None or s.index_coverage() is not None or getattr(s, "index_building", False):  # type: ignore[attr-defined]
            return False
        count = indexed()
        if count is None or not expected:
            return bool(state["index_updates"])
        unreadable = len(getattr(window.libraries, "skipped", []))
        return count >= expected - unreadable

    def listed(snapshot: object) -> None:
        if getattr(snapshot, "rows", None) and "list_shown_s" not in events:
            events["list_shown_s"] = now()
            events["list_rows"] = len(snapshot.rows)  # type: ignore[attr-defined]
            window.update()  # the paint that shows them (the tick below records it)

    def type_query() -> None:
        window.search_field.setText(query)
        search_box = getattr(window, "search", None)
        if search_box is not None and hasattr(search_box, "start"):
            search_box.start()
        else:
            window._start_search()
        events.setdefault("typed_s", now())

    def answered(_generation: int, results: object) -> None:
        state["answers"] += 1
        total = int(getattr(results, "total", 0))
        if "first_answer_s" not in events:
            events["first_answer_s"] = now()
            events["first_answer_total"] = total
            events["first_answer_coverage"] = coverage_text()
        if total >= 1 and "first_hit_s" not in events:
            events["first_hit_s"] = now()
            events["first_hit_total"] = total
            events["first_hit_coverage"] = coverage_text()
        if "complete_s" in events:
            events["complete_total"] = total
            QTimer.singleShot(300, app.quit)
        elif total < 1 and "first_hit_s" not in events:
            state["retries"] += 1
            QTimer.singleShot(RETRY_MS, type_query)

    def hits_shown(count: int) -> None:
        if count >= 1 and "first_shown_s" not in events:
            events["first_shown_s"] = now()

    def index_updated(_report: object) -> None:
        state["index_updates"] += 1
        check_complete()

    def check_complete() -> None:
        if "complete_s" not in events and complete():
            events["complete_s"] = now()
            events["complete_indexed"] = indexed()
            events["index_updates"] = state["index_updates"]
            timer.stop()
            type_query()  # the complete answer (answered() then quits once hits have come)

    def tick() -> None:
        t = time.perf_counter()
        gaps.append((t - last[0], t - shown_at))
        last[0] = t
        if "list_shown_s" in events and "list_painted_s" not in events:
            events["list_painted_s"] = now()
        if len(gaps) % 40 == 0:
            peak_rss[0] = max(peak_rss[0], proc.memory_info().rss)
        if len(gaps) % 100 == 0:
            coverage_samples.append((round(now(), 2), coverage_text()))
        check_complete()

    window.libraries.catalog_shown.connect(listed)
    s = session()
    if s is not None:
        s.search_finished.connect(answered)  # type: ignore[attr-defined]
        s.index_updated.connect(index_updated)  # type: ignore[attr-defined]
    if hasattr(window, "search_shown"):
        window.search_shown.connect(hits_shown)
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()
    QTimer.singleShot(0, type_query)
    timed_out = [False]

    def give_up() -> None:
        timed_out[0] = True
        app.quit()

    QTimer.singleShot(int(TIMELINE_LIMIT_S * 1000), give_up)
    app.exec()
    peak_rss[0] = max(peak_rss[0], proc.memory_info().rss)
    window.close()
    after_first_second = sorted((g for g, at in gaps if at > 1.0), reverse=True)
    everything = sorted(((g, at) for g, at in gaps), reverse=True)
    return {
        **events,
        "expected": expected,
        "answers": state["answers"],
        "retries": state["retries"],
        "timed_out": timed_out[0],
        "max_stall_ms": after_first_second[0] * 1000 if after_first_second else 0.0,
        "max_stall_all_ms": everything[0][0] * 1000 if everything else 0.0,
        "max_stall_all_at_s": round(everything[0][1], 2) if everything else 0.0,
        "top_stalls_ms": [round(g * 1000, 1) for g in after_first_second[:10]],
        "stalls_over_50ms": sum(1 for g in after_first_second if g > 0.05),
        "ticks": len(gaps),
        "coverage": coverage_samples[:: max(1, len(coverage_samples) // 40)],
        "peak_gui_rss_mb": peak_rss[0] / 1e6,
    }


if __name__ == "__main__":
    command, lib = sys.argv[1:3]
    if command == "stall":
        stall(Path(lib))
    elif command == "timeline":
        expected = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        print(json.dumps(timeline(Path(lib), expected, *sys.argv[4:5])), flush=True)
    else:
        raise SystemExit(f"unknown command {command}")
