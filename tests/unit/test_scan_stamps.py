"""One walk of the library: a scan's file stamps stand for the library in the index update that follows it
(no second walk, no second stat), and the scan reads only the sidecars its walk saw."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reader.core.library import scan as scan_module
from reader.core.library.scan import FileStamp, scan_library, with_article_data, without_notes
from reader.core.models import ArticleMeta, CatalogEntry
from reader.core.notes.article_data import ArticleData
from reader.core.search import SearchIndex, maintenance


def _library(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("Alpha article about gardens.\n", encoding="utf-8")
    (root / "sub" / "b.md").write_text("# Beta\n\nAbout rivers and gardens.\n", encoding="utf-8")
    (root / "c.txt").write_text("Gamma article about gardens.\n", encoding="utf-8")
    (root / "a.txt.notes.json").write_text(json.dumps({"annotations": [{}, {}]}), encoding="utf-8")
    (root / "report.docx").write_bytes(b"PK\x03\x04 not read")
    return root


def _stamp(root: Path, rel: str) -> FileStamp:
    st = os.stat(root / rel)
    try:
        sc = os.stat(root / (rel + ".notes.json"))
        side = (sc.st_size, sc.st_mtime_ns)
    except OSError:
        side = (-1, -1)
    return (st.st_size, st.st_mtime_ns, *side)


def test_scan_gives_every_article_files_stat_and_sidecar_stat(tmp_path: Path) -> None:
    root = _library(tmp_path / "lib")
    stamps: dict[str, FileStamp | str] = {"stale.txt": (1, 1, -1, -1)}
    result = scan_library(root, stamps=stamps)
    assert sorted(e.relpath for e in result.entries) == ["a.txt", "c.txt", "sub/b.md"]
    assert stamps == {rel: _stamp(root, rel) for rel in ("a.txt", "c.txt", "sub/b.md")}
    assert stamps["a.txt"][2:] != (-1, -1) and stamps["c.txt"][2:] == (-1, -1)


def test_update_given_the_scans_stamps_neither_walks_nor_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _library(tmp_path / "lib")
    stamps: dict[str, FileStamp | str] = {}
    scan_library(root, stamps=stamps)
    walked = SearchIndex(tmp_path / "walked", root).update()  # the walk it saves, for comparison

    def no_walk(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the update walked the library again")

    monkeypatch.setattr(maintenance, "iter_article_files", no_walk)
    monkeypatch.setattr(maintenance, "_sidecar_stamp", no_walk)
    index = SearchIndex(tmp_path / "index", root)
    report = index.update(stamps=stamps)
    assert sorted(report.added) == sorted(walked.added) == ["a.txt", "c.txt", "sub/b.md"]
    assert index.doc_count() == 3
    assert sorted(hit.relpath for hit in index.search("gardens").hits) == ["a.txt", "c.txt", "sub/b.md"]
    # stored with the scan's stamps: the next (walking) update finds nothing to do
    monkeypatch.undo()
    again = index.update()
    assert (again.added, again.updated, again.removed, again.unchanged) == ([], [], [], 3)


def test_a_file_the_scan_could_not_stat_is_a_problem_of_the_update_not_a_removal(tmp_path: Path) -> None:
    root = _library(tmp_path / "lib")
    index = SearchIndex(tmp_path / "index", root)
    index.update()
    stamps: dict[str, FileStamp | str] = {}
    scan_library(root, stamps=stamps)
    stamps["c.txt"] = "cannot be read (Permission denied)"
    report = index.update(stamps=stamps)
    assert report.removed == []
    problems = [(s.relpath, s.reason) for s in report.skipped]
    assert problems == [("c.txt", "cannot be read (Permission denied)")]
    assert index.doc_count() == 3


def test_scan_reads_only_the_sidecars_its_walk_saw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _library(tmp_path / "lib")
    opened: list[str] = []
    real = scan_module.read_sidecar_summary

    def counting(source: Path) -> object:
        opened.append(Path(source).relative_to(root).as_posix())
        return real(source)

    monkeypatch.setattr(scan_module, "read_sidecar_summary", counting)
    for defer in (None, 1):  # read here, and listed by name for the index build
        opened.clear()
        entries = {e.relpath: e for e in scan_library(root, defer=defer).entries}
        assert opened == ["a.txt"]
        assert entries["a.txt"].notes_count == 2 and entries["c.txt"].notes_count == 0


def test_without_notes_is_what_an_empty_sidecar_gives() -> None:
    plain = CatalogEntry(relpath="a.txt", meta=ArticleMeta(title="A"), size=1, mtime_ns=1, content_hash="h",
                         format="text", encoding="utf-8")  # fmt: skip
    noted = with_article_data(plain, 3, ArticleData(tags=["x"], status="read", starred=True, title="Mine"))
    for entry in (plain, noted):
        assert without_notes(entry) == with_article_data(entry, 0, ArticleData())
    assert without_notes(plain) is plain
    assert without_notes(noted).meta.title == "A" and without_notes(noted).notes_count == 0


def test_a_rescan_that_finds_nothing_new_leaves_the_cache_file_alone(tmp_path: Path) -> None:
    root = _library(tmp_path / "lib")
    cache = tmp_path / "cache" / "catalog.json"
    scan_library(root, cache_path=cache)
    before = os.stat(cache)
    scan_library(root, cache_path=cache)
    after = os.stat(cache)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    (root / "c.txt").write_text("Gamma changed.\n", encoding="utf-8")
    scan_library(root, cache_path=cache)
    assert os.stat(cache).st_ino != before.st_ino  # rewritten (atomically: a new file)
