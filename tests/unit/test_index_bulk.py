"""Bulk evaluation of queries: the same hits, scores, order and totals as Whoosh's own matchers."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from whoosh import query as wq
from whoosh.collectors import TopCollector

from reader.core.search import SearchIndex
from reader.core.search.scoring import _bulk_search, _eval, _SegmentData

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

QUERIES = [
    "python", "generator", "module", "unicode", "대통령", "한국", "위키뉴스", "서울",
    '"standard library"', '"backwards compatibility"', '"global interpreter lock"', '"type hints"',
    '"abstract base class"', '"of the"', '"in the" -"of the"',
    "import -module", "async OR await", "(generator OR iterator) protocol", "unicode string -bytes",
    "thread lock", "class OR function decorator", "python -java -perl", "title:python", "title:pep",
    'title:"pep purpose"', "python^2 java", "lang:en python", "lang:ko", "date:2020 python", "tag:x",
    "note:anything", "nosuchwordanywhere", '"nosuchword python"',
]  # fmt: skip


def _whoosh(searcher: object, q: object, limit: int) -> tuple[int, list[tuple[float, int]]]:
    collector = TopCollector(limit=limit, usequality=False, replace=0)
    searcher.search_with_collector(q, collector)  # type: ignore[attr-defined]
    results = collector.results()
    return len(results), [(round(h.score, 9), h.docnum) for h in results]


def _bulk(searcher: object, q: object, limit: int) -> tuple[int, list[tuple[float, int]]]:
    found = _bulk_search(searcher, q, limit)
    assert found is not None, f"left to Whoosh: {q!r}"
    total, top = found
    return total, [(round(score, 9), docnum) for score, docnum in top]


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """240 corpus articles (English and Korean) in several segments, some of them with deleted documents."""
    assert CORPUS.is_dir(), f"the shared corpus is missing: {CORPUS} (expected ../shared/corpus)"
    root = tmp_path_factory.mktemp("bulk")
    library = root / "lib"
    library.mkdir()
    rng = random.Random(11)
    chosen = []
    for sub in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        files = sorted(p for p in sub.iterdir() if p.is_file())
        chosen += [(sub.name, p) for p in rng.sample(files, min(120, len(files)))]
    index = SearchIndex(root / "index", library)
    for batch in range(3):  # three commits: three segments
        for name, path in chosen[batch::3]:
            shutil.copy(path, library / f"{name}-{path.name}")
        index.update()
    added = "\n\npython 대통령 standard library\n"
    for name, path in chosen[:30:2]:  # edits and removals: deleted documents in the older segments
        target = library / f"{name}-{path.name}"
        target.write_text(target.read_text(encoding="utf-8") + added, "utf-8")
    for name, path in chosen[1:30:2]:
        (library / f"{name}-{path.name}").unlink()
    index.update()
    return index


def test_bulk_results_equal_whoosh_matchers(corpus_index: SearchIndex) -> None:
    with corpus_index._using() as searcher:
        assert len(searcher.leaf_searchers()) > 1
        assert any(sub.reader().has_deletions() for sub, _offset in searcher.leaf_searchers())
        checked = 0
        for text in QUERIES:
            q = corpus_index._parse(text, searcher)
            for limit in (1, 10, 500):
                assert _bulk(searcher, q, limit) == _whoosh(searcher, q, limit), (text, limit)
            checked += _whoosh(searcher, q, 500)[0] > 0
    assert checked >= 25  # most queries match something


def test_prefix_scores_are_the_sum_of_their_words_scores(corpus_index: SearchIndex) -> None:
    """A prefix scores as the Or of the words it expands to, each scored by BM25, times its boost."""
    with corpus_index._using() as searcher:
        reader = searcher.reader()
        for prefix, boost in (("gen", 1.0), ("inter", 3.0), ("pro", 1.0), ("대", 2.0)):
            words = [w.decode() for w in wq.Prefix("all", prefix)._btexts(reader)]
            assert len(words) >= 2, prefix
            explicit = wq.Or([wq.Term("all", w) for w in words], boost=boost)
            ours = _bulk(searcher, wq.Prefix("all", prefix, boost=boost), 1000)
            total, ranked = _whoosh(searcher, explicit, 1000)
            assert ours[0] == total
            mine = {docnum: score for score, docnum in ours[1]}
            theirs = {docnum: score for score, docnum in ranked}
            assert mine.keys() == theirs.keys()
            docs = sorted(mine)
            assert [mine[d] for d in docs] == pytest.approx([theirs[d] for d in docs], rel=1e-9)


def test_a_prefix_in_a_title_ranks_first(tmp_path: Path) -> None:
    """Whoosh's array union (libraries under 5,000 articles) lost the title boost of prefix queries."""
    library = tmp_path / "lib"
    library.mkdir()
    (library / "body.txt").write_text("Notes\n\nThe decorator syntax, decorators everywhere.\n", "utf-8")
    (library / "title.txt").write_text("Decorators\n\nA short text on syntax.\n", "utf-8")
    (library / "other.txt").write_text("Other\n\nNothing to see.\n", "utf-8")
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        results = index.search("decor*", snippets=False)
    assert results.total == 2
    assert [h.relpath for h in results.hits] == ["title.txt", "body.txt"]


def test_unsupported_shapes_are_left_to_whoosh(corpus_index: SearchIndex) -> None:
    with corpus_index._using() as searcher:
        for text in ("python OR -java", "date:[2020 to 2021]", "-python"):
            q = corpus_index._parse(text, searcher)
            assert _bulk_search(searcher, q, 10) is None, text
            assert corpus_index.search(text, snippets=False).total == _whoosh(searcher, q, 10)[0]


def test_segment_lengths_match_whoosh(corpus_index: SearchIndex) -> None:
    with corpus_index._using() as searcher:
        for sub, _offset in searcher.leaf_searchers():
            reader = sub.reader()
            seg = _SegmentData(reader)
            lengths = seg.lengths("all")
            for docnum in range(0, reader.doc_count_all(), 7):
                assert lengths[docnum] == (reader.doc_field_length(docnum, "all") or 0)
            assert _eval(searcher, seg, wq.NullQuery) == {}


def test_a_failure_in_bulk_evaluation_falls_back_to_whoosh(
    corpus_index: SearchIndex, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the fast path must never be taken for a damaged index (which would be set aside)."""
    from reader.core.search import scoring

    expected = corpus_index.search("python", snippets=False)

    def broken(*_args: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(scoring, "_eval", broken)
    again = corpus_index.search("python", snippets=False)
    assert again.total == expected.total and again.recovered is None
    assert [h.relpath for h in again.hits] == [h.relpath for h in expected.hits]
    assert "bulk evaluation" in caplog.text


def test_positions_are_stored_as_little_endian_integers() -> None:
    from reader.core.search.analysis import _MixedPositions

    fmt = _MixedPositions()
    value = fmt.encode([0, 5, 70_000, 4_000_000_000])
    assert value[4:8] == b"\x00\x00\x00\x00" and value[8:12] == b"\x05\x00\x00\x00"
    assert fmt.decode_frequency(value) == 4
    assert fmt.decode_positions(value) == [0, 5, 70_000, 4_000_000_000]
    assert fmt.decode_position_boosts(value)[:2] == [(0, 1), (5, 1)]
