"""Scanning in worker processes: the same entries and skipped files as a scan in this thread, progress,
cancellation, the scan cache, and the fall-back to this thread when the processes fail."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from reader.core.library import scan as library
from reader.core.library.catalog import CacheItem
from reader.core.library.scan import PARALLEL_SCAN_MIN, SCAN_CHUNK, scan_library, scan_processes

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "unit" / "fixtures" / "articles"
SAMPLE = ROOT / "library"


def _make(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def big_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More files than :data:`PARALLEL_SCAN_MIN`, of every format, with unreadable ones and notes."""
    root = tmp_path_factory.mktemp("big")
    sources = sorted(SAMPLE.iterdir()) + sorted(FIXTURES.iterdir())
    n = 0
    while n < PARALLEL_SCAN_MIN + 60:
        for src in sources:
            raw = src.read_bytes()
            if src.suffix == ".txt":
                raw += f"\n\nParagraph {n} of the copy.\n".encode()
            _make(root, f"copies/{n // 50}/{n:04d}_{src.name}", raw)
            n += 1
        _make(root, f"md/{n:04d}.md", f"# Heading {n}\n\nSome *Markdown* text, number {n}.\n\n- a\n- b\n")
        _make(root, f"txt/{n:04d}.txt", f"Plain title {n}\n\nBody of the plain article {n}.\n")
        n += 2
    _make(root, "bad/empty.txt", b"")
    _make(root, "bad/image.txt", b"\x89PNG\r\n\x1a\n" + bytes(100))
    _make(root, "bad/zeros.md", bytes(5000))
    _make(root, "bad/latin1.txt", "Caf\xe9 cr\xe8me\n\nUne phrase en fran\xe7ais.\n".encode("latin-1"))
    _make(root, "noted.txt", "With notes\n\nAn article with two notes.\n")
    _make(root, "noted.txt.notes.json", json.dumps({"annotations": [{}, {}]}))
    return root


def _recording_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the files this process reads itself (the worker processes import the real function)."""
    reads: list[str] = []
    real = library._read_entry

    def recording(path: Path, root: Path, rel: str, size: int, mtime_ns: int) -> CacheItem:
        reads.append(rel)
        return real(path, root, rel, size, mtime_ns)

    monkeypatch.setattr(library, "_read_entry", recording)
    return reads


def test_thresholds() -> None:
    assert scan_processes(PARALLEL_SCAN_MIN - 1, 4) == 1
    assert scan_processes(PARALLEL_SCAN_MIN, 4) > 1
    assert scan_processes(10 * PARALLEL_SCAN_MIN, 1) == 1
    assert scan_processes(10**6, 3) == 3


def test_env_turns_processes_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(library.ENV_SCAN_PROCS, "1")
    assert scan_processes(10**6) == 1
    monkeypatch.setenv(library.ENV_SCAN_PROCS, "3")
    assert scan_processes(10**6) == 3


@pytest.mark.parametrize("source", [SAMPLE, FIXTURES])
def test_sample_library_same_in_processes(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(source, lib)
    _make(lib, "bad.txt", bytes(100))
    here = scan_library(lib, processes=1)
    monkeypatch.setattr(library, "PARALLEL_SCAN_MIN", 1)
    monkeypatch.setattr(library, "SCAN_CHUNK", 2)
    reads = _recording_reads(monkeypatch)
    there = scan_library(lib, processes=2)
    assert reads == []  # every file was read by a worker process
    assert there.entries == here.entries
    assert there.skipped == here.skipped
    assert len(here.entries) == len(list(source.iterdir()))
    assert [s.relpath for s in here.skipped] == ["bad.txt"]


def test_big_library_same_in_processes_with_progress(
    big_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = scan_library(big_library, processes=1)
    reads = _recording_reads(monkeypatch)
    seen: list[tuple[int, int]] = []
    there = scan_library(big_library, processes=2, progress=lambda d, t: seen.append((d, t)))
    assert reads == []
    assert there.entries == here.entries
    assert there.skipped == here.skipped
    assert [s.relpath for s in here.skipped] == ["bad/image.txt", "bad/zeros.md"]
    total = len(here.entries) + len(here.skipped)
    assert total > PARALLEL_SCAN_MIN
    assert next(e for e in there.entries if e.relpath == "noted.txt").notes_count == 2
    assert next(e for e in there.entries if e.relpath == "bad/latin1.txt").encoding != "utf-8"
    # From nothing (no cache) to every file, one report per chunk, never backwards.
    assert seen[0] == (0, total)
    assert seen[-1] == (total, total)
    assert all(t == total for _d, t in seen)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
    assert len(seen) == 1 + -(-total // SCAN_CHUNK)


def test_cache_with_processes(big_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(big_library, lib)
    cache = tmp_path / "cache" / "catalog.json"
    first = scan_library(lib, cache_path=cache, processes=2)
    assert first.entries == scan_library(lib, processes=1).entries
    stored = json.loads(cache.read_text())
    assert len(stored["articles"]) == len(first.entries)
    assert set(stored["skipped"]) == {"bad/image.txt", "bad/zeros.md"}

    reads = _recording_reads(monkeypatch)
    second = scan_library(lib, cache_path=cache, processes=2)
    assert reads == []
    assert (second.entries, second.skipped) == (first.entries, first.skipped)

    changed = lib / "noted.txt"
    changed.write_text("Changed Title\n\nNew body, longer than before.\n", encoding="utf-8")
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    third = scan_library(lib, cache_path=cache, processes=2)
    assert reads == ["noted.txt"]  # one file to read: read here, not in processes
    entry = next(e for e in third.entries if e.relpath == "noted.txt")
    assert (entry.meta.title, entry.notes_count) == ("Changed Title", 2)


def test_cancel_stops_the_processes_and_keeps_what_was_read(
    big_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(big_library, lib)
    cache = tmp_path / "catalog.json"
    reads = _recording_reads(monkeypatch)
    seen: list[tuple[int, int]] = []
    result = scan_library(
        lib,
        cache_path=cache,
        processes=2,
        progress=lambda d, t: seen.append((d, t)),
        cancelled=lambda: len(seen) >= 2,  # after the first chunk came back
    )
    total = seen[0][1]
    assert reads == []  # the rest is not read here either
    got = len(result.entries) + len(result.skipped)
    assert SCAN_CHUNK <= got < total
    assert seen[-1][0] == got
    # What was read is cached: the next scan reads only the rest.
    assert len(json.loads(cache.read_text())["articles"]) == len(result.entries)
    full = scan_library(lib, cache_path=cache, processes=1)
    assert sorted(reads) == sorted(
        {e.relpath for e in full.entries} - {e.relpath for e in result.entries}
        | {s.relpath for s in full.skipped} - {s.relpath for s in result.skipped}
    )


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_workers_run_at_a_lower_priority() -> None:
    with library.scan_pool(1) as pool:
        assert pool.submit(os.nice, 0).result() == min(19, os.nice(0) + library.WORKER_NICE)


class _NoProcesses:
    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        raise OSError(38, "Function not implemented")


class _BreaksAfterOne:
    """A pool that reads the first chunk (in this process) and then breaks, as when a worker is killed."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., list[CacheItem]], *args: Any) -> Future[list[CacheItem]]:
        future: Future[list[CacheItem]] = Future()
        self.submitted += 1
        if self.submitted == 1:
            future.set_result(fn(*args))
        else:
            future.set_exception(BrokenProcessPool("a worker died"))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


@pytest.mark.parametrize("pool", [_NoProcesses, _BreaksAfterOne])
def test_failing_processes_fall_back_to_this_thread(
    pool: type, big_library: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    here = scan_library(big_library, processes=1)
    total = len(here.entries) + len(here.skipped)
    monkeypatch.setattr(library, "ProcessPoolExecutor", pool)
    reads = _recording_reads(monkeypatch)
    seen: list[tuple[int, int]] = []
    with caplog.at_level(logging.WARNING, logger="reader.core.library.scan"):
        there = scan_library(big_library, processes=2, progress=lambda d, t: seen.append((d, t)))
    assert "reading it here" in caplog.text
    assert there.entries == here.entries
    assert there.skipped == here.skipped
    # Everything read once (the broken pool read its first chunk in this process): nothing read twice.
    assert len(reads) == len(set(reads)) == total
    assert seen[-1] == (total, total)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
