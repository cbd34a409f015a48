"""Korean search quality on the shared Korean Wikinews corpus, and mixed Korean/English articles.

Ground truth, defined without looking at the index: the 40 Hangul strings of 2-4 syllables that begin a
Hangul run in the most article titles (nouns in titles: ``대통령``, ``한국``, ...). An article is relevant
to such a noun when its canonical text (``load_article``) contains the noun as a substring, whatever
particle follows it. Recall and precision are pooled over all queries (and each query is checked too).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from reader.core.articles.loader import load_article
from reader.core.library.scan import iter_article_files
from reader.core.search import SearchIndex

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"  # ../shared/corpus from the repo root
KO = CORPUS / "ko-wikinews"
HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
N_QUERIES = 40


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    if not KO.is_dir():
        pytest.fail(f"the shared corpus is missing: {KO} (expected ../shared/corpus beside the repository)")
    texts = {p.relative_to(KO).as_posix(): load_article(p, KO).text for p in iter_article_files(KO)}
    assert len(texts) >= 600, f"expected the 644 Korean Wikinews articles in {KO}, found {len(texts)}"
    return texts


@pytest.fixture(scope="module")
def index(corpus: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    ix = SearchIndex(tmp_path_factory.mktemp("ko") / "index", KO)
    report = ix.update()
    assert len(report.added) == len(corpus)
    yield ix
    ix.close()


def title_nouns(corpus: dict[str, str]) -> list[str]:
    counts: Counter[str] = Counter()
    for text in corpus.values():
        title = text.strip().split("\n", 1)[0]
        candidates = set()
        for run in HANGUL_RUN.findall(title):
            for n in range(2, min(4, len(run)) + 1):
                candidates.add(run[:n])
        counts.update(candidates)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [noun for noun, _count in ranked[:N_QUERIES]]


def test_korean_noun_recall_and_precision(corpus: dict[str, str], index: SearchIndex) -> None:
    nouns = title_nouns(corpus)
    assert len(nouns) == N_QUERIES
    relevant_total = retrieved_total = hit_total = 0
    per_query = []
    for noun in nouns:
        relevant = {rel for rel, text in corpus.items() if noun in text}
        results = index.search(noun, limit=len(corpus), snippets=False)
        retrieved = {h.relpath for h in results.hits}
        assert results.total == len(retrieved)
        hits = len(relevant & retrieved)
        relevant_total += len(relevant)
        retrieved_total += len(retrieved)
        hit_total += hits
        per_query.append((noun, hits / max(len(relevant), 1), hits / max(len(retrieved), 1)))
    recall = hit_total / relevant_total
    precision = hit_total / retrieved_total
    print(f"\nKorean nouns: {len(nouns)} queries, recall {recall:.4f}, precision {precision:.4f}")
    assert recall >= 0.95, per_query
    assert precision >= 0.95, per_query
    worst = [q for q in per_query if q[1] < 0.9 or q[2] < 0.9]
    assert not worst, worst


def test_particles_attached(index: SearchIndex, corpus: dict[str, str]) -> None:
    with_particle = {rel for rel, text in corpus.items() if "대통령은" in text or "대통령이" in text}
    found = {h.relpath for h in index.search("대통령", limit=1000, snippets=False).hits}
    assert with_particle <= found


def test_korean_snippet_marks_the_noun(index: SearchIndex) -> None:
    hit = index.search("대통령").hits[0]
    marked = {hit.snippet[s:e] for s, e in hit.snippet_marks}
    assert marked == {"대통령"}


def test_mixed_korean_and_english(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    (library / "mixed.txt").write_text(
        "줄기세포치료제 clinical trials\n\n"
        "줄기세포치료제는 stem cell therapies를 위한 것이다. 연구진은 OECD 보고서를 인용했다.\n",
        encoding="utf-8",
    )
    (library / "english.txt").write_text("Stem cell therapy in Korea\n\nNo Hangul here.\n", encoding="utf-8")
    with SearchIndex(tmp_path / "index", library) as ix:
        ix.update()

        def found(q: str) -> set[str]:
            return {h.relpath for h in ix.search(q, snippets=False).hits}

        assert found("세포치료") == {"mixed.txt"}
        assert found("치료제 therapy") == {"mixed.txt"}
        assert found("therapy") == {"mixed.txt", "english.txt"}
        assert found("therapies를") == {"mixed.txt"}  # glued English and Hangul are two words
        assert found("oecd 보고서") == {"mixed.txt"}
        assert found('"연구진은 oecd"') == {"mixed.txt"}
        assert found("title:치료제") == {"mixed.txt"}
        assert found("연구소") == set()  # 연구 + 구소: the bigrams must be adjacent
        text = "줄기세포치료제는 stem cell therapies를"
        assert [text[s:e] for s, e in ix.term_spans("치료제 therapy", text)] == ["치료제", "therapies"]
