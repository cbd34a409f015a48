"""Composition root: logging, the QApplication, settings, theme and the main window.

Nothing here runs at import time. ``run_gui`` checks first that Qt can open a window on this system and
names the missing system libraries when it cannot (Qt itself would abort with a terse message).
"""

from __future__ import annotations

import ctypes.util
import logging
import os
import sys
from pathlib import Path
from typing import Any

from reader import APP_ID, APP_NAME
from reader.core import paths

log = logging.getLogger("reader")

GIL_SWITCH_INTERVAL = 0.001

#: Libraries Qt's X11 platform plugin needs that many fresh Linux installs lack, with Debian package names.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def missing_platform_libraries() -> list[str]:
    """Debian packages Qt's xcb plugin needs but this system lacks (empty when not using X11)."""
    if not sys.platform.startswith("linux"):
        return []
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return []
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return []
    return [pkg for lib, pkg in XCB_LIBRARIES.items() if ctypes.util.find_library(lib) is None]


def display_problem() -> str | None:
    """A one-paragraph explanation when no window can be opened, else ``None``."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform.startswith("linux") and not platform:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return (
                "No display found (neither DISPLAY nor WAYLAND_DISPLAY is set). Run the reader in a desktop "
                "session, or under Xvfb, or use the command-line subcommands (python -m reader --help)."
            )
    missing = missing_platform_libraries()
    if missing:
        return (
            "Qt cannot open a window: these system libraries are missing: "
            + ", ".join(missing)
            + ".\nInstall them, e.g. on Debian or Ubuntu:\n  sudo apt-get install "
            + " ".join(missing)
        )
    return None


def _setup_logging() -> None:
    level = os.environ.get("READER_LOG", "WARNING").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def open_link(uri: str) -> int:
    """``python -m reader open URI``: hand the link to the running window, or open one on it."""
    from reader.core.library.links import parse_uri

    if display_problem() is None:  # the window may have to start here: its QApplication, made once
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is None:
            QApplication(sys.argv[:1])
    from reader.ui.single_instance import send_to_running

    if send_to_running(uri):
        print("opened in the running window")
        return 0
    return run_gui(library=parse_uri(uri).library, open_uri=uri)


def run_gui(library: Path | None = None, index_dir: Path | None = None, open_uri: str | None = None) -> int:
    """Open the main window on ``library`` (or the remembered one, or the bundled sample library); with
    ``open_uri``, at the article and highlight of that link. The window then receives later links."""
    _setup_logging()
    problem = display_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        print("Run `python -m reader doctor` to check the whole installation.", file=sys.stderr)
        return 3

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from reader.ui.main_window import MainWindow
    from reader.ui.settings import Settings
    from reader.ui.theme import app_icon

    # Background threads (catalog scan, index commits) share the GIL with the GUI thread: hand it over every
    # millisecond instead of every 5, so the window keeps painting while they work.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    QCoreApplication.setOrganizationName(APP_ID)
    QCoreApplication.setApplicationName(APP_NAME)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    settings = Settings()
    chosen = library or settings.library()
    if chosen is None or not chosen.is_dir():
        chosen = paths.bundled_library()
    if chosen is None:
        print(
            "error: no library folder given and no sample library found; run: python -m reader gui LIBRARY",
            file=sys.stderr,
        )
        return 2
    # Long-lived objects frozen out of the collector's full passes (each one a stall of the GUI thread).
    window = MainWindow(settings, chosen, index_dir=index_dir, freeze_gc=True)
    window.show()
    from reader.ui.single_instance import InstanceServer, open_link

    server = InstanceServer(window)
    if not server.listen():
        logging.getLogger(__name__).info("another window listens for links; this one will not")
    server.received.connect(lambda uri: open_link(window, uri))
    if open_uri:
        open_link(window, open_uri)
    if os.environ.get("READER_BENCH_TIMINGS"):
        _bench_timings(window)
    if os.environ.get(QUIT_WHEN_SHOWN):
        _quit_when_shown(window)
    return app.exec()


#: Set to 1 (CI's start-up check) to quit once the library list is shown; see :func:`_quit_when_shown`.
QUIT_WHEN_SHOWN = "READER_QUIT_WHEN_SHOWN"
QUIT_WHEN_SHOWN_LIMIT_S = 120


def _quit_when_shown(window: object) -> None:
    """With ``READER_QUIT_WHEN_SHOWN=1``: once the scanned library (not the cached list) is in the table,
    print ``shown N articles from LIBRARY`` to stdout (plus the files that could not be read, if any) and
    quit with status 0; quit with status 1 and the error on stderr if the library fails to open or nothing
    is shown within :data:`QUIT_WHEN_SHOWN_LIMIT_S` seconds."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from reader.ui.main_window import MainWindow

    assert isinstance(window, MainWindow) and window.session is not None

    def close(status: int) -> None:
        window.close()  # as a user would: waits for running tasks, saves the window's state
        QApplication.exit(status)

    def fail(message: str) -> None:
        print(f"error: {message}", file=sys.stderr, flush=True)
        close(1)

    def shown(snapshot: Any) -> None:  # a CatalogSnapshot: rows, skipped, provisional
        if snapshot.provisional:
            return
        count = window.table.model().rowCount()
        line = f"shown {count} article{'s' if count != 1 else ''} from {window.library}"
        if snapshot.skipped:
            unread = ", ".join(f"{s.relpath} ({s.reason})" for s in snapshot.skipped)
            line += f"; {len(snapshot.skipped)} could not be read: {unread}"
        print(line, flush=True)
        close(0)

    # Connected after the window's own slot, so the table already holds the rows when this one runs.
    window.session.catalog_ready.connect(shown)
    window.session.failed.connect(fail)
    QTimer.singleShot(
        QUIT_WHEN_SHOWN_LIMIT_S * 1000,
        window,
        lambda: fail(f"the library was not shown within {QUIT_WHEN_SHOWN_LIMIT_S} s"),
    )


def _bench_timings(window: object) -> None:
    """Benchmarks only (``tests/benchmarks``), off by default: with ``READER_BENCH_TIMINGS=1``, print JSON
    lines ``{"bench": event, "t": time.time()}`` to stderr when the library list has been painted
    (``painted``) and when the first search (``READER_BENCH_QUERY``, typed as soon as the list shows) is
    answered (``searched``); ``READER_BENCH_EXIT=1`` quits then."""
    import json
    import time

    from PySide6.QtWidgets import QApplication

    from reader.ui.main_window import MainWindow

    assert isinstance(window, MainWindow) and window.session is not None

    def mark(event: str) -> None:
        print(json.dumps({"bench": event, "t": time.time()}), file=sys.stderr, flush=True)

    def painted(_snapshot: object) -> None:
        window.table.viewport().repaint()
        mark("painted")
        if os.environ.get("READER_BENCH_QUERY"):
            window.search_field.setText(os.environ["READER_BENCH_QUERY"])
            window._start_search()

    def searched(_count: int) -> None:
        mark("searched")
        if os.environ.get("READER_BENCH_EXIT"):
            QApplication.quit()

    window.session.catalog_ready.connect(painted)
    window.search_shown.connect(searched)
