"""Snippet and reading-pane marks: the fast term finder finds exactly what full analysis finds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.core.search import snippets
from reader.core.search.analysis import analyze
from reader.core.search.snippets import _first_paragraphs, _Matchers

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def reference_spans(text: str, terms: set[str], phrases: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """What the spans are by definition: analyse the whole text, compare every term and phrase."""
    tokens = list(analyze(text))
    found = [(s, e) for t, s, e in tokens if t in terms]
    for i in range(len(tokens)):
        for words in phrases:
            n = len(words)
            if i + n <= len(tokens) and all(tokens[i + k][0] == words[k] for k in range(n)):
                found.append((tokens[i][1], tokens[i + n - 1][2]))
    return snippets._merge(found)


def fast_spans(text: str, terms: set[str], phrases: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    m = _Matchers()
    if terms:
        m.terms["all"] = set(terms)
    if phrases:
        m.phrases["all"] = list(phrases)
    return m.spans(text, ("all",))


WORDS = [
    "run", "running", "Runs", "ran", "dying", "die", "dies", "happy", "happiness", "HAPPILY", "skies", "sky",
    "organization", "organize", "generously", "general", "the", "a", "standard", "library", "libraries",
    "über", "naïve", "x86_64", "2025", "대통령", "대통령은", "통령", "한국", "한", "국",
    "日本語", "İstanbul", "ΟΔΟΣ", "ΣΟΦΊΑ", "Straße",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "\n", "\n\n", ", ", ". ", "-", "'", "한"]


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=60))
    return "".join(w + sep for w, sep in parts)


@given(
    text=texts(),
    picks=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
    phrase=st.lists(st.sampled_from(WORDS), min_size=2, max_size=3),
)
@settings(max_examples=400, deadline=None)
def test_fast_spans_equal_full_analysis(text: str, picks: list[str], phrase: list[str]) -> None:
    terms = {t for word in picks for t, _s, _e in analyze(word)}
    words = tuple(t for word in phrase for t, _s, _e in analyze(word))
    assert fast_spans(text, terms, []) == reference_spans(text, terms, [])
    assert fast_spans(text, set(), [words]) == reference_spans(text, set(), [words])
    assert fast_spans(text, terms, [words]) == reference_spans(text, terms, [words])


def test_terms_that_no_token_can_be_never_match() -> None:
    text = "foo bar, foo-bar and foobar"
    assert fast_spans(text, {"foo bar"}, []) == []  # a keyword with a space is not a word of the text
    assert fast_spans(text, {"foo"}, []) == [(0, 3), (9, 12)]


def test_a_korean_syllable_alone_matches_only_by_itself() -> None:
    text = "한 국 한국 대한국민"
    assert fast_spans(text, {"한"}, []) == [(0, 1)]
    assert fast_spans(text, {"한국"}, []) == [(4, 6), (8, 10)]


def test_snippet_spans_stop_after_the_first_paragraphs_with_matches() -> None:
    paragraphs = [f"paragraph {i} mentions the library once." for i in range(10)]
    text = "\n\n".join(paragraphs) + "\n\n" + "filler " * 700
    m = _Matchers()
    m.terms["all"] = {"librari"}
    everything = m.spans(text, ("all",))
    assert len(everything) == 10
    limited = m.spans(text, ("all",), max_chunks=3)
    assert limited == everything[:3]
    assert list(_first_paragraphs("a b\nc\n \nd", [(0, 1), (2, 3), (4, 5), (9, 10)], 1)) == [
        (0, 1),
        (2, 3),
        (4, 5),
    ]


def test_fast_spans_on_real_articles() -> None:
    """English PEPs and Korean Wikinews: the most frequent words of each article, alone and as pairs."""
    assert CORPUS.is_dir(), f"the shared corpus is missing: {CORPUS} (expected ../shared/corpus)"
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    rng = random.Random(7)
    checked = 0
    for path in rng.sample(files, 60):
        text = path.read_text(encoding="utf-8", errors="replace")
        tokens = [t for t, _s, _e in analyze(text)]
        if len(tokens) < 10:
            continue
        terms = set(rng.sample(tokens, 5))
        i = rng.randrange(len(tokens) - 3)
        phrases = [tuple(tokens[i : i + 2]), tuple(tokens[i + 1 : i + 4])]
        assert fast_spans(text, terms, phrases) == reference_spans(text, terms, phrases), path.name
        checked += 1
    assert checked >= 50


@pytest.mark.parametrize("word", ["dying", "lying", "skies", "ugly", "generously", "hopping", "hoping"])
def test_porter2_exceptions_are_found(word: str) -> None:
    (term,) = [t for t, _s, _e in analyze(word)]
    text = f"Before {word.capitalize()} and {word.upper()} after"
    assert fast_spans(text, {term}, []) == reference_spans(text, {term}, [])
    assert len(fast_spans(text, {term}, [])) == 2
