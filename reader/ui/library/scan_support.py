"""Helpers of a library scan in the window: its progress, throttled, and the folders to watch."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

MAX_WATCHED_FOLDERS = 2000


def library_folders(library: Path) -> list[str]:
    """The library folder and its visible subfolders (at most :data:`MAX_WATCHED_FOLDERS`)."""
    folders: list[str] = []
    for current, dirs, _files in os.walk(library):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        folders.append(current)
        if len(folders) >= MAX_WATCHED_FOLDERS:
            break
    return folders


#: Scan progress reaches the window at most this many times per scan (each report is a queued signal the
#: GUI thread handles, and a scan of 10,000 files in one thread reports after every file).
PROGRESS_STEPS = 200


def throttled(
    progress: Callable[[int, int], None], steps: int = PROGRESS_STEPS
) -> Callable[[int, int], None]:
    """``progress``, called only when ``done`` has moved on by ``total / steps`` since the last call (and
    always for ``done == total``)."""
    last = [-1, -1]  # done, total of the last report

    def report(done: int, total: int) -> None:
        if done == total or total != last[1] or done - last[0] >= total / steps:
            last[0], last[1] = done, total
            progress(done, total)

    return report
