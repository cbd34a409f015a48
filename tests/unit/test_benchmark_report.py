"""The benchmark harness's pure parts: FTS5 queries said in tantivy's syntax, the issue's table, the targets,
and the README section they regenerate (``tests/benchmarks/``; the measures themselves are not run here)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_engines  # noqa: E402
import report  # noqa: E402


@pytest.mark.parametrize(
    ("fts5", "expected"),
    [
        ("python", ("parse", "python")),
        ('"global interpreter lock"', ("parse", '"global interpreter lock"')),
        ("thread lock", ("parse", "+thread +lock")),
        ("import NOT module", ("parse", "+import -module")),
        ("unicode string NOT bytes", ("parse", "+unicode +string -bytes")),
        ("async OR await", ("parse", "async OR await")),
        ("(generator OR iterator) AND protocol", ("parse", "+(generator OR iterator) +protocol")),
        ("(class OR function) AND decorator", ("parse", "+(class OR function) +decorator")),
        ("decor*", ("prefix", "decor")),
        ("Generat*", ("prefix", "generat")),
        ("대통령*", ("prefix", "대통령")),
    ],
)
def test_fts5_queries_in_tantivy_syntax(fts5: str, expected: tuple[str, str]) -> None:
    assert bench_engines.tantivy_query(fts5) == expected


@pytest.mark.parametrize(
    "fts5",
    [
        "decor* AND python",  # a prefix inside an expression: no form in tantivy's parser
        '"type hin"*',  # a phrase prefix
        "a OR b AND c",  # OR and AND at one level (FTS5's precedence decides)
        "NOT module",  # nothing to match
        "(generator OR iterator",
        "generator)",
        "c++*",
    ],
)
def test_what_tantivy_cannot_be_asked_is_none(fts5: str) -> None:
    assert bench_engines.tantivy_query(fts5) is None


def _size(**extra: Any) -> dict[str, Any]:
    size: dict[str, Any] = {
        "copies": 8,
        "articles": 10_776,
        "mb": 120.0,
        "canonical": {"seconds": 50.6, "ms_per_article": 4.7},
        "whoosh_build": {"seconds": 159.0, "peak_rss_mb": 380.0, "max_procs": 3},
        "fts5_build_canonical": {"seconds": 58.0, "insert_seconds": 7.2, "peak_rss_mb": 90.0},
        "fts5_build_raw": {"seconds": 3.4, "peak_rss_mb": 60.0},
        "tantivy_build": {"seconds": 62.0, "peak_rss_mb": 300.0},
        "tantivy_engine": {"engine_seconds": 11.0},
        "queries": {
            "whoosh_list": {"p50_ms": 11.0, "p95_ms": 54.0},
            "fts5c_list": {"p50_ms": 5.0, "p95_ms": 14.0},
            "fts5_list": {"p50_ms": 4.0, "p95_ms": 13.0},
            "tantivy_list": {"p50_ms": 0.3, "p95_ms": 1.1},
            "whoosh_snippets": {"p50_ms": 44.0, "p95_ms": 98.0},
            "fts5c_snippets": {"p50_ms": 108.0, "p95_ms": 211.0},
            "tantivy_snippets": {"p50_ms": 70.0, "p95_ms": 126.0},
        },
    }
    size.update(extra)
    return size


def test_the_size_table_has_the_issues_rows_and_columns() -> None:
    rows = report.size_table(_size())
    by_label = {row[0]: row[1:] for row in rows}
    assert all(len(cells) == 3 for cells in by_label.values())
    canonical = by_label["canonical text of every article (`load_article`, one process)"]
    assert canonical == ["50.6 s (4.7 ms an article)", "same text given to it", "same text given to it"]
    build = by_label["build, including reading the articles"]
    assert build[0] == "159 s (3 processes)"
    assert (
        build[1].startswith("58.0 s (one process; insert alone 7.20 s)")
        and "file text as read: 3.40 s" in build[1]
    )
    assert build[2] == "62.0 s (engine alone: 11.0 s)"
    assert by_label["result list, page of 50, p50 / p95"] == [
        "11 / 54 ms",
        "5.0 / 14 ms (file text: 4.0 / 13 ms)",
        "0.3 / 1.1 ms",
    ]
    assert by_label["page of 50 with snippets, p50 / p95"][0] == "44 / 98 ms"


def test_a_size_without_measures_shows_dashes() -> None:
    rows = report.size_table({"copies": 1, "articles": 1347, "mb": 15.0})
    assert rows[1][1:] == ["–", "–", "–"]
    assert rows[3][1:] == ["–", "–", "–"]


def test_targets_are_judged_against_the_measures() -> None:
    results = {
        "sizes": [_size(copies=1, articles=1347), _size()],
        "gui": {
            "copies": 8,
            "articles": 10_776,
            "first_open": {
                "expected": 10_776,
                "list_shown_s": 4.0,
                "complete_s": 12.0,  # 3.5x the 3.4 s FTS5 build from the files
                "first_hit_coverage": "3000 of 10776 indexed",
                "max_stall_ms": 30.0,
            },
        },
    }
    met = {name: (shown, ok) for name, shown, ok in report.target_rows(results)}
    assert met["first open of a fresh library: list shown ≤ 5 s"] == ("4.00 s", "yes")
    assert met["first open: first search answered ≤ 8 s"] == ("not reached (3000 of 10776 indexed)", "**no**")
    assert met["first open: index complete ≤ 3x FTS5's build from the files"][1] == "**no**"
    assert met["result list p95 ≤ 1.0x FTS5"] == ("54 ms = 3.9x (14 ms)", "**no**")
    assert met["page with snippets p95 ≤ FTS5"] == ("98 ms = 0.5x (211 ms)", "yes")
    assert met["longest GUI stall during first open ≤ 50 ms"] == ("30 ms", "yes")
    assert met["build peak memory (process tree) ≤ 400 MB"] == ("380 MB", "yes")


def test_targets_without_a_window_run_are_not_judged() -> None:
    # An older run's window measure (no timeline): its first-open targets are not judged either.
    older = {"copies": 8, "articles": 10_776, "first_open": {"listed_s": 11.5, "max_stall_ms": 26.0}}
    met = {name: ok for name, _shown, ok in report.target_rows({"sizes": [_size()], "gui": older})}
    assert met["first open of a fresh library: list shown ≤ 5 s"] == "–"
    assert met["longest GUI stall during first open ≤ 50 ms"] == "–"
    assert met["result list p95 ≤ 1.0x FTS5"] == "**no**"


def test_a_missing_per_format_module_is_said() -> None:
    lines = report.format_lines({"articles": {"missing": "tests/benchmarks/bench_articles.py is absent"}})
    assert lines[-1] == "not measured: tests/benchmarks/bench_articles.py is absent."
    table = report.format_lines({"articles": {"pdf": {"ms": 8.5, "files": 3}, "txt": {"ms": 0.4}}})
    assert (
        "| format | files | ms |" in table and "| pdf | 3 | 8.5 |" in table and "| txt | – | 0.4 |" in table
    )


def test_the_readme_section_is_replaced_and_nothing_else() -> None:
    text = "# Title\n\nbefore\n<!-- bench:start -->\nold numbers\n<!-- bench:end -->\n\n## After\nkept\n"
    new = report.replace_section(text, "new table\n")
    assert new == "# Title\n\nbefore\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\n\n## After\nkept\n"
    with pytest.raises(ValueError, match="exactly once"):
        report.replace_section("no markers here", "x")
    with pytest.raises(ValueError, match="exactly once"):
        report.replace_section(text + text, "x")


def test_the_markdown_carries_every_size_and_the_timeline() -> None:
    results = {
        "date": "2026-11-30 17:00",
        "commit": "abc1234",
        "machine": "2 cores",
        "sizes": [_size(copies=1, articles=1347, mb=15.0), _size()],
        "gui": {"copies": 8, "articles": 10_776, "first_open": {"expected": 10_776, "first_hit_s": 6.5}},
    }
    text = report.markdown(results)
    assert "**1,347 articles** (1 copy of the corpus" in text and "**10,776 articles** (8 copies" in text
    assert (
        text.count("|  | reader (Whoosh) | SQLite FTS5 (Zotero, calibre) | tantivy (Rust, the ceiling) |")
        == 2
    )
    assert "First open of a fresh 10,776-article library" in text
    assert "| first search answered with hits | 6.50 s" in text
    assert "| list shown (rows painted) | – |" in text
    assert "None" not in text  # what was not measured is a dash, not a Python value
