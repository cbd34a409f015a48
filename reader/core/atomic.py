"""Atomic file writes: a temporary file in the same folder, fsync, ``os.replace``, fsync of the folder.

Either the old or the new content is on disk after a crash at any moment; never a mix, never less.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

#: Temporary files are named ``.<name>.<random>.tmp`` so that scans (which skip hidden files) ignore them.
TMP_SUFFIX = ".tmp"


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows cannot open a folder for fsync
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(
    path: Path, data: bytes, *, backup: bool = False, before_replace: Callable[[], None] | None = None
) -> None:
    """Write ``data`` to ``path`` atomically.

    With ``backup=True`` the previous content (if any) is first kept as ``<name>.bak`` (itself written
    atomically), so that one earlier version survives a bad edit. Raises ``OSError`` on failure, in which
    case ``path`` is byte-identical to what it was and no temporary file is left behind. A failure to sync
    the folder after the new content is in place is only logged (the write has happened).

    ``before_replace()`` is called once the new content is on disk, just before it replaces ``path``; if it
    raises, nothing is replaced (the temporary file is removed) and the exception propagates. (The notes
    store checks there that no other program, a sync tool, replaced the file meanwhile.)
    """
    path = Path(path)
    folder = path.parent
    if backup and path.exists():
        old = path.read_bytes()
        atomic_write_bytes(path.with_name(path.name + ".bak"), old, backup=False)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if before_replace is not None:
            before_replace()
        with contextlib.suppress(OSError):
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    try:
        _fsync_dir(folder)
    except OSError as exc:
        # The new content is in place: reporting a failure now would claim the file unchanged when it is
        # not (and make the caller retry a write that happened). Only the rename's durability is at risk.
        log.warning("wrote %s but could not sync its folder: %s", path, exc)


def atomic_write_text(path: Path, text: str, *, backup: bool = False) -> None:
    """Write ``text`` as UTF-8 (``\\n`` line endings) atomically; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"), backup=backup)


def clean_stale_temp_files(folder: Path, *, older_than: float = 60.0) -> list[Path]:
    """Remove temporary files this module left behind in ``folder`` (e.g. after a crash).

    Only files matching ``.<name>.<random>.tmp`` older than ``older_than`` seconds are removed, so a write
    in progress in another process is not disturbed. Returns the removed paths.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        candidates = list(Path(folder).glob(".*" + TMP_SUFFIX))
    except OSError:
        return removed
    for candidate in candidates:
        try:
            if now - candidate.stat().st_mtime >= older_than:
                candidate.unlink()
                removed.append(candidate)
        except OSError as exc:
            log.warning("could not remove stale temporary file %s: %s", candidate, exc)
    return removed


def move_no_overwrite(old: Path, new: Path) -> None:
    """Rename ``old`` to ``new``, failing with ``FileExistsError`` when ``new`` exists (a hard link, then
    unlink; a file system without hard links gets an exclusive create, a copy and an fsync instead). When
    another file took ``old``'s name meanwhile (a sync tool's new copy), it stays."""
    try:
        os.link(old, new)
    except FileExistsError:
        raise
    except OSError:
        data = old.read_bytes()
        fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    else:
        if os.stat(old).st_ino != os.stat(new).st_ino:
            return
    os.unlink(old)
