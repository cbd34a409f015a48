"""The scan's progress reaches the window throttled: a few hundred reports, not one per file."""

from __future__ import annotations

from itertools import pairwise

from reader.ui.library_session import PROGRESS_STEPS, throttled


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
