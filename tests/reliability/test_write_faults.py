"""Faults injected into every step of a notes save: the original survives byte for byte, the user is told,
and the edit stays in memory until a retry succeeds.

Each system call a save makes (``open`` of the lock file and of the folder, ``mkstemp``, the write,
``fsync``, ``os.replace``) is made to fail, one call at a time, with each of ENOSPC (a full disk), EROFS and
EACCES (a read-only library folder), and EIO. The tests run as root, which ignores ``chmod 555``, so a
read-only folder is simulated by making ``os.open``/``tempfile.mkstemp`` raise EACCES or EROFS, which is what
the kernel returns to a normal user.

A fault either fails the save (``SidecarError`` with a one-line message naming the cause; the sidecar and
its ``.bak`` intact; the edits kept, ``dirty``; no temporary file left; a retry after the fault is
removed writes them) or, when it strikes after the new file is already in place, the save completes and the
file holds the new state. Nothing is ever lost.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reader.core.atomic import TMP_SUFFIX
from reader.core.errors import SidecarError
from reader.core.notes.sidecar import parse_sidecar, sidecar_path
from reader.core.notes.store import NotesStore

TEXT = "Bone tissue engineering has long relied on scaffolds seeded with mesenchymal stem cells.\n"
ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EIO)
REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "not writable",
    errno.EACCES: "not writable",
    errno.EIO: os.strerror(errno.EIO),
}


class _FailingFile:
    """What ``os.fdopen`` returns under the write fault: writing fails as on a full disk."""

    def __init__(self, fd: int, fault: OSError) -> None:
        self._fd, self._fault = fd, fault

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)

    def write(self, data: bytes) -> int:
        raise self._fault


def _injector(name: str, fail_at: int, code: int, calls: list[str]) -> tuple[Any, str, Callable[..., Any]]:
    """(module, attribute, replacement) that fails the ``fail_at``-th call (1-based; 0 = never)."""
    module: Any = tempfile if name == "mkstemp" else os
    real = getattr(module, name)

    def fake(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        fault = OSError(code, os.strerror(code))
        if calls.count(name) == fail_at:
            if name == "fdopen":
                return _FailingFile(args[0], fault)
            raise fault
        return real(*args, **kwargs)

    return module, name, fake


def _store_with_pending_edit(folder: Path) -> NotesStore:
    source = folder / "article.txt"
    source.write_text(TEXT, encoding="utf-8")
    store = NotesStore(source, TEXT)
    store.add(0, 4, note="saved")
    store.save()
    store.add(5, 11, note="saved too")
    store.save()  # now a .bak exists as well
    store.add(12, 22, note="pending")
    return store


def _notes(path: Path) -> list[str]:
    return sorted(a.note for a in parse_sidecar(path.read_bytes(), path.name).annotations)


def _calls_of_a_save(tmp_path: Path, name: str) -> int:
    """How many times a successful save calls ``name`` (the fault points to try)."""
    folder = tmp_path / "count"
    folder.mkdir()
    store = _store_with_pending_edit(folder)
    calls: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(*_injector(name, 0, errno.EIO, calls))
        assert store.save()
    return calls.count(name)


@pytest.mark.parametrize("name", ["open", "mkstemp", "fdopen", "fsync", "replace"])
def test_a_fault_at_any_call_of_a_save_loses_nothing(tmp_path: Path, name: str) -> None:
    total = _calls_of_a_save(tmp_path, name)
    assert total >= 1
    failed = completed = 0
    for fail_at in range(1, total + 1):
        for code in ERRNOS:
            folder = tmp_path / f"{name}-{fail_at}-{code}"
            folder.mkdir()
            store = _store_with_pending_edit(folder)
            sidecar = store.path
            backup = sidecar.with_name(sidecar.name + ".bak")
            before, before_bak = sidecar.read_bytes(), backup.read_bytes()
            calls: list[str] = []
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(*_injector(name, fail_at, code, calls))
                try:
                    store.save()
                except SidecarError as exc:
                    message = str(exc)
                else:
                    message = None
            assert not list(folder.glob(".*" + TMP_SUFFIX)), "a temporary file was left behind"
            if message is None:
                # The fault struck after the new file was in place: the save is complete.
                completed += 1
                assert not store.dirty
                assert _notes(sidecar) == ["pending", "saved", "saved too"]
                continue
            failed += 1
            assert "\n" not in message and REASONS[code] in message, message
            assert sidecar.read_bytes() == before, f"{name} call {fail_at} ({errno.errorcode[code]})"
            # The backup holds the previous version, or the current one if the fault came after it was made.
            assert backup.read_bytes() in (before_bak, before)
            assert store.dirty
            assert sorted(a.note for a in store.annotations()) == ["pending", "saved", "saved too"]
            assert store.save(), "the retry after the fault was removed"
            assert _notes(sidecar) == ["pending", "saved", "saved too"]
    assert failed >= len(ERRNOS), "the faults must actually fail some saves"
    print(f"\n{name}: {total} call(s) per save x {len(ERRNOS)} errnos: {failed} failed saves, "
          f"{completed} completed")  # fmt: skip


def test_read_only_folder_for_a_new_sidecar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first save into a read-only folder (EROFS from ``os.open``, as root cannot be refused by chmod):
    no sidecar appears, the message says the folder is not writable, the edit is kept and saved later."""
    source = tmp_path / "article.txt"
    source.write_text(TEXT, encoding="utf-8")
    store = NotesStore(source, TEXT)
    store.add(0, 4, note="first")
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    monkeypatch.setattr(tempfile, "mkstemp", lambda *a, **k: read_only("x", os.O_CREAT))
    with pytest.raises(SidecarError, match="not writable"):
        store.save()
    assert not sidecar_path(source).exists()
    assert store.dirty and [a.note for a in store.annotations()] == ["first"]
    monkeypatch.undo()
    assert store.save()
    assert _notes(sidecar_path(source)) == ["first"]
