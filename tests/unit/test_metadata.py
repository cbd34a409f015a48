"""Metadata heuristics: dates, bylines, copyright footers, header blocks, language, counts, corpus titles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reader.core.articles.loader import load_article
from reader.core.articles.metadata import (
    find_date,
    heuristics,
    language_of,
    normalize_date,
    parse_header_block,
    reading_minutes,
    word_count,
)

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2025-11-20", "2025-11-20"),
        ("posted 2025.07.24 10:30", "2025-07-24"),
        ("Dec 22, 2025", "2025-12-22"),
        ("December 3rd 2024", "2024-12-03"),
        ("5 March 2024", "2024-03-05"),
        ("On July 24, the company said", "--07-24"),
        ("13-Jun-2000", "2000-06-13"),
        ("2008년 1월 3일에", "2008-01-03"),
        ("7월 24일 발표", "--07-24"),
        ("2025-11-20T09:30:00+09:00", "2025-11-20"),
    ],
)
def test_dates_are_recognised(text: str, iso: str) -> None:
    found = find_date(text)
    assert found is not None
    assert found[0] == iso


@pytest.mark.parametrize("text", ["2025-13-45", "February 30", "in May we may go", "version 3.10.2"])
def test_non_dates_are_not_dates(text: str) -> None:
    assert find_date(text) is None


def test_normalize_date_accepts_yaml_dates() -> None:
    import datetime as dt

    assert normalize_date(dt.date(2024, 5, 6)) == "2024-05-06"
    assert normalize_date("garbage") is None


def test_byline_after_date_gives_author() -> None:
    got = heuristics(["Headline Here", "", "2025-11-20     You Ji-young", "(Credit: Getty Images)", "Body."])
    assert got == {"title": "Headline Here", "date": "2025-11-20", "author": "You Ji-young"}


def test_by_line_and_korean_reporter() -> None:
    assert heuristics(["Title", "By Jane Doe | March 5, 2024"])["author"] == "Jane Doe"
    assert heuristics(["제목입니다", "홍길동 기자 입력 2024.03.05"])["author"] == "홍길동"


def test_dash_line_below_title_is_the_author() -> None:
    got = heuristics(["A Blog Post", "- K-MedLinker", "", "- Dec 22, 2025", "- 3 min read", "Body text."])
    assert (got["author"], got["date"], got["title"]) == ("K-MedLinker", "2025-12-22", "A Blog Post")


def test_copyright_footer_gives_source_and_publisher() -> None:
    lines = ["Title", "Body.", "© The Asia Business Daily(www.asiae.co.kr). All rights reserved.", "Top"]
    got = heuristics(lines)
    assert got["source"] == "The Asia Business Daily (asiae.co.kr)"
    assert got["author"] == "The Asia Business Daily"
    assert heuristics(["제목", "본문.", "ⓒ 아시아경제(www.asiae.co.kr) 무단전재 배포금지"])["source"] == (
        "아시아경제 (asiae.co.kr)"
    )


def test_boilerplate_is_never_the_title() -> None:
    got = heuristics(["본문 바로가기", "bar_progress", "Text Size", "Close", "Real Headline", "Body."])
    assert got["title"] == "Real Headline"


def test_a_headline_with_a_date_is_still_a_headline() -> None:
    assert heuristics(["2014년 8월 18일 심층진단", "", "본문."])["title"] == "2014년 8월 18일 심층진단"
    assert heuristics(["1월 2일부터 01X번호 010으로 자동 전환", "", "본문."])["title"].startswith(
        "1월 2일부터"
    )


def test_rfc822_header_block() -> None:
    fields, end = parse_header_block(
        "PEP: 8\nTitle: Style Guide\nAuthor: Guido,\n  Barry\nCreated: 05-Jul-2001\n\nBody"
    )
    assert fields["title"] == "Style Guide"
    assert fields["author"] == "Guido, Barry"
    assert end == len("PEP: 8\nTitle: Style Guide\nAuthor: Guido,\n  Barry\nCreated: 05-Jul-2001\n")
    assert parse_header_block("Note: this is prose.\nAnother line.\n") == ({}, 0)


def test_pep_style_article(tmp_path: Path) -> None:
    path = tmp_path / "pep-9999.txt"
    path.write_text(
        "PEP: 9999\nTitle: A Test Proposal\nAuthor: Ann Lee <ann@example.org>, Bo Kim <bo@example.org>\n"
        "Status: Draft\nCreated: 01-Oct-2000\n\n\nAbstract\n========\n\nThis PEP proposes a test.\n"
    )
    meta = load_article(path).meta
    assert (meta.title, meta.author, meta.date, meta.language) == (
        "A Test Proposal", "Ann Lee, Bo Kim", "2000-10-01", "en"
    )  # fmt: skip


def test_language_and_counts() -> None:
    assert language_of("대통령은 오늘 기자회견에서 새 정책을 발표했다. The END.") == "ko"
    assert language_of("The cat sat on the mat and it was happy with the world.") == "en"
    assert language_of("12345 !!!") is None
    assert word_count("대통령은 오늘 기자회견에서 발표했다") == 4  # eojeol
    assert reading_minutes("") == 0
    assert reading_minutes("word " * 460) == 2
    assert reading_minutes("가" * 1500) == 3


@pytest.mark.parametrize("folder", ["en-peps", "ko-wikinews"])
def test_corpus_titles(folder: str) -> None:
    # Fails (not skips) without the shared corpus beside the checkout, like the other corpus tests.
    assert CORPUS.is_dir(), f"the shared corpus is missing: {CORPUS}"
    files = sorted((CORPUS / folder).glob("*.txt"))[::7]
    assert len(files) > 50
    wrong = []
    for path in files:
        raw = path.read_text(encoding="utf-8")
        if folder == "en-peps":
            m = re.search(r"^Title:\s*(.+)$", raw, re.MULTILINE)
            assert m is not None
            expected = " ".join(m.group(1).split())
        else:
            expected = raw.split("\n", 1)[0].strip()
        title = load_article(path).meta.title
        if title != expected:
            wrong.append((path.name, expected, title))
    assert wrong == []


def test_last_updated_line_is_neither_author_nor_preferred_date() -> None:
    got = heuristics(
        ["Ferry terminal approved", "Last Updated January 7, 2024", "Published January 5, 2024", "Body."]
    )
    assert got.get("date") == "2024-01-05"
    assert "author" not in got
    assert "author" not in heuristics(["Ferry terminal approved", "Last Updated January 7", "Body text."])
    # An update stamp is still a date when it is the only one.
    assert (
        heuristics(["Ferry terminal approved", "Updated 2024-01-07", "Body text."]).get("date")
        == "2024-01-07"
    )


@pytest.mark.parametrize(
    "value",
    ["Username", "Authority control ISNI VIAF Library", "Last Updated January 7", "Log in",
     "Share this article", "Posted on 2024-01-05", "Sign in", "Menu"],
)  # fmt: skip
def test_junk_is_not_a_plausible_author(value: str) -> None:
    from reader.core.articles.metadata import plausible_author

    assert plausible_author(value) is None


@pytest.mark.parametrize(
    ("value", "name"),
    [("Jane Doe", "Jane Doe"), ("By Tomas Reyes, Harbour Reporter", "Tomas Reyes"), ("홍길동", "홍길동"),
     ("Jane Doe; John Smith", "Jane Doe, John Smith"), ("Posted by Kim Lee", "Kim Lee"),
     ("bell hooks", "bell hooks")],
)  # fmt: skip
def test_plausible_authors_are_kept(value: str, name: str) -> None:
    from reader.core.articles.metadata import plausible_author

    assert plausible_author(value) == name
