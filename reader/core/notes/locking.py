"""The write lock of a sidecar: a short critical section (check, merge, write) shared by every writer.

``.<sidecar>.lock`` beside the sidecar (hidden, so library scans ignore it), held with ``flock`` on POSIX and
removed on release; elsewhere an exclusive-create lock file, taken over when older than
:data:`STALE_LOCK_SECONDS` (left by a crashed process).
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

from reader.core.errors import SidecarError

#: Seconds ``save()`` waits for another writer's lock before giving up.
LOCK_TIMEOUT = 10.0
#: A lock file (non-POSIX fallback only) older than this is considered left by a crashed process.
STALE_LOCK_SECONDS = 30.0


def lock_path(sidecar: Path) -> Path:
    """``a.txt.notes.json`` -> ``.a.txt.notes.json.lock`` (hidden, so library scans ignore it)."""
    sidecar = Path(sidecar)
    return sidecar.with_name("." + sidecar.name + ".lock")


def os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"the folder is not writable ({exc.strerror or exc})"
    return exc.strerror or str(exc)


@contextlib.contextmanager
def sidecar_lock(sidecar: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the write lock of ``sidecar`` (a short critical section: check, merge, write).

    Raises :class:`SidecarError` if the lock cannot be taken within ``timeout`` seconds or cannot be created.
    """
    path = lock_path(sidecar)
    deadline = time.monotonic() + timeout
    name = Path(sidecar).name
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield from _exclusive_file_lock(path, name, deadline)
        return
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise SidecarError(name, f"cannot be saved: {os_reason(exc)}") from exc
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SidecarError(name, "cannot be saved: another program is saving it") from None
                    time.sleep(0.005)
            # The holder before us may have removed the lock file; then ours is a stale inode: retry.
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                continue
            try:
                yield
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            return
        finally:
            os.close(fd)


def _exclusive_file_lock(path: Path, name: str, deadline: float) -> Iterator[None]:  # pragma: no cover
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime > STALE_LOCK_SECONDS:
                    path.unlink()
                    continue
            if time.monotonic() > deadline:
                raise SidecarError(name, "cannot be saved: another program is saving it") from None
            time.sleep(0.01)
        except OSError as exc:
            raise SidecarError(name, f"cannot be saved: {os_reason(exc)}") from exc
    os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
