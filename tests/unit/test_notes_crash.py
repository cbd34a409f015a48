"""Notes survive crashes, failing disks and concurrent writers.

- A child process saving in a loop is killed with SIGKILL at random moments: the sidecar always parses and
  holds a complete state (notes n0..nK without gaps). ``NOTES_CRASH_ITERATIONS`` sets the number of kills.
- Faults injected into the write (``os.replace``, ``fsync`` with ENOSPC, a read-only folder) leave the old
  file byte-identical and the edits in memory; a retry after the fault succeeds.
- Processes adding notes to one article at the same time keep each other's notes.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from reader.core.articles.loader import load_article
from reader.core.atomic import TMP_SUFFIX
from reader.core.errors import SidecarError
from reader.core.notes.sidecar import parse_sidecar, sidecar_path
from reader.core.notes.store import lock_path, open_notes

ROOT = Path(__file__).resolve().parents[2]
SAVER = Path(__file__).resolve().parent / "helpers_notes" / "saver.py"
TEXT = "Bone tissue engineering has long relied on scaffolds seeded with mesenchymal stem cells.\n"
ITERATIONS = int(os.environ.get("NOTES_CRASH_ITERATIONS", "50"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def _notes(path: Path) -> list[str]:
    document = parse_sidecar(path.read_bytes(), path.name, strict=True)
    return sorted(a.note for a in document.annotations)


def _temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*" + TMP_SUFFIX))


def test_sigkill_during_saves_always_leaves_a_complete_sidecar(source):
    rng = random.Random(1234)
    sidecar = sidecar_path(source)
    seen_counts = []
    for _ in range(ITERATIONS):
        child = subprocess.Popen(
            [sys.executable, str(SAVER), "loop", str(source)],
            stdout=subprocess.PIPE,
            env=_env(),
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.04))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        if not sidecar.exists():
            continue  # killed before its first save
        notes = _notes(sidecar)
        # Old or new state, never a mix: notes n0..n(k-1), each exactly once.
        assert notes == sorted(f"n{i}" for i in range(len(notes)))
        backup = sidecar.with_name(sidecar.name + ".bak")
        if backup.exists():
            _notes(backup)
        seen_counts.append(len(notes))
    assert seen_counts, "no save ever completed"
    assert seen_counts == sorted(seen_counts)  # a crash never loses saved notes

    # Stale temporary files (left by kills) are cleaned when the notes are next opened.
    for leftover in _temp_files(source.parent):
        old = time.time() - 3600
        os.utime(leftover, (old, old))
    store = open_notes(load_article(source, source.parent))
    assert _temp_files(source.parent) == []
    store.add(0, 4, note="after the crashes")
    store.save()
    assert _temp_files(source.parent) == []
    assert not lock_path(sidecar).exists()
    assert "after the crashes" in _notes(sidecar)


def _saved_store(source: Path):
    store = open_notes(load_article(source, source.parent))
    store.add(0, 4, note="saved")
    store.save()
    store.add(5, 11, note="pending")
    return store


def _check_failed_then_retry(store, source: Path, before: bytes, monkeypatch) -> None:
    sidecar = sidecar_path(source)
    assert sidecar.read_bytes() == before
    assert store.dirty
    assert sorted(a.note for a in store.annotations()) == ["pending", "saved"]
    assert _temp_files(source.parent) == []
    monkeypatch.undo()
    assert store.save() is True
    assert not store.dirty
    assert _notes(sidecar) == ["pending", "saved"]


def test_failing_replace_keeps_the_old_file_and_the_edit(source, monkeypatch):
    store = _saved_store(source)
    before = sidecar_path(source).read_bytes()
    real_replace = os.replace

    def failing_replace(src, dst, *args, **kwargs):
        if Path(dst) == sidecar_path(source):
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(SidecarError, match="could not be saved") as info:
        store.save()
    assert "\n" not in str(info.value)
    _check_failed_then_retry(store, source, before, monkeypatch)


def test_full_disk_keeps_the_old_file_and_the_edit(source, monkeypatch):
    store = _saved_store(source)
    before = sidecar_path(source).read_bytes()

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(SidecarError, match="the disk is full"):
        store.save()
    _check_failed_then_retry(store, source, before, monkeypatch)


def test_read_only_folder_keeps_the_edit(source, monkeypatch):
    store = _saved_store(source)
    before = sidecar_path(source).read_bytes()

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(SidecarError, match="not writable"):
        store.save()
    _check_failed_then_retry(store, source, before, monkeypatch)


def test_concurrent_processes_keep_each_others_notes(source):
    per_process = 12
    children = [
        subprocess.Popen([sys.executable, str(SAVER), "add", str(source), name, str(per_process)], env=_env())
        for name in ("a", "b", "c")
    ]
    for child in children:
        assert child.wait(timeout=120) == 0
    expected = sorted(f"{name}-{i}" for name in ("a", "b", "c") for i in range(per_process))
    assert _notes(sidecar_path(source)) == expected
    assert not lock_path(sidecar_path(source)).exists()


def test_concurrent_cli_adds_keep_both(source):
    for round_number in range(3):
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "reader",
                    "notes",
                    "add",
                    str(source),
                    "--quote",
                    "Bone",
                    "--note",
                    note,
                ],
                env=_env(),
                stdout=subprocess.PIPE,
            )
            for note in (f"first {round_number}", f"second {round_number}")
        ]
        for child in children:
            out, _ = child.communicate(timeout=120)
            assert child.returncode == 0
            assert len(out.strip()) == 36  # the new id
    notes = _notes(sidecar_path(source))
    assert notes == sorted(f"{which} {r}" for which in ("first", "second") for r in range(3))
