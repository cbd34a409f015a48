"""The background task runner: results come back on the GUI thread, and never after shutdown."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QCoreApplication, QThread
from pytestqt.qtbot import QtBot

from reader.ui.workers import TaskRunner


def test_results_and_progress_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    runner = TaskRunner()
    seen: list[tuple[str, bool]] = []
    gui = QThread.currentThread()

    def work(progress: object) -> int:
        assert callable(progress)
        progress(1, 2)
        return 42

    busy: list[bool] = []
    runner.busy_changed.connect(busy.append)
    runner.run(
        work,
        on_success=lambda value: seen.append((f"ok {value}", QThread.currentThread() is gui)),
        on_progress=lambda done, total: seen.append((f"{done}/{total}", QThread.currentThread() is gui)),
    )
    qtbot.waitUntil(lambda: busy == [True, False], timeout=5000)
    assert seen == [("1/2", True), ("ok 42", True)]
    assert runner.active == 0


def test_a_failure_is_reported_as_a_message(qtbot: QtBot) -> None:
    runner = TaskRunner()
    messages: list[str] = []

    def boom() -> None:
        raise ValueError("disk on fire")

    runner.run(boom, on_failure=messages.append)
    qtbot.waitUntil(lambda: runner.active == 0, timeout=5000)
    assert messages == ["Unexpected error: disk on fire"]


def test_nothing_calls_back_after_shutdown_even_when_the_runner_is_deleted(qtbot: QtBot) -> None:
    """Regression: a task's 'finished' was still queued when the window (and its runner) had been closed
    and deleted; the next event loop run then raised 'Signal source has been deleted'."""
    runner = TaskRunner()
    release = threading.Event()
    called: list[object] = []
    runner.run(lambda: release.wait(5) and "late", on_success=called.append)
    release.set()
    assert runner.shutdown(5000)  # the task has finished; its result is queued for the GUI thread
    runner.run(lambda: "after", on_success=called.append)  # refused: the runner is shut down
    shiboken6.delete(runner)
    QCoreApplication.processEvents()  # delivers the queued results: they must be dropped quietly
    qtbot.wait(50)
    assert called == []


def test_a_runner_deleted_with_results_still_queued_raises_nothing(qtbot: QtBot) -> None:
    """The exact CI failure: wait() returned, the runner was deleted, then the queued 'finished' arrived."""
    runner = TaskRunner()
    runner.run(lambda: "x")
    assert runner.wait(5000)
    shiboken6.delete(runner)
    QCoreApplication.processEvents()  # pytest-qt fails the test on any exception raised in a slot here
    qtbot.wait(50)
