"""The search index: incremental updates, fresh searchers after commits, locking, recovery from damage."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from whoosh import index as w_index
from whoosh import writing as w_writing

from reader.core.errors import IndexBusyError
from reader.core.search import SearchIndex, building
from reader.core.search.schema import INDEX_NAME

ARTICLES = {
    "therapy.txt": "Stem cell therapy trial\n\nA new therapy for bone disease enters a clinical trial.\n",
    "garbage.txt": "Threaded garbage collection\n\nThe collector runs in a thread of its own.\n",
    "korea.txt": "대통령 취임\n\n대통령은 오늘 취임하였다. The president took office in Seoul.\n",
    "sub/notes.md": "# Parsing notes\n\nParsers and parsing: a tokenizer feeds the parser.\n",
}


def write_library(root: Path, articles: dict[str, str] = ARTICLES) -> Path:
    for rel, text in articles.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def write_sidecar(source: Path, annotations: list[dict[str, object]]) -> None:
    """A notes sidecar in the documented format (what reader.core.notes.sidecar reads)."""
    items = []
    for i, ann in enumerate(annotations):
        items.append(
            {
                "id": ann.get("id", f"ann-{i}"),
                "status": "anchored",
                "color": ann.get("color", "yellow"),
                "tags": ann.get("tags", []),
                "note": ann.get("note", ""),
                "target": {
                    "selector": [
                        {"type": "TextQuoteSelector", "exact": ann["exact"], "prefix": "", "suffix": ""},
                        {"type": "TextPositionSelector", "start": 0, "end": len(str(ann["exact"]))},
                    ]
                },
                "created": "2025-01-02T03:04:05Z",
                "modified": "2025-01-02T03:04:05Z",
            }
        )
    data = {
        "format": "research-notes-reader/notes",
        "version": 1,
        "source": source.name,
        "text_hash": "",
        "annotations": items,
    }
    (source.parent / (source.name + ".notes.json")).write_text(json.dumps(data), encoding="utf-8")


def bump_mtime(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return write_library(tmp_path / "lib")


@pytest.fixture
def index(tmp_path: Path, library: Path) -> SearchIndex:
    ix = SearchIndex(tmp_path / "index", library, lock_timeout=0.5)
    yield ix
    ix.close()


def paths(index: SearchIndex, query: str) -> set[str]:
    return {hit.relpath for hit in index.search(query, limit=100, snippets=False).hits}


# ------------------------------------------------------------------------------------------ incremental


def test_first_update_adds_everything_second_does_nothing(index: SearchIndex) -> None:
    first = index.update()
    assert sorted(first.added) == sorted(ARTICLES)
    assert (first.updated, first.removed, first.skipped, first.recovered) == ([], [], [], None)
    second = index.update()
    assert (second.added, second.updated, second.removed) == ([], [], [])
    assert second.unchanged == len(ARTICLES)
    assert not second.changed
    assert index.doc_count() == len(ARTICLES)


def test_changed_file_is_updated_and_only_it(index: SearchIndex, library: Path) -> None:
    index.update()
    (library / "garbage.txt").write_text("Threaded garbage collection\n\nNow with generations.\n")
    bump_mtime(library / "garbage.txt")
    report = index.update()
    assert report.updated == ["garbage.txt"]
    assert (report.added, report.removed) == ([], [])
    assert report.unchanged == len(ARTICLES) - 1


def test_touch_without_content_change_reindexes_nothing(index: SearchIndex, library: Path) -> None:
    index.update()
    bump_mtime(library / "therapy.txt")
    report = index.update()
    assert (report.added, report.updated, report.removed) == ([], [], [])
    assert report.unchanged == len(ARTICLES)
    # ... and the verified stamp means it is not even re-read the next time.
    calls: list[Path] = []
    original = building.load_article

    def spy(path: Path, root: Path | None = None):  # type: ignore[no-untyped-def]
        calls.append(path)
        return original(path, root)

    building.load_article = spy  # type: ignore[assignment]
    try:
        assert not index.update().changed
    finally:
        building.load_article = original
    assert calls == []


def test_removed_and_added_files(index: SearchIndex, library: Path) -> None:
    index.update()
    (library / "korea.txt").unlink()
    (library / "new.txt").write_text("A brand new article about walruses.\n")
    report = index.update()
    assert report.removed == ["korea.txt"]
    assert report.added == ["new.txt"]
    assert paths(index, "walrus") == {"new.txt"}
    assert paths(index, "대통령") == set()


def test_update_paths_for_a_watcher(index: SearchIndex, library: Path) -> None:
    index.update()
    (library / "sub" / "extra.txt").write_text("Narwhals and walruses.\n")
    (library / "therapy.txt").unlink()
    report = index.update_paths(["sub/extra.txt", "therapy.txt", "garbage.txt"])
    assert report.added == ["sub/extra.txt"]
    assert report.removed == ["therapy.txt"]
    assert report.updated == []
    assert paths(index, "narwhal") == {"sub/extra.txt"}
    assert index.doc_count() == len(ARTICLES)


def test_unreadable_article_is_skipped_with_reason(
    index: SearchIndex, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.core.errors import ArticleReadError

    original = building.load_article

    def failing(path: Path, root: Path | None = None):  # type: ignore[no-untyped-def]
        if path.name == "garbage.txt":
            raise ArticleReadError("garbage.txt", "binary file")
        return original(path, root)

    monkeypatch.setattr(building, "load_article", failing)
    report = index.update()
    assert [(s.relpath, s.reason) for s in report.skipped] == [("garbage.txt", "binary file")]
    assert "garbage.txt" not in report.added
    assert len(report.added) == len(ARTICLES) - 1


# ------------------------------------------------------------------------------------------------ notes


def test_notes_tags_and_quotes_are_searchable(index: SearchIndex, library: Path) -> None:
    write_sidecar(
        library / "therapy.txt",
        [{"exact": "bone disease", "note": "Compare with the osteoporosis cohort", "tags": ["follow-up"]}],
    )
    index.update()
    assert paths(index, "osteoporosis") == {"therapy.txt"}  # notes are in the default fields
    assert paths(index, "note:cohort") == {"therapy.txt"}
    assert paths(index, "note:therapy") == set()  # article text is not a note
    assert paths(index, "tag:follow-up") == {"therapy.txt"}
    assert paths(index, "quote:disease") == {"therapy.txt"}
    assert paths(index, "color:yellow") == {"therapy.txt"}
    hit = index.search("osteoporosis").hits[0]
    assert hit.note_id == "ann-0"
    assert hit.note_snippet == "Compare with the osteoporosis cohort"
    assert [hit.note_snippet[s:e] for s, e in hit.note_marks] == ["osteoporosis"]


def test_changed_sidecar_reindexes_the_article(index: SearchIndex, library: Path) -> None:
    index.update()
    assert paths(index, "osteoporosis") == set()
    write_sidecar(library / "therapy.txt", [{"exact": "bone", "note": "osteoporosis"}])
    report = index.update()
    assert report.updated == ["therapy.txt"]
    assert paths(index, "osteoporosis") == {"therapy.txt"}
    write_sidecar(library / "therapy.txt", [{"exact": "bone", "note": "fracture healing"}])
    bump_mtime(library / "therapy.txt.notes.json")
    assert index.update().updated == ["therapy.txt"]
    assert paths(index, "osteoporosis") == set()
    assert paths(index, "fracture") == {"therapy.txt"}
    (library / "therapy.txt.notes.json").unlink()
    assert index.update().updated == ["therapy.txt"]
    assert paths(index, "fracture") == set()


def test_broken_sidecar_is_reported_and_the_article_still_indexed(index: SearchIndex, library: Path) -> None:
    (library / "therapy.txt.notes.json").write_text("{not json", encoding="utf-8")
    report = index.update()
    assert "therapy.txt" in report.added
    assert [s.relpath for s in report.skipped] == ["therapy.txt.notes.json"]
    assert "notes" in report.skipped[0].reason
    assert paths(index, "therapy") == {"therapy.txt"}


# ------------------------------------------------------------------------------- fresh searcher per commit


def test_updated_document_is_found_with_new_content_not_old(index: SearchIndex, library: Path) -> None:
    """Regression: whoosh-reloaded's Searcher.refresh() kept returning the old document after a commit."""
    index.update()
    assert paths(index, "collector") == {"garbage.txt"}
    (library / "garbage.txt").write_text("Reference counting\n\nCounts references of walruses instead.\n")
    bump_mtime(library / "garbage.txt")
    assert index.update().updated == ["garbage.txt"]
    assert paths(index, "collector") == set()
    assert paths(index, "walrus") == {"garbage.txt"}
    hits = index.search("walruses").hits
    assert [h.title for h in hits] == ["Reference counting"]
    assert "walruses" in hits[0].snippet
    assert index.doc_count() == len(ARTICLES)


def test_searches_during_commits_are_safe(index: SearchIndex, library: Path) -> None:
    index.update()
    errors: list[BaseException] = []
    stop = threading.Event()

    def searching() -> None:
        while not stop.is_set():
            try:
                results = index.search("collection OR walrus*", limit=5)
                assert results.total >= 1
            except BaseException as exc:  # noqa: BLE001 - collected and reported below
                errors.append(exc)
                return

    thread = threading.Thread(target=searching)
    thread.start()
    try:
        for i in range(15):
            (library / "garbage.txt").write_text(f"Garbage collection {i}\n\nwalrus{i} round {i}\n")
            bump_mtime(library / "garbage.txt")
            (library / f"extra{i}.txt").write_text(f"extra walrus article {i}\n")
            index.update()
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert paths(index, "walrus14") == {"garbage.txt"}


# ------------------------------------------------------------------------------------------------- lock


def test_second_writer_gets_index_busy_after_the_timeout(
    index: SearchIndex, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second writer waits for the lock for ``lock_timeout`` (Whoosh's ``try_for`` retries until then)
    before it gives up with IndexBusyError; the wait is checked by what it was asked for, not by a clock."""
    index.update()
    other = w_index.open_dir(str(index.index_dir), indexname=INDEX_NAME)
    writer = other.writer()  # holds the lock
    waits: list[tuple[float, bool]] = []  # (timeout asked for, lock acquired)
    real_try_for = w_writing.try_for

    def recorded(fn: Callable[[], bool], timeout: float = 5.0, delay: float = 0.1) -> bool:
        acquired = real_try_for(fn, timeout=timeout, delay=delay)
        waits.append((timeout, acquired))
        return acquired

    monkeypatch.setattr(w_writing, "try_for", recorded)
    try:
        (library / "new.txt").write_text("walrus\n")
        with pytest.raises(IndexBusyError, match=r"busy \(another update holds its lock for over 0\.5 s\)"):
            index.update()
        assert waits == [(index.lock_timeout, False)]
        assert paths(index, "walrus") == set()  # searching still works while another process writes
    finally:
        writer.cancel()
    assert index.update().added == ["new.txt"]


def test_two_search_indexes_on_one_folder(tmp_path: Path, library: Path) -> None:
    first = SearchIndex(tmp_path / "index", library, lock_timeout=0.2)
    second = SearchIndex(tmp_path / "index", library, lock_timeout=0.2)
    assert len(first.update().added) == len(ARTICLES)
    assert not second.update().changed
    (library / "new.txt").write_text("walrus\n")
    assert second.update().added == ["new.txt"]
    first.close()
    second.close()


# ------------------------------------------------------------------------------------------------ damage


def index_files(folder: Path, suffix: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == suffix)


def assert_set_aside(tmp_path: Path) -> None:
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("index.damaged-")]
    assert len(aside) == 1, "the damaged index is renamed, not deleted"
    assert any(aside[0].iterdir())


def test_garbage_in_the_toc_is_recovered(tmp_path: Path, library: Path) -> None:
    with SearchIndex(tmp_path / "index", library) as ix:
        ix.update()
    toc = index_files(tmp_path / "index", ".toc")[-1]
    toc.write_bytes(b"\x00garbage" * 50)
    with SearchIndex(tmp_path / "index", library) as ix:
        report = ix.update()
        assert report.recovered is not None
        assert "damaged" in report.recovered
        assert sorted(report.added) == sorted(ARTICLES)
        assert paths(ix, "therapy") == {"therapy.txt"}
        assert ix.update().recovered is None  # told once
    assert_set_aside(tmp_path)


def test_missing_segment_file_is_recovered(tmp_path: Path, library: Path) -> None:
    with SearchIndex(tmp_path / "index", library) as ix:
        ix.update()
    for seg in index_files(tmp_path / "index", ".seg"):
        seg.unlink()
    with SearchIndex(tmp_path / "index", library) as ix:
        report = ix.update()
        assert report.recovered is not None
        assert sorted(report.added) == sorted(ARTICLES)
        assert paths(ix, "garbage") == {"garbage.txt"}
    assert_set_aside(tmp_path)


def test_truncated_segment_found_by_a_search_is_recovered(tmp_path: Path, library: Path) -> None:
    ix = SearchIndex(tmp_path / "index", library)
    ix.update()
    ix.close()
    for seg in index_files(tmp_path / "index", ".seg"):
        with seg.open("r+b") as handle:
            handle.truncate(seg.stat().st_size // 3)
    with SearchIndex(tmp_path / "index", library) as ix:
        results = ix.search("therapy")
        assert results.recovered is not None
        assert "damaged" in results.recovered
        assert [h.relpath for h in results.hits] == ["therapy.txt"]
    assert_set_aside(tmp_path)


def test_schema_version_change_rebuilds(tmp_path: Path, library: Path) -> None:
    from reader.core.search.schema import _schema

    folder = tmp_path / "index"
    folder.mkdir()
    old = w_index.create_in(str(folder), _schema(), indexname="reader_v0")
    writer = old.writer()
    writer.add_document(relpath="stale.txt", title="stale")
    writer.commit()
    with SearchIndex(folder, library) as ix:
        report = ix.update()
        assert report.rebuilt is not None
        assert report.recovered is None
        assert sorted(report.added) == sorted(ARTICLES)
        assert paths(ix, "stale") == set()


def test_an_index_written_before_the_package_split_opens_as_it_is(
    tmp_path: Path, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table of contents pickles the schema: indexes written when the analyzer and the posting format
    lived in reader.core.search.index name them there, and must not be taken for damaged."""
    from reader.core.search import analysis

    with monkeypatch.context() as old_names:
        for cls in (analysis.MixedTokenizer, analysis._MixedPositions):
            old_names.setattr(cls, "__module__", "reader.core.search.index")
        with SearchIndex(tmp_path / "index", library) as ix:
            ix.update()
    toc = index_files(tmp_path / "index", ".toc")[-1].read_bytes()
    assert b"reader.core.search.index" in toc and b"reader.core.search.analysis" not in toc
    with SearchIndex(tmp_path / "index", library) as ix:
        report = ix.update()
        assert (report.recovered, report.rebuilt, report.added) == (None, None, [])
        assert report.unchanged == len(ARTICLES)
        assert paths(ix, "therapy") == {"therapy.txt"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("index.")] == []
