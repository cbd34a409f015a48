"""The query language: stemming, phrases, prefixes, fuzzy, boolean operators, fields, dates, and that any
string a user can type either runs or raises a one-line QueryError."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.core.errors import QueryError
from reader.core.models import Article
from reader.core.search import SearchIndex, building

ARTICLES = {
    "therapy.txt": "Date: 2025-11-20\nAuthor: You Ji-young\nSource: Korea Biomedical Review\nLang: en\n\n"
    "Stem cell therapy trial\n\nA new therapy for bone disease enters its first clinical trial.\n",
    "garbage.txt": "Date: 2017-09-08\nAuthor: Antoine Pitrou\nSource: python.org\nLang: en\n\n"
    "Threaded garbage collection\n\nThe collector runs in a thread of its own. Collection is concurrent.\n",
    "notes/parsing.txt": "Date: 2025-03-02\nAuthor: Guido van Rossum\nSource: python.org\nLang: en\n\n"
    "PEG parsers\n\nParsers and parsing: a tokenizer feeds the parser, which builds a tree.\n",
    "korea.txt": "Date: 2024-12-31\nAuthor: 김기자\nSource: 위키뉴스\nLang: ko\n\n"
    "대통령 취임\n\n대통령은 오늘 취임하였다. The president took office; therapies were discussed.\n",
}


def with_header_meta(original):  # type: ignore[no-untyped-def]
    """Tests must not depend on how articles.py finds metadata: read ``Key: value`` header lines here."""

    def load(path: Path, root: Path | None = None) -> Article:
        article = original(path, root)
        fields = dict(re.findall(r"^(Date|Author|Source|Lang): (.+)$", article.text, re.MULTILINE))
        title = next(
            (line for line in article.text.split("\n\n", 1)[-1].splitlines() if line.strip()),
            article.meta.title,
        ).lstrip("# ")
        meta = dataclasses.replace(
            article.meta,
            title=title,
            date=fields.get("Date"),
            author=fields.get("Author"),
            source=fields.get("Source"),
            language=fields.get("Lang"),
        )
        return dataclasses.replace(article, meta=meta)

    return load


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    root = tmp_path_factory.mktemp("query")
    library = root / "lib"
    for rel, text in ARTICLES.items():
        (library / rel).parent.mkdir(parents=True, exist_ok=True)
        (library / rel).write_text(text, encoding="utf-8")
    sidecar = {
        "format": "research-notes-reader/notes",
        "version": 1,
        "source": "garbage.txt",
        "text_hash": "",
        "annotations": [
            {
                "id": "n1",
                "status": "anchored",
                "color": "green",
                "tags": ["gc", "to-read"],
                "note": "Compare with reference counting in CPython",
                "target": {
                    "selector": [
                        {"type": "TextQuoteSelector", "exact": "collector runs", "prefix": "", "suffix": ""},
                        {"type": "TextPositionSelector", "start": 0, "end": 14},
                    ]
                },
                "created": "2025-01-02T03:04:05Z",
                "modified": "2025-01-02T03:04:05Z",
            }
        ],
    }
    import json

    (library / "garbage.txt.notes.json").write_text(json.dumps(sidecar), encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.setattr(building, "load_article", with_header_meta(building.load_article))
    ix = SearchIndex(root / "index", library)
    ix.update()
    yield ix
    ix.close()
    patch.undo()


def found(index: SearchIndex, query: str) -> set[str]:
    results = index.search(query, limit=100, snippets=False)
    assert results.total == len(results.hits)
    return {hit.relpath for hit in results.hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("therapies", {"therapy.txt", "korea.txt"}),  # stemming both ways
        ("therapy", {"therapy.txt", "korea.txt"}),
        ("collectors", {"garbage.txt"}),
        ("THERAPY trial", {"therapy.txt"}),  # words are ANDed, case-insensitive
        ('"garbage collection"', {"garbage.txt"}),
        ('"collection garbage"', set()),
        ("pars*", {"notes/parsing.txt"}),
        ("thera*", {"therapy.txt", "korea.txt"}),
        ("colector~", {"garbage.txt"}),
        ("garbge~2", {"garbage.txt"}),
        ("garbge~2/9", {"garbage.txt"}),
        ("run~", {"garbage.txt"}),  # too short to be fuzzy: the word itself
        ("therapy -trial", {"korea.txt"}),
        ("therapy NOT trial", {"korea.txt"}),
        ("-therapy", {"garbage.txt", "notes/parsing.txt"}),
        ("parser OR collector", {"notes/parsing.txt", "garbage.txt"}),
        ("(parser OR collector) thread", {"garbage.txt"}),
        ("title:therapy", {"therapy.txt"}),
        ("title:parsers", {"notes/parsing.txt"}),
        ("author:pitrou", {"garbage.txt"}),
        ('author:"van rossum"', {"notes/parsing.txt"}),
        ("source:python.org", {"garbage.txt", "notes/parsing.txt"}),
        ("source:위키뉴스", {"korea.txt"}),
        ("lang:ko", {"korea.txt"}),
        ("lang:en", {"therapy.txt", "garbage.txt", "notes/parsing.txt"}),
        ("path:parsing", {"notes/parsing.txt"}),
        ("path:notes", {"notes/parsing.txt"}),
        ("path:txt", set(ARTICLES)),
        ("note:counting", {"garbage.txt"}),
        ("counting", {"garbage.txt"}),  # notes are in the default fields
        ("tag:gc", {"garbage.txt"}),
        ("tag:to-read", {"garbage.txt"}),
        ("color:green", {"garbage.txt"}),
        ("quote:collector", {"garbage.txt"}),
        ("date:2025", {"therapy.txt", "notes/parsing.txt"}),
        ("date:2025-11", {"therapy.txt"}),
        ("date:2025-11-20", {"therapy.txt"}),
        ("date:[2025-01 to 2025-12]", {"therapy.txt", "notes/parsing.txt"}),
        ("date:[2024-12-31 TO 2025-03]", {"korea.txt", "notes/parsing.txt"}),
        ("date:[2018 to]", {"therapy.txt", "notes/parsing.txt", "korea.txt"}),
        ("date:[to 2017]", {"garbage.txt"}),
        ("대통령", {"korea.txt"}),
        ("대통령 president", {"korea.txt"}),
        ("취임하였다", {"korea.txt"}),
        ("대통*", {"korea.txt"}),
        ("what is a parser?", set()),  # '?' is punctuation, not a wildcard; "what" is in no article
        ("parser?", {"notes/parsing.txt"}),
    ],
)
def test_query(index: SearchIndex, query: str, expected: set[str]) -> None:
    assert found(index, query) == expected


def test_title_is_boosted(index: SearchIndex) -> None:
    hits = index.search("therapy").hits
    assert [h.relpath for h in hits] == ["therapy.txt", "korea.txt"]
    assert hits[0].score > hits[1].score
    assert hits[0].title == "Stem cell therapy trial"
    assert hits[0].date == "2025-11-20"


def test_paging(index: SearchIndex) -> None:
    everything = index.search("-zzzz", limit=100, snippets=False)
    assert everything.total == len(ARTICLES)
    page = index.search("-zzzz", limit=2, offset=2, snippets=False)
    assert page.total == len(ARTICLES)
    assert [h.relpath for h in page.hits] == [h.relpath for h in everything.hits[2:4]]


def test_snippets_mark_the_matched_words(index: SearchIndex) -> None:
    hit = index.search("therapies trial").hits[0]
    assert "\n" not in hit.snippet
    marked = [hit.snippet[s:e] for s, e in hit.snippet_marks]
    assert marked
    assert {m.lower() for m in marked} <= {"therapy", "trial"}
    hit = index.search('"garbage collection"').hits[0]
    assert hit.snippet[slice(*hit.snippet_marks[0])] == "garbage collection"
    assert index.search("therapy", snippets=False).hits[0].snippet == ""


def test_note_snippet(index: SearchIndex) -> None:
    hit = index.search("counting").hits[0]
    assert hit.note_id == "n1"
    assert [hit.note_snippet[s:e] for s, e in hit.note_marks] == ["counting"]
    hit = index.search("tag:gc").hits[0]
    assert hit.note_id == "n1"
    assert hit.note_snippet.startswith("Compare")


def test_term_spans(index: SearchIndex) -> None:
    text = "Therapies and a therapy. 대통령은 대통합 대통령이, parsing parsers."
    spans = index.term_spans("therapy 대통령 pars* -and", text)
    assert [text[s:e] for s, e in spans] == ["Therapies", "therapy", "대통령", "대통령", "parsing", "parsers"]
    assert index.term_spans('"a therapy"', text) == [(14, 23)]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "a*",
        "*ing",
        "t*x",
        "date:yesterday",
        "date:[soon to later]",
        "!!!",
        "x" * 2000,
    ],
)
def test_bad_queries_raise_one_line_query_errors(index: SearchIndex, query: str) -> None:
    with pytest.raises(QueryError) as info:
        index.search(query)
    message = str(info.value)
    assert message
    assert "\n" not in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "(",
        ")",
        "title:",
        "OR",
        "AND therapy",
        "therapy OR",
        "NOT",
        "-",
        '"unclosed phrase',
        "date:",
        "a:b:c",
        "*",
        "(" * 400 + "a",
    ],
)
def test_odd_queries_run_or_explain(index: SearchIndex, query: str) -> None:
    message = ""
    try:
        index.search(query)
    except QueryError as exc:
        message = str(exc)
    assert "\n" not in message


# -------------------------------------------------------------------------------------- fuzzing

ALPHABET = st.sampled_from(
    [*"abcxyz \"()[]{}:*~-^+/\\'!?.,;", "대", "통", "령", "은", "취임", "文", "0", "1", "2", "9"]
)
TOKENS = st.sampled_from(
    [
        "title:",
        "author:",
        "source:",
        "tag:",
        "note:",
        "color:",
        "lang:",
        "path:",
        "date:",
        "quote:",
        "unknown:",
        "AND",
        "OR",
        "NOT",
        "ANDNOT",
        "ANDMAYBE",
        "to",
        "TO",
        "2025",
        "2025-11",
        "2025-11-20",
        "--07-24",
        "date:[2025-01 to 2025-12]",
        "date:[",
        "therapy",
        "pars",
        "대통령",
        "ab~2/3",
        "x~9",
        "th*",
        '""',
        "()",
        "*:*",
        "^2",
        "\t",
        "\n",
        "\x00",
        "\u200b",
    ]
)
QUERIES = st.lists(st.one_of(ALPHABET, TOKENS), max_size=14).map("".join)


@settings(
    max_examples=2500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=QUERIES)
def test_any_query_runs_or_raises_query_error(index: SearchIndex, query: str) -> None:
    try:
        results = index.search(query, limit=5)
    except QueryError as exc:
        message = str(exc)
        assert message
        assert "\n" not in message
        return
    assert results.total >= len(results.hits)
    for hit in results.hits:
        for start, end in hit.snippet_marks:
            assert 0 <= start < end <= len(hit.snippet)
    try:
        index.term_spans(query, ARTICLES["korea.txt"])
    except QueryError:
        pytest.fail(f"term_spans failed on a query that searched fine: {query!r}")
