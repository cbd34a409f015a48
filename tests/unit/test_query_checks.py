"""Every query that is not what the user meant says why in one line (issue: bad queries mostly got no
explanation), and the queries the README documents still run."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.core.errors import QueryError
from reader.core.search import SearchIndex
from reader.core.search.query import FIELD_ALIASES
from reader.core.search.query_checks import USER_FIELDS, check_query_text

FIELDS = [
    "title", "all", "author", "source", "lang", "tag", "note", "quote", "color", "date", "path", "status",
    "starred",
]  # fmt: skip

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "library"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    built = SearchIndex(tmp_path_factory.mktemp("ix"), SAMPLE)
    built.update()
    return built


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("AND OR (", "AND needs a word after it, not OR"),
        ("stem NOT", "NOT needs a word after it"),
        ("AND stem", "AND needs words on both sides"),
        ("stem OR", "OR needs a word after it"),
        ("(stem", "a ( is not closed"),
        ("stem)", "a ) closes nothing"),
        ('"regenerative medicine', 'a " is not closed'),
        ("title:", "title: needs something after it (e.g. title:therapy)"),
        ("color:mauve", "there is no colour 'mauve': colours are yellow, green, blue, pink, purple"),
        ("date:2025-13", "'2025-13' is not a date: months go from 01 to 12"),
        ("date:2025-02-30", "'2025-02-30' is not a date: February has 28 days"),
        ("foo:bar", "there is no field foo:"),
    ],
)
def test_a_query_that_cannot_mean_anything_says_why(index: SearchIndex, query: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        index.search(query)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "query",
    [
        "stem cell",
        '"regenerative medicine"',
        "regen*",
        "osteogenisis~",
        "stem -korea",
        "stem NOT korea",
        "burn OR wound",
        "(burn OR wound) cell",
        "title:therapy",
        'title:"stem cell"',
        "author:you",
        "source:asiae",
        "lang:ko",
        "tag:todo",
        "note:question",
        "color:yellow",
        "date:2025",
        "date:2025-11",
        "date:[2025-01 to 2025-12]",
        "대통령",
        "ratio 3:1",
        "see https://example.org/page",
        "body:stem",
        "colour:yellow",
        "tags:todo",
    ],
)
def test_the_documented_queries_run(index: SearchIndex, query: str) -> None:
    index.search(query)  # raises QueryError if a check misfires


def test_every_field_offered_in_the_message_exists(index: SearchIndex) -> None:
    for field in USER_FIELDS:
        check_query_text(f"{field}:x" if field != "color" else "color:yellow", FIELDS, FIELD_ALIASES)
        index.search(f"{field}:{'yellow' if field == 'color' else '2025' if field == 'date' else 'x'}")


def test_an_index_without_articles_answers_quietly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    empty = tmp_path / "empty-library"
    empty.mkdir()
    index = SearchIndex(tmp_path / "ix", empty)
    index.update()
    with caplog.at_level("WARNING"):
        results = index.search("stem cell")
    assert results.total == 0
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
