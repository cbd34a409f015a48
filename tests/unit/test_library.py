"""Scanning a library: which files are articles, symlinks, the scan cache, progress, cancel, ``list``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reader.core.articles import loader as articles
from reader.core.library import scan as library
from reader.core.library.catalog import CACHE_VERSION
from reader.core.library.scan import is_ignored_name, iter_article_files, scan_library

ROOT = Path(__file__).resolve().parents[2]


def _files(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in iter_article_files(root)]


def _make(root: Path, rel: str, content: str | bytes = "Title\n\nBody text here.\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.txt",
        "a.txt.notes.json",
        "a.txt.notes.json.bak",
        ".a.txt.x1y2.tmp",
        "draft.txt.tmp",
        "a.txt~",
        "notes.sync-conflict-20240101-120000-ABCDEF.txt",
        "notes (conflicted copy 2024-01-01).txt",
        "~$report.txt",
    ],
)
def test_ignored_names(name: str) -> None:
    assert is_ignored_name(name)


def test_recursive_scan_skips_hidden_sidecars_temps_and_conflicts(tmp_path: Path) -> None:
    for rel in ["a.txt", "sub/b.md", "sub/deeper/c.html", "d.rst", "e.org", "image.png", ".hidden/x.txt",
                "sub/.h.txt", "a.txt.notes.json", "x.sync-conflict-20240101-1-AB.txt",
                "y (conflicted copy).md", "~$z.txt"]:  # fmt: skip
        _make(tmp_path, rel)
    assert _files(tmp_path) == ["a.txt", "d.rst", "e.org", "sub/b.md", "sub/deeper/c.html"]


def test_symlinks_stay_inside_the_root_and_loops_end(tmp_path: Path) -> None:
    lib, outside = tmp_path / "lib", tmp_path / "outside"
    _make(lib, "in.txt")
    _make(outside, "secret.txt")
    (lib / "escape").symlink_to(outside, target_is_directory=True)
    (lib / "escape.txt").symlink_to(outside / "secret.txt")
    (lib / "sub").mkdir()
    (lib / "sub" / "loop").symlink_to(lib, target_is_directory=True)
    (lib / "sub" / "alias.txt").symlink_to(lib / "in.txt")
    (lib / "broken.txt").symlink_to(lib / "missing.txt")
    assert _files(lib) == ["in.txt", "sub/alias.txt"]


def test_scan_lists_articles_and_skips_bad_files_without_stopping(tmp_path: Path) -> None:
    _make(tmp_path, "good.txt")
    _make(tmp_path, "empty.txt", b"")
    _make(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n" + bytes(100))
    _make(tmp_path, "zeros.md", bytes(5000))
    _make(tmp_path, "z_last.md", "# Last\n\nStill read after the bad ones.\n")
    result = scan_library(tmp_path)
    assert [e.relpath for e in result.entries] == ["empty.txt", "good.txt", "z_last.md"]
    assert {s.relpath: s.reason for s in result.skipped} == {
        "image.txt": "binary file (PNG image)",
        "zeros.md": "binary file (only NUL bytes)",
    }
    assert result.entries[0].meta.title == "empty"


def test_notes_count_comes_from_the_sidecar(tmp_path: Path) -> None:
    _make(tmp_path, "a.txt")
    (tmp_path / "a.txt.notes.json").write_text(json.dumps({"annotations": [{}, {}, {}]}))
    assert scan_library(tmp_path).entries[0].notes_count == 3


def test_rescan_reads_only_changed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib"
    _make(lib, "a.txt")
    b = _make(lib, "b.txt")
    _make(lib, "bad.txt", bytes(100))
    cache = tmp_path / "cache" / "catalog.json"
    first = scan_library(lib, cache_path=cache)
    stored = json.loads(cache.read_text())
    assert stored["version"] == CACHE_VERSION
    assert "bad.txt" in stored["skipped"]

    calls: list[str] = []
    real = library.load_article

    def counting(path: Path, root: Path | None = None) -> articles.Article:
        calls.append(Path(path).name)
        return real(path, root)

    monkeypatch.setattr(library, "load_article", counting)
    second = scan_library(lib, cache_path=cache)
    assert calls == []
    assert second.entries == first.entries
    assert second.skipped == first.skipped

    b.write_text("Changed Title\n\nNew body, longer than before.\n")
    os.utime(b, ns=(b.stat().st_atime_ns, b.stat().st_mtime_ns + 10**9))
    third = scan_library(lib, cache_path=cache)
    assert calls == ["b.txt"]
    assert next(e for e in third.entries if e.relpath == "b.txt").meta.title == "Changed Title"


@pytest.mark.parametrize(
    "garbage",
    [
        "{not json",
        '{"version": 999, "articles": {}}',
        '{"version": 1, "articles": 5}',
        '{"version": 1, "articles": {"a.txt": {"size": 1}}}',
    ],
)
def test_corrupt_or_foreign_cache_is_ignored_and_rebuilt(tmp_path: Path, garbage: str) -> None:
    lib = tmp_path / "lib"
    _make(lib, "a.txt")
    cache = tmp_path / "catalog.json"
    cache.write_text(garbage)
    result = scan_library(lib, cache_path=cache)
    assert [e.meta.title for e in result.entries] == ["Title"]
    assert json.loads(cache.read_text())["version"] == CACHE_VERSION


def test_progress_and_cancel(tmp_path: Path) -> None:
    for i in range(5):
        _make(tmp_path, f"{i}.txt")
    seen: list[tuple[int, int]] = []
    scan_library(tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 5) for i in range(1, 6)]

    result = scan_library(
        tmp_path, cancelled=lambda: len(seen) >= 7, progress=lambda d, t: seen.append((d, t))
    )
    assert len(result.entries) == 2


def test_list_command_json_and_table(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    _make(
        lib,
        "sub/a.txt",
        "Alpha Headline\n\n2025-11-20     You Ji-young\n\nThis is the body of the article.\n",
    )
    _make(lib, "bin.txt", b"\x89PNG\r\n\x1a\n" + bytes(50))
    env = {**os.environ, "READER_DATA_DIR": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "reader", "list", str(lib)]
    out = subprocess.run([*cmd, "--json"], cwd=ROOT, env=env, capture_output=True, check=True).stdout
    data = json.loads(out)
    assert data["skipped"] == [{"path": "bin.txt", "reason": "binary file (PNG image)"}]
    (entry,) = data["articles"]
    assert (entry["path"], entry["title"], entry["author"], entry["date"]) == (
        "sub/a.txt", "Alpha Headline", "You Ji-young", "2025-11-20"
    )  # fmt: skip
    assert entry["word_count"] == 12
    assert entry["notes_count"] == 0
    assert entry["language"] == "en"
    assert list((tmp_path / "data" / "cache" / "catalog").glob("*.json"))

    table = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True).stdout.decode()
    lines = table.splitlines()
    assert lines[0].split() == ["PATH", "TITLE", "AUTHOR", "DATE", "SOURCE", "LANG", "WORDS", "NOTES"]
    assert lines[1].startswith("sub/a.txt")
    assert "Alpha Headline" in lines[1]
    assert lines[0].index("DATE") == lines[1].index("2025-11-20")
    assert "bin.txt: binary file (PNG image)" in table
