"""Word pairs (reader.core.search.pairs): phrases found through the indexed pairs match exactly the documents
the position check finds, with the same scores, order and totals.

The pairs' thresholds are lowered so that a small library has them; the same library indexed without pairs
(thresholds out of reach) is the reference, and so are Whoosh's own phrase matchers on the pair index.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from whoosh import query as wq
from whoosh.collectors import TopCollector

from reader.core.search import SearchIndex, merging
from reader.core.search import pairs as pairs_module
from reader.core.search.analysis import _positions, _positions_bytes, index_terms
from reader.core.search.pairs import PAIR_FIELD, pair_text, with_pairs
from reader.core.search.scoring import _bulk_search, _indexed_pairs, _SegmentData

COMMON = ["the", "of", "standard", "library", "cat", "sat", "in", "garden", "python", "type", "hints"]
KOREAN = ["대통령", "선거", "정부", "서울에서"]

PHRASES = [
    '"standard library"',  # common words
    '"the standard library"',  # three words, a stop word first
    '"of the"',  # stop words only
    '"in the garden"',
    '"the cat sat"',
    '"library standard"',  # the reverse order: other documents
    '"type hints" python',
    '"standard library" -"the cat"',
    '"standard library" OR "type hints"',
    "대통령",  # a Korean word: the phrase of its bigrams (대통 통령)
    '"대통령 선거"',
    'title:"standard library"',  # a title phrase (no pairs there)
    'note:"the cat"',
    'tag:"standard library"',
    '"library the"',  # across a title and its body, or a paragraph break
    '"garden python"',
    '"nosuchword library"',
]


def _article(rng: random.Random, i: int) -> tuple[str, str]:
    words = [rng.choice(COMMON) for _ in range(rng.randint(20, 120))]
    if i % 5 == 0:
        words += rng.sample(KOREAN, 2)
    title = " ".join(rng.choice(COMMON) for _ in range(rng.randint(1, 4)))
    half = len(words) // 2
    # Paragraph breaks do not separate positions: a phrase may cross one, as in the position check.
    body = " ".join(words[:half]) + "\n\n" + " ".join(words[half:])
    return title.capitalize(), body


def _library(root: Path, count: int = 150) -> Path:
    rng = random.Random(7)
    library = root / "lib"
    library.mkdir()
    for i in range(count):
        title, body = _article(rng, i)
        (library / f"a{i:03d}.md").write_text(f"# {title}\n\n{body}\n", "utf-8")
    return library


def _results(index: SearchIndex, text: str) -> tuple[int, list[tuple[str, float]]]:
    found = index.search(text, limit=1000, snippets=False)
    return found.total, [(h.relpath, round(h.score, 9)) for h in found.hits]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SearchIndex, SearchIndex]]:
    """The same library indexed with pairs (low thresholds) and without, in several segments, with deleted
    documents and notes; then both merged."""
    root = tmp_path_factory.mktemp("pairs")
    library = _library(root)
    with_pairs_ix = SearchIndex(root / "with", library)
    without_ix = SearchIndex(root / "without", library)
    mp = pytest.MonkeyPatch()
    try:
        files = sorted(library.iterdir())
        hidden = root / "hidden"
        hidden.mkdir()
        for path in files[60:]:
            path.rename(hidden / path.name)
        mp.setattr(pairs_module, "PAIR_FRACTION", 0.05)
        for index, min_docs in ((with_pairs_ix, 3), (without_ix, 10**9)):
            mp.setattr(pairs_module, "PAIR_MIN_DOCS", min_docs)
            mp.setattr(pairs_module, "PAIR_ADJACENT_MIN_DOCS", min_docs)
            index.update()  # first segment: 60 articles
        for path in sorted(hidden.iterdir()):
            path.rename(library / path.name)
        for path in files[:20:3]:  # edits: deleted documents in the first segment
            path.write_text(path.read_text("utf-8") + "\n\nthe standard library of the garden\n", "utf-8")
        for index, min_docs in ((with_pairs_ix, 3), (without_ix, 10**9)):
            mp.setattr(pairs_module, "PAIR_MIN_DOCS", min_docs)
            mp.setattr(pairs_module, "PAIR_ADJACENT_MIN_DOCS", min_docs)
            index.update()
        yield with_pairs_ix, without_ix
    finally:
        mp.undo()
        with_pairs_ix.close()
        without_ix.close()


def _pair_terms(index: SearchIndex) -> list[bytes]:
    with index._using() as searcher:
        return list(searcher.reader().lexicon(PAIR_FIELD))


def test_the_library_has_pairs_and_the_reference_has_none(indexes: tuple[SearchIndex, SearchIndex]) -> None:
    with_pairs_ix, without_ix = indexes
    terms = _pair_terms(with_pairs_ix)
    assert (
        b"standard librari" in terms
        and b"of the" in terms
        and pair_text("대통".encode(), "통령".encode()) in terms
    )
    assert _pair_terms(without_ix) == []
    with with_pairs_ix._using() as searcher:
        assert len(searcher.leaf_searchers()) > 1
        assert any(sub.reader().has_deletions() for sub, _offset in searcher.leaf_searchers())


@pytest.mark.parametrize("text", PHRASES)
def test_phrases_find_the_same_documents_with_pairs(
    indexes: tuple[SearchIndex, SearchIndex], text: str
) -> None:
    with_pairs_ix, without_ix = indexes
    assert _results(with_pairs_ix, text) == _results(without_ix, text)


def test_most_phrases_match_something(indexes: tuple[SearchIndex, SearchIndex]) -> None:
    with_pairs_ix, _without = indexes
    assert sum(_results(with_pairs_ix, text)[0] > 0 for text in PHRASES) >= len(PHRASES) - 3


def test_pairs_equal_whoosh_phrase_matchers(indexes: tuple[SearchIndex, SearchIndex]) -> None:
    """Bulk scoring through the pairs gives Whoosh's own phrase matchers' (positions) hits and scores."""
    with_pairs_ix, _without = indexes
    assert _assert_bulk_equals_whoosh(with_pairs_ix) >= 10, "the phrases went through the pairs"


def _assert_bulk_equals_whoosh(index: SearchIndex) -> int:
    """Assert the bulk results of PHRASES are Whoosh's matchers'; the number of phrase leaves (per segment)
    that had indexed pairs."""
    with index._using() as searcher:
        used = 0
        for text in PHRASES:
            q = index._parse(text, searcher)
            found = _bulk_search(searcher, q, 1000)
            assert found is not None, text
            collector = TopCollector(limit=1000, usequality=False, replace=0)
            searcher.search_with_collector(q, collector)
            results = collector.results()
            assert found[0] == len(results), text
            assert [(round(x, 9), d) for x, d in found[1]] == [(round(h.score, 9), h.docnum) for h in results]
            for sub, _offset in searcher.leaf_searchers():
                seg = _SegmentData(sub.reader())
                for leaf in _phrases(q):
                    btexts = [w.encode() for w in leaf.words]
                    used += bool(_indexed_pairs(seg, leaf.fieldname, btexts))
    return used


def _phrases(q: Any) -> Iterator[Any]:
    if isinstance(q, wq.Phrase):
        yield q
    elif not q.is_leaf():
        for child in q.children():
            yield from _phrases(child)


def test_a_merge_computes_the_pairs_anew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairs_module, "PAIR_MIN_DOCS", 3)
    monkeypatch.setattr(pairs_module, "PAIR_ADJACENT_MIN_DOCS", 3)
    monkeypatch.setattr(pairs_module, "PAIR_FRACTION", 0.05)
    # Merged here (a worker process, which a build's many segments get, would not see the patched thresholds).
    monkeypatch.setattr(merging, "MIN_SEGMENTS_TO_MERGE", 1000)
    library = _library(tmp_path, count=40)
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        for path in sorted(library.iterdir())[:12]:  # a few small segments, then merged
            path.write_text(path.read_text("utf-8") + "\n\nthe cat sat in the garden\n", "utf-8")
            index.update()
        before = {text: _results(index, text) for text in PHRASES}
        assert index.merge_when_idle()
        with index._using() as searcher:
            assert len(searcher.leaf_searchers()) == 1
        assert b"the cat" in _pair_terms(index)
        # The same documents (scores change: the merge drops the deleted documents, so lengths and counts)
        after = {text: _results(index, text) for text in PHRASES}
        assert {t: (n, {h[0] for h in hits}) for t, (n, hits) in after.items()} == {
            t: (n, {h[0] for h in hits}) for t, (n, hits) in before.items()
        }
        _assert_bulk_equals_whoosh(index)


def _brute_pairs(docs: list[list[str]], doc_count: int) -> dict[bytes, list[int]]:
    """The pairs of two words each in pair_threshold documents, adjacent in pair_adjacent_threshold ones."""
    words: dict[str, int] = {}
    for terms in docs:
        for term in set(terms):
            words[term] = words.get(term, 0) + 1
    found: dict[bytes, set[int]] = {}
    for d, terms in enumerate(docs):
        for a, b in pairwise(terms):
            if min(words[a], words[b]) >= pairs_module.pair_threshold(doc_count):
                found.setdefault(pair_text(a.encode(), b.encode()), set()).add(d)
    adjacent = pairs_module.pair_adjacent_threshold(doc_count)
    return {t: sorted(ds) for t, ds in found.items() if len(ds) >= adjacent}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_with_pairs_adds_every_frequent_adjacent_pair(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pairs a Whoosh flush adds are exactly the adjacent pairs of frequent words (a brute count), after
    the all field's postings. Old pair postings are dropped; the rest passes unchanged."""
    monkeypatch.setattr(pairs_module, "PAIR_MIN_DOCS", 4)
    monkeypatch.setattr(pairs_module, "PAIR_FRACTION", 0.3)
    monkeypatch.setattr(pairs_module, "PAIR_ADJACENT_MIN_DOCS", 4)
    monkeypatch.setattr(pairs_module, "PAIR_ADJACENT_FRACTION", 0.1)
    rng = random.Random(seed)
    vocabulary = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]
    weights = [30, 25, 20, 12, 8, 6, 4, 3, 2, 2, 1, 1]  # some words in most documents, some in few
    docs = [index_terms(" ".join(rng.choices(vocabulary, weights, k=rng.randint(1, 30)))) for _ in range(60)]
    postings = []
    for d, terms in enumerate(docs):
        at: dict[str, list[int]] = {}
        for pos, term in enumerate(terms):
            at.setdefault(term, []).append(pos)
        for term, positions in at.items():
            value = len(positions).to_bytes(4, "little") + _positions_bytes(positions)
            postings.append(("all", term.encode(), d, float(len(positions)), value))
        postings.append(("title", b"x", d, 1.0, b""))
    postings.append((PAIR_FIELD, b"stale pair", 0, 1.0, b""))
    postings.sort()
    expected = _brute_pairs(docs, len(docs))
    out = list(with_pairs(iter(postings), len(docs), _positions))
    assert out == sorted(out), "still sorted"
    assert [p for p in out if p[0] != PAIR_FIELD] == [p for p in postings if p[0] != PAIR_FIELD]
    added: dict[bytes, list[int]] = {}
    for _f, btext, d, weight, value in (p for p in out if p[0] == PAIR_FIELD):
        assert (weight, value) == (1.0, b"")
        added.setdefault(btext, []).append(d)
    assert expected and added == expected
    # pairs of a rare word are never counted, however often they occur
    rare = [t for t, _ds in _brute_pairs(docs, 0).items() if b"k" in t.split()]
    assert not any(t in added for t in rare)
