"""What keeps the window's GUI thread free while a library is read: the scan's progress reaches it
throttled, and the collector's full passes skip the long-lived objects (frozen)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from reader.ui.library.library_session import PROGRESS_STEPS, throttled
from reader.ui.main_window import MainWindow
from reader.ui.settings import Settings


def test_progress_is_throttled_but_reaches_the_end() -> None:
    seen: list[tuple[int, int]] = []
    report = throttled(lambda d, t: seen.append((d, t)))
    for done in range(1, 10_001):
        report(done, 10_000)
    assert seen[0] == (1, 10_000)
    assert seen[-1] == (10_000, 10_000)
    assert len(seen) <= PROGRESS_STEPS + 2
    gaps = [b - a for (a, _), (b, _) in pairwise(seen)]
    assert max(gaps) <= 10_000 / PROGRESS_STEPS + 1


def test_every_report_of_a_small_scan_passes_and_a_new_total_restarts() -> None:
    seen: list[tuple[int, int]] = []
    report = throttled(lambda d, t: seen.append((d, t)))
    for done in range(1, 6):
        report(done, 5)
    assert seen == [(i, 5) for i in range(1, 6)]
    report(0, 300)  # a second scan (after notes were relinked) starts over
    assert seen[-1] == (0, 300)


@pytest.fixture
def thawed() -> Iterator[None]:
    """No frozen objects before or after the test (the window's freezing is process-wide)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def _frozen(obj: object) -> bool:
    """Tracked by the collector but in none of its generations: in the permanent (frozen) one."""
    return gc.is_tracked(obj) and not any(o is obj for o in gc.get_objects())


@pytest.mark.usefixtures("thawed")
def test_window_freezes_its_long_lived_objects_and_thaws_for_another_library(
    qtbot: QtBot, sample_library: Path, tmp_path: Path
) -> None:
    window = MainWindow(Settings(), sample_library, freeze_gc=True)
    qtbot.addWidget(window)
    assert gc.get_freeze_count() > 0  # start-up: modules, widgets
    with qtbot.waitSignal(window.catalog_checked, timeout=15000):
        window.show()
    row = window.model.rows()[0]
    assert _frozen(row) and _frozen(row.entry) and _frozen(row.entry.meta)

    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("Another title\n\nAnother body.\n", encoding="utf-8")
    window.open_library(other)
    assert gc.get_freeze_count() == 0
    assert not _frozen(row)
    with qtbot.waitSignal(window.catalog_checked, timeout=15000):
        pass
    assert _frozen(window.model.rows()[0])
    window.close()
    assert window.runner.wait(10000)


@pytest.mark.usefixtures("thawed")
def test_windows_do_not_freeze_unless_asked(qtbot: QtBot, sample_library: Path) -> None:
    window = MainWindow(Settings(), sample_library)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.catalog_checked, timeout=15000):
        window.show()
    assert gc.get_freeze_count() == 0
    window.close()
    assert window.runner.wait(10000)
