"""The one pass of a first open: the index build reads each article once for the index and the catalog,
commits as it goes (searchable while building), and stays consistent when cancelled."""

from __future__ import annotations

import itertools
import random
import shutil
from pathlib import Path

import pytest

from reader.core.library.catalog import CachedSkip, CatalogCacheWriter, load_cache
from reader.core.library.scan import scan_library
from reader.core.models import CatalogEntry
from reader.core.search import SearchIndex, building, merging
from reader.core.search.building import (
    FIRST_TASK_ARTICLES,
    SEGMENT_ARTICLES,
    SEGMENT_BYTES,
    WORKER_MEMORY_MB,
    WORKER_TEMP_PATTERN,
    _task_slices,
    _text_bytes,
    _worker_count,
)
from reader.core.search.merging import merge_plan
from reader.core.search.whoosh_private import read_toc

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
ARTICLES = 260


@pytest.fixture(scope="module")
def corpus_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """260 corpus articles (English and Korean), one of them unreadable (binary)."""
    assert CORPUS.is_dir(), f"the shared corpus is missing: {CORPUS} (expected ../shared/corpus)"
    library = tmp_path_factory.mktemp("one-pass") / "lib"
    for sub in ("en-peps", "ko-wikinews"):
        (library / sub).mkdir(parents=True)
        for path in sorted((CORPUS / sub).iterdir())[: ARTICLES // 2]:
            shutil.copy(path, library / sub / path.name)
    (library / "ko-wikinews" / "zz-binary.txt").write_bytes(b"\x00\x01\x02" * 400)
    return library


def _fresh_copy(library: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "lib"
    shutil.copytree(library, copy)
    return copy


def test_task_slices_start_small_and_cover_everything() -> None:
    for count in (1, 99, 100, 150, 260, 1000, 10_776):
        slices = _task_slices(count)
        assert slices[0][0] == 0 and slices[-1][1] == count
        assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
        assert all(end - start <= max(SEGMENT_ARTICLES, 2 * FIRST_TASK_ARTICLES) for start, end in slices)
        if count >= 2 * FIRST_TASK_ARTICLES:
            assert slices[0] == (0, FIRST_TASK_ARTICLES)
        # no last task smaller than the first (it joins the one before)
        assert len(slices) == 1 or slices[-1][1] - slices[-1][0] >= FIRST_TASK_ARTICLES


def test_task_slices_keep_a_segments_files_under_the_byte_budget() -> None:
    rng = random.Random(5)
    for count in (1, 120, 3000):
        # articles, a few books, one file larger than a whole segment's budget
        sizes = [rng.choice([8_000, 30_000, 2_000_000]) for _ in range(count)]
        sizes[count // 2] = SEGMENT_BYTES * 2
        slices = _task_slices(count, sizes)
        assert slices[0][0] == 0 and slices[-1][1] == count
        assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
        for start, end in slices:
            assert end - start <= SEGMENT_ARTICLES
            assert sum(sizes[start:end]) <= SEGMENT_BYTES or end - start == 1
    small = [10_000] * 1000  # small articles: cut by count as before
    assert _task_slices(1000, small) == _task_slices(1000)


def test_a_tasks_budget_counts_text_not_file_bytes() -> None:
    # a 5 MB PDF is mostly fonts and images; a 5 MB EPUB is compressed text
    assert _text_bytes("papers/a.PDF", 5_000_000) < _text_bytes("notes/a.md", 5_000_000)
    assert _text_bytes("books/b.epub", 5_000_000) > _text_bytes("notes/a.md", 5_000_000)
    pdfs = [_text_bytes(f"p{i}.pdf", 5_000_000) for i in range(400)]
    assert len(_task_slices(400, pdfs)) < len(_task_slices(400, [5_000_000] * 400))


def test_worker_count_follows_memory_as_well_as_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_INDEX_PROCS", "4")
    assert _worker_count(5000, memory_mb=100 * WORKER_MEMORY_MB) == 4
    assert _worker_count(5000, memory_mb=2 * WORKER_MEMORY_MB + 1) == 2
    assert _worker_count(5000, memory_mb=WORKER_MEMORY_MB // 2) == 1  # no room: this thread does it
    assert _worker_count(10, memory_mb=100 * WORKER_MEMORY_MB) == 1  # a few articles: this thread


def test_a_build_in_processes_commits_as_it_goes_and_reports_catalog_items(
    corpus_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READER_INDEX_PROCS", "2")
    library = _fresh_copy(corpus_library, tmp_path)
    index = SearchIndex(tmp_path / "index", library)
    commits: list[tuple[int, int, int]] = []  # indexed, items, hits searches saw at that moment
    items: list[object] = []

    def on_commit(indexed: int, read: list[object]) -> None:
        hits = index.search("the OR 대통령", limit=0).total
        commits.append((indexed, len(read), hits))
        items.extend(read)

    report = index.update(on_commit=on_commit)
    assert not report.cancelled
    assert len(report.added) == ARTICLES
    assert len(commits) >= 2, commits
    # Searches during the build answered from what was committed, and the answer grew.
    first_indexed, _first_items, first_hits = commits[0]
    assert 0 < first_indexed < ARTICLES
    assert 0 < first_hits <= first_indexed
    assert [c[0] for c in commits] == sorted(c[0] for c in commits)
    assert commits[-1][0] == ARTICLES == index.doc_count()
    # Each article was read once, for both: its catalog item is the scan's entry.
    entries = {i.relpath: i for i in items if isinstance(i, CatalogEntry)}
    skips = [i for i in items if isinstance(i, CachedSkip)]
    assert len(entries) == ARTICLES and len(items) == ARTICLES + 1
    assert [s.relpath for s in skips] == ["ko-wikinews/zz-binary.txt"]
    scanned = {e.relpath: e for e in scan_library(library, processes=1).entries}
    assert entries == scanned
    # Worker processes leave no temporary folders behind.
    assert not list((tmp_path / "index").glob(WORKER_TEMP_PATTERN.format("*")))
    index.close()


def test_a_cancelled_build_keeps_what_it_committed_and_the_next_one_does_the_rest(
    corpus_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READER_INDEX_PROCS", "2")
    monkeypatch.setattr(building, "FIRST_TASK_ARTICLES", 20)  # tasks of 20, 40, 80, 120 articles
    library = _fresh_copy(corpus_library, tmp_path)
    cache = tmp_path / "catalog.json"
    index = SearchIndex(tmp_path / "index", library)
    writer = CatalogCacheWriter(cache)

    def on_commit(indexed: int, read: list[object]) -> None:
        writer.add(read)  # type: ignore[arg-type]

    stop = [False]

    def first_commit_then_stop(indexed: int, read: list[object]) -> None:
        on_commit(indexed, read)
        stop[0] = True

    report = index.update(on_commit=first_commit_then_stop, cancelled=lambda: stop[0])
    writer.flush()
    assert report.cancelled
    kept = index.doc_count()
    assert 0 < kept < ARTICLES
    cached = load_cache(cache)
    # The catalog cache holds what the index committed (plus the unreadable file if it was read).
    cached_articles = {rp for rp, item in cached.items() if isinstance(item, CatalogEntry)}
    assert len(cached_articles) == len(report.added) == kept
    index.close()

    index = SearchIndex(tmp_path / "index", library)
    again = index.update()
    assert not again.cancelled
    assert len(again.added) == ARTICLES - kept
    assert not set(again.added) & cached_articles
    assert index.doc_count() == ARTICLES
    index.close()


def test_also_read_reads_unchanged_articles_for_their_catalog_items(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    for name in ("a", "b", "c"):
        (library / f"{name}.txt").write_text(f"Title {name}\n\nBody of {name}.\n", encoding="utf-8")
    index = SearchIndex(tmp_path / "index", library)
    index.update()
    seen: list[object] = []
    report = index.update(on_commit=lambda _n, items: seen.extend(items), also_read={"b.txt"})
    assert report.unchanged == 3 and not report.changed
    assert [getattr(i, "relpath", None) for i in seen] == ["b.txt"]
    assert isinstance(seen[0], CatalogEntry) and seen[0].meta.title == "Title b"
    # Nothing to read: nothing reported.
    seen.clear()
    index.update(on_commit=lambda _n, items: seen.extend(items))
    assert seen == []
    index.close()


def test_a_scan_defers_reading_to_the_index_build(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    (library / "sub").mkdir(parents=True)
    for i in range(5):
        (library / "sub" / f"note {i}.md").write_text(f"# Heading {i}\n\nText {i}.\n", encoding="utf-8")
    (library / "paper.docx").write_bytes(b"PK")
    cache = tmp_path / "catalog.json"
    result = scan_library(library, cache_path=cache, defer=3)
    assert sorted(result.pending) == [f"sub/note {i}.md" for i in range(5)]
    assert all(e.pending and e.content_hash == "" for e in result.entries)
    assert [e.meta.title for e in result.entries] == [f"note {i}" for i in range(5)]  # file names
    assert {e.format for e in result.entries} == {"markdown"}
    assert [s.reason for s in result.skipped] == ["not supported (Word)"]
    assert not any(isinstance(i, CatalogEntry) for i in load_cache(cache).values())  # never cached
    # Fewer files to read than ``defer``: read here, as before.
    small = scan_library(library, cache_path=cache, defer=50)
    assert not small.pending and [e.meta.title for e in small.entries] == [f"Heading {i}" for i in range(5)]
    assert all(not e.pending and e.content_hash for e in small.entries)
    # Everything cached now: nothing is pending even with a low ``defer``.
    assert not scan_library(library, cache_path=cache, defer=1).pending


def test_the_catalog_cache_writer_keeps_other_entries_and_saves_on_flush(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    for name in ("a", "b"):
        (library / f"{name}.txt").write_text(f"Title {name}\n\nBody.\n", encoding="utf-8")
    cache = tmp_path / "catalog.json"
    scan_library(library, cache_path=cache)
    (library / "c.txt").write_text("Title c\n\nBody.\n", encoding="utf-8")
    (library / "d.txt").write_text("Title d\n\nBody.\n", encoding="utf-8")
    result = scan_library(library, defer=1)  # no cache: all four pending
    read = scan_library(library, processes=1).entries
    writer = CatalogCacheWriter(cache)
    writer.add(
        [e for e in read if e.relpath == "c.txt"] + [e for e in result.entries if e.relpath == "d.txt"]
    )
    writer.add([e for e in read if e.relpath == "d.txt"])  # within SAVE_INTERVAL: not saved yet
    assert set(load_cache(cache)) == {"a.txt", "b.txt", "c.txt"}  # the pending d.txt never went in
    writer.flush()
    cached = load_cache(cache)
    assert set(cached) == {"a.txt", "b.txt", "c.txt", "d.txt"}
    assert cached["d.txt"] == next(e for e in read if e.relpath == "d.txt")


def test_merge_plan_groups_neighbours_up_to_the_target() -> None:
    assert merge_plan([700] * 5) == []  # few segments: left alone
    assert merge_plan([50, 100, 200, 400, 700, 700, 700, 700, 226], target=1500) == [
        [0, 1, 2, 3, 4],
        [5, 6],
        [7, 8],
    ]
    assert merge_plan([700, 700, 700, 700, 700, 700, 700], target=1500) == [
        [0, 1],
        [2, 3],
        [4, 5],
    ]  # no group of one
    assert merge_plan([3000, 10, 10, 3000, 10, 10], target=3000) == [[1, 2], [4, 5]]  # big ones stay
    plan = merge_plan([700] * 19, target=3000)
    assert all(len(g) > 1 and sum(700 for _ in g) <= 3000 for g in plan)
    assert sorted(i for g in plan for i in g) == list(range(19))


def test_an_idle_merge_of_a_build_s_segments_keeps_every_answer(
    corpus_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READER_INDEX_PROCS", "2")
    monkeypatch.setattr(building, "FIRST_TASK_ARTICLES", 10)
    monkeypatch.setattr(building, "SEGMENT_ARTICLES", 40)
    monkeypatch.setattr(merging, "MERGED_SEGMENT_ARTICLES", 120)
    library = _fresh_copy(corpus_library, tmp_path)
    index = SearchIndex(tmp_path / "index", library)
    index.update()
    gone = sorted(library.glob("en-peps/*.txt"))[:3]  # deleted documents in the segments to merge
    for path in gone:
        path.unlink()
    index.update()
    before_segments = len(read_toc(index._ix).segments)
    queries = [
        "python",
        '"standard library"',
        "대통령",
        "import -module",
        "generat*",
        "title:pep",
        '"of the"',
    ]
    before = {q: index.search(q, limit=1000, snippets=False) for q in queries}
    assert before_segments >= 8
    assert index.merge_when_idle()
    after_segments = len(read_toc(index._ix).segments)
    assert after_segments < before_segments
    assert index.doc_count() == ARTICLES - len(gone)
    # The merged index answers as one built afresh from the same files (whose statistics never counted the
    # deleted documents): the same totals and hits, and scores within 2% (a merge copies each document's
    # field lengths as Whoosh stores them, rounded to a byte: average length ~1% off, scores ~1.3%).
    monkeypatch.setenv("READER_INDEX_PROCS", "1")
    fresh = SearchIndex(tmp_path / "fresh", library)
    fresh.update()
    for q in queries:
        after = index.search(q, limit=1000, snippets=False)
        expected = fresh.search(q, limit=1000, snippets=False)
        assert after.total == before[q].total == expected.total, q
        assert {h.relpath for h in after.hits} == {h.relpath for h in expected.hits}, q
        scores = {h.relpath: h.score for h in expected.hits}
        assert all(h.score == pytest.approx(scores[h.relpath], rel=0.02) for h in after.hits), q
    fresh.close()
    assert not list((tmp_path / "index").glob(WORKER_TEMP_PATTERN.format("*")))
    assert not index.merge_when_idle() or len(read_toc(index._ix).segments) < after_segments
    index.close()
