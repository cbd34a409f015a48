"""Watching the open article's file, so that an edit made by another program is shown without losing one.

Editors and ``sed -i`` replace a file by renaming a new one over it. ``QFileSystemWatcher`` then stops
watching that path (it watched the old file), so :class:`ArticleWatch` adds it again at once; a path that
is briefly missing (an editor that deletes, then writes) is looked for again a few times.

Watching alone still leaves a gap: a replacement that lands after a reload has read the file but before the
watch is renewed is never reported. So each load records the file's :class:`FileSignature` just before
reading it, and :meth:`ArticleWatch.follow` compares it with the file on disk once the watch is in place:
any difference (another inode, size, modification or change time) reports the file changed again.
Changes are coalesced for :data:`ARTICLE_DEBOUNCE_MS`; a burst ends in one report, never in none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

#: Changes of the open article are reported once it has been quiet this long.
ARTICLE_DEBOUNCE_MS = 300
#: A watched file that disappeared is looked for again this often, this many times.
MISSING_RETRY_MS = 200
MISSING_RETRIES = 10


@dataclass(frozen=True)
class FileSignature:
    """What tells one version of a file from another without reading it."""

    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int


def file_signature(path: Path) -> FileSignature | None:
    """The signature of ``path`` now, or ``None`` when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileSignature(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ArticleWatch(QObject):
    """Watches the file of the article shown and reports when it changed (debounced)."""

    changed = Signal(object)  #: Path of the article's file

    def __init__(self, watcher: QFileSystemWatcher, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = watcher
        self.path: Path | None = None
        self._missing_tries = 0
        self._debounce = QTimer(self, singleShot=True, interval=ARTICLE_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._report)
        self._retry = QTimer(self, singleShot=True, interval=MISSING_RETRY_MS)
        self._retry.timeout.connect(self._look_again)
        watcher.fileChanged.connect(self._file_changed)

    def follow(self, path: Path, read_as: FileSignature | None) -> None:
        """Watch ``path``, the file of the article now shown, read when it had signature ``read_as``.

        The watcher's files are the open article and its notes: following an article starts afresh (the
        notes controller adds the new sidecar). When the file no longer matches ``read_as``, it changed
        after it was read, and a change is reported."""
        if self.path != path:
            self._debounce.stop()
            self._retry.stop()
        watched = self._watcher.files()
        if watched:
            self._watcher.removePaths(watched)
        self.path = path
        self._missing_tries = 0
        self._add()
        if read_as is None or file_signature(path) != read_as:
            self._debounce.start()

    def stop(self) -> None:
        """Stop watching (no article is shown)."""
        self._debounce.stop()
        self._retry.stop()
        if self.path is not None and str(self.path) in self._watcher.files():
            self._watcher.removePath(str(self.path))
        self.path = None

    def _add(self) -> bool:
        """Watch :attr:`path` (again); False when it does not exist right now."""
        if self.path is None:
            return False
        if str(self.path) in self._watcher.files():
            return True
        if not self.path.exists():
            return False
        return self._watcher.addPath(str(self.path))

    def _file_changed(self, path: str) -> None:
        if self.path is None or path != str(self.path):
            return
        if not self._add():  # replaced by rename (the watch is gone) or deleted
            self._missing_tries = 0
            self._retry.start()
        self._debounce.start()

    def _look_again(self) -> None:
        if self._add():
            self._debounce.start()  # it came back: show what it says now
        elif self._missing_tries < MISSING_RETRIES:
            self._missing_tries += 1
            self._retry.start()

    def _report(self) -> None:
        if self.path is not None:
            self.changed.emit(self.path)
