"""Behaviour kept by the index's speed-ups: segment files shared across commits, exact totals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.core.search import SearchIndex, building, query

ARTICLES = {f"a{i:02d}.txt": f"Article {i}\n\nCommon words about python number{i}.\n" for i in range(12)}


def _library(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in ARTICLES.items():
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _shared_files(index: SearchIndex) -> dict[str, object]:
    with index._using() as searcher:
        return {r.segment().segment_id(): r._files for r, _ in searcher.reader().leaf_readers()}


def test_segments_are_reused_after_a_commit_and_deletions_are_fresh(tmp_path: Path) -> None:
    library = _library(tmp_path / "lib")
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        before = _shared_files(index)
        old_gen = index._gen
        assert old_gen is not None
        old_gen.users += 1  # a search still running on the old generation
        try:
            (library / "a03.txt").write_text("Article 3\n\nNow about zebras only.\n", encoding="utf-8")
            index.update_paths(["a03.txt"])
            after = _shared_files(index)
            kept = set(before) & set(after)
            assert kept, "unchanged segments keep their open files"
            assert all(before[s] is after[s] for s in kept)
            assert index.search("number3", snippets=False).total == 0  # the old version is deleted
            assert index.search("zebras", snippets=False).total == 1
            assert index.search("python", snippets=False).total == 11
            # The old generation still sees its own documents.
            assert old_gen.searcher.doc_count() == 12
            assert len(list(old_gen.searcher.documents(relpath="a03.txt"))) == 1
        finally:
            with index._gen_lock:
                old_gen.users -= 1
            index._retire(old_gen)
        assert index.search("python", snippets=False).total == 11


def test_many_commits_close_old_segment_files(tmp_path: Path) -> None:
    library = _library(tmp_path / "lib")
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        for i in range(15):
            (library / "a01.txt").write_text(f"Article 1\n\nRevision word{i}.\n", encoding="utf-8")
            index.update_paths(["a01.txt"])
            assert index.search(f"word{i}", snippets=False).total == 1
        pool_files = dict(index._pool._files)
        current = _shared_files(index)
        assert set(pool_files) == set(current), "files of merged-away segments are closed"
        assert index.search("python", snippets=False).total == 11


def _segment_count(index: SearchIndex) -> int:
    return len(index._ix._read_toc().segments)


def test_small_updates_do_not_merge_until_merge_when_idle(tmp_path: Path) -> None:
    library = _library(tmp_path / "lib")
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        assert _segment_count(index) == 1
        assert index.merge_when_idle() is False  # one segment: nothing to merge
        for i in (1, 2, 3):
            (library / f"a0{i}.txt").write_text(f"Article {i}\n\nNow about zebra{i}.\n", encoding="utf-8")
            index.update_paths([f"a0{i}.txt"])
        assert _segment_count(index) == 4, "each small commit adds a segment and merges nothing"
        # Editing the same article again: its previous one-document segment is dropped, not kept empty.
        (library / "a03.txt").write_text("Article 3\n\nNow about okapis.\n", encoding="utf-8")
        index.update_paths(["a03.txt"])
        assert _segment_count(index) == 4
        old_gen = index._gen
        assert old_gen is not None
        old_gen.users += 1  # a search still running while the merge happens
        try:
            assert index.merge_when_idle() is True
            assert _segment_count(index) == 1
            assert old_gen.searcher.doc_count() == 12
        finally:
            with index._gen_lock:
                old_gen.users -= 1
            index._retire(old_gen)
        assert index.merge_when_idle() is False
        assert index.doc_count() == 12
        assert index.search("python", snippets=False).total == 9
        assert index.search("zebra1 OR zebra2", snippets=False).total == 2
        assert index.search("zebra3 OR number3", snippets=False).total == 0
        assert index.search("okapis", snippets=False).total == 1
        assert [h.relpath for h in index.search("okapis").hits] == ["a03.txt"]
        assert set(index._pool._files) == set(_shared_files(index)), "merged-away files are closed"
    # The merged index reopens with the same content.
    with SearchIndex(tmp_path / "index", library) as index:
        assert index.doc_count() == 12
        assert index.search("zebra2", snippets=False).total == 1
        assert index.update().unchanged == 12


def test_commits_merge_once_there_are_too_many_small_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(building, "MAX_SMALL_SEGMENTS", 3)
    library = _library(tmp_path / "lib")
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        counts = []
        for i in range(10):
            (library / f"a{i:02d}.txt").write_text(f"Article {i}\n\nAbout giraffe{i}.\n", encoding="utf-8")
            index.update_paths([f"a{i:02d}.txt"])
            counts.append(_segment_count(index))
            assert index.search(f"giraffe{i}", snippets=False).total == 1
        assert max(counts) <= 3
        assert index.doc_count() == 12
        assert index.search("giraffe*", snippets=False).total == 10
        assert index.search("python", snippets=False).total == 2


def _write_note(source: Path, *, exact: str, note: str, tags: list[str]) -> None:
    """A notes sidecar with one annotation (the documented format, as tests/unit/test_index.py writes it)."""
    selector = [
        {"type": "TextQuoteSelector", "exact": exact, "prefix": "", "suffix": ""},
        {"type": "TextPositionSelector", "start": 0, "end": len(exact)},
    ]
    annotation = {
        "id": "ann-0",
        "status": "anchored",
        "color": "yellow",
        "tags": tags,
        "note": note,
        "target": {"selector": selector},
        "created": "2025-01-02T03:04:05Z",
        "modified": "2025-01-02T03:04:05Z",
    }
    data = {
        "format": "research-notes-reader/notes",
        "version": 1,
        "source": source.name,
        "text_hash": "",
        "annotations": [annotation],
    }
    (source.parent / (source.name + ".notes.json")).write_text(json.dumps(data), encoding="utf-8")


def test_unfielded_words_match_one_combined_field_and_titles_still_rank_first(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    (library / "body.txt").write_text(
        "Some article\n\nA long text that mentions okapi once among many other words here.\n",
        encoding="utf-8",
    )
    (library / "title.txt").write_text("Okapi\n\nA text about another animal.\n", encoding="utf-8")
    (library / "noted.txt").write_text("Noted article\n\nThe body ends with zebra\n", encoding="utf-8")
    _write_note(library / "noted.txt", exact="body", note="giraffe herds", tags=["savanna"])
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        hits = index.search("okapi").hits
        assert [h.relpath for h in hits] == ["title.txt", "body.txt"], "a title match ranks first"
        assert "okapi" in hits[1].snippet.lower() and hits[1].snippet_marks
        assert index.search("title:okapi", snippets=False).total == 1
        assert index.search("body:mentions", snippets=False).total == 1  # body: means the combined field
        # Notes and tags are found by unfielded words, with their note snippet.
        noted = index.search("giraffe").hits
        assert [h.relpath for h in noted] == ["noted.txt"] and noted[0].note_snippet.startswith("giraffe")
        assert noted[0].note_marks
        assert index.search("savanna", snippets=False).total == 1
        assert index.search("note:giraffe", snippets=False).total == 1
        assert index.search("note:zebra", snippets=False).total == 0
        # A phrase does not run from one part of the combined field into the next (body end, note start).
        assert index.search('"zebra giraffe"', snippets=False).total == 0
        assert index.search('"giraffe herds"', snippets=False).total == 1
        assert index.search("okap* -title:okapi", snippets=False).total == 1
        assert index.search("okapi~", snippets=False).total == 2


def test_fast_phrase_matcher_finds_what_whoosh_phrases_find(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    texts = {
        "a.txt": "One\n\nthe the cat sat on the mat; the cat sat again. 대통령은 말했다",
        "b.txt": "Two\n\ncat the sat the cat on mat mat the",
        "c.txt": "Three\n\nsat on the mat the cat",
    }
    for rel, text in texts.items():
        (library / rel).write_text(text, encoding="utf-8")
    queries = ['"the cat sat"', '"the the"', '"mat mat"', '"cat sat" "on the mat"', "대통령"]
    queries.append('"the cat" -"cat sat"')
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        fast = {q: [(h.relpath, round(h.score, 6)) for h in index.search(q).hits] for q in queries}
        monkeypatch.setattr(query, "_fast_phrases", lambda q: q)
        slow = {q: [(h.relpath, round(h.score, 6)) for h in index.search(q).hits] for q in queries}
    assert fast == slow
    assert [rp for rp, _ in fast['"the cat sat"']] == ["a.txt"]
    assert {rp for rp, _ in fast['"the cat" -"cat sat"']} == {"b.txt", "c.txt"}
