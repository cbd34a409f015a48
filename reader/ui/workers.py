"""Background work: run a function off the GUI thread and get its result back as a signal.

Modelled on Anki's ``QueryOp``: the function runs in a ``QThreadPool``; it never touches widgets. Its
result, failure or progress comes back through Qt signals, which Qt delivers on the GUI thread.

Two pools exist: a general one for reading (scans, searches, exports), and a single-thread one for
everything that writes the search index, so index writes never race.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from reader.core.errors import ReaderError

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]


class TaskSignals(QObject):
    """Signals of one task. It lives on the GUI thread: the worker emits the private ``_w_*`` signals, which
    are queued to this object's own slots and re-emitted as the public signals on the GUI thread, so that
    any callable (even a lambda) connected to the public signals runs on the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(str)
    progressed = Signal(int, int)
    finished = Signal()

    _w_succeeded = Signal(object)
    _w_failed = Signal(str)
    _w_progressed = Signal(int, int)
    _w_finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        #: Set when the runner shuts down: results still queued for the GUI thread are then dropped, so no
        #: callback runs against a window that has been closed (and perhaps deleted).
        self.cancelled = False
        self._on_done: Callable[[], None] | None = None
        self._w_succeeded.connect(self._relay_succeeded)
        self._w_failed.connect(self._relay_failed)
        self._w_progressed.connect(self._relay_progressed)
        self._w_finished.connect(self._relay_finished)

    def _relay_succeeded(self, result: object) -> None:
        if not self.cancelled:
            self.succeeded.emit(result)

    def _relay_failed(self, message: str) -> None:
        if not self.cancelled:
            self.failed.emit(message)

    def _relay_progressed(self, done: int, total: int) -> None:
        if not self.cancelled:
            self.progressed.emit(done, total)

    def _relay_finished(self) -> None:
        if self._on_done is not None:  # the runner's own bookkeeping runs even for a cancelled task
            self._on_done()
        if not self.cancelled:
            self.finished.emit()

    def cancel(self) -> None:
        """Drop this task's results: its callbacks will not be called (the work itself runs to its end)."""
        self.cancelled = True


class _Task(QRunnable):
    def __init__(self, fn: Callable[..., Any], with_progress: bool, signals: TaskSignals) -> None:
        super().__init__()
        self._fn = fn
        self._with_progress = with_progress
        self.signals = signals
        self.cancel_event = threading.Event()

    def run(self) -> None:
        try:
            result = self._fn(self.signals._w_progressed.emit) if self._with_progress else self._fn()
        except ReaderError as exc:
            self.signals._w_failed.emit(str(exc))
        except Exception as exc:
            log.exception("background task failed")
            self.signals._w_failed.emit(f"Unexpected error: {exc}")
        else:
            self.signals._w_succeeded.emit(result)
        finally:
            self.signals._w_finished.emit()


class TaskRunner(QObject):
    """Starts background tasks and keeps them alive until they have finished."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.readers = QThreadPool(self)
        self.readers.setMaxThreadCount(2)
        self.writer = QThreadPool(self)
        self.writer.setMaxThreadCount(1)  # one serialized index writer
        self._live: set[_Task] = set()
        self._shut_down = False

    def run(
        self,
        fn: Callable[..., Any],
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[str], None] | None = None,
        on_progress: ProgressFn | None = None,
        writes: bool = False,
    ) -> TaskSignals:
        """Run ``fn`` in the background. With ``on_progress``, ``fn`` receives a ``progress(done, total)``
        callable as its only argument. Callbacks run on the GUI thread."""
        signals = TaskSignals()
        if self._shut_down:  # the window is closing: nothing new starts, and nothing calls back
            signals.cancelled = True
            return signals
        task = _Task(fn, on_progress is not None, signals)
        task.setAutoDelete(False)
        if on_success is not None:
            signals.succeeded.connect(on_success)
        if on_failure is not None:
            signals.failed.connect(on_failure)
        if on_progress is not None:
            signals.progressed.connect(on_progress)
        self._live.add(task)
        was_idle = len(self._live) == 1
        signals._on_done = lambda: self._done(task)
        (self.writer if writes else self.readers).start(task)
        if was_idle:
            self.busy_changed.emit(True)
        return signals

    def _done(self, task: _Task) -> None:
        self._live.discard(task)
        if not self._live and shiboken6.isValid(self):
            self.busy_changed.emit(False)

    @property
    def active(self) -> int:
        return len(self._live)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every task has finished (shutdown and tests)."""
        ok_writer = self.writer.waitForDone(msecs)
        ok_readers = self.readers.waitForDone(msecs)
        return bool(ok_writer and ok_readers)

    def shutdown(self, msecs: int = 30000) -> bool:
        """Wait for running tasks, then drop every result still on its way to the GUI thread and refuse new
        tasks. Called when the window closes, so that no callback runs against closed (or deleted) objects."""
        self._shut_down = True
        done = self.wait(msecs)
        for task in self._live:
            task.signals.cancel()
            task.signals._on_done = None
        self._live.clear()
        return done
