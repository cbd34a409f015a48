"""CSV export: one row per annotation, UTF-8 with an optional BOM, guarded against formula injection."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest

from reader.core.articles.loader import load_article
from reader.core.exchange import CSV_COLUMNS, ExportItem, export_notes, render_csv
from reader.core.exchange.csv import csv_cell
from reader.core.library.links import make_uri
from reader.core.models import Annotation, Article, ArticleMeta
from reader.core.notes.store import open_notes


def rows_of(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("Article A\n\nThe results are conclusive and final.\n", encoding="utf-8")
    (root / "sub" / "b.txt").write_text("기사 B\n\n대통령은 말했다. 정책이 바뀐다.\n", encoding="utf-8")
    store = open_notes(load_article(root / "a.txt", root))
    store.add_quote(
        "results are conclusive", color="green", note="line one\nline two, with comma", tags=["x", "y"]
    )
    store.save()
    store = open_notes(load_article(root / "sub" / "b.txt", root))
    store.add_quote("정책이 바뀐다", color="purple", note='메모 "인용"')
    store.save()
    return root


def test_one_row_per_annotation(library: Path, tmp_path: Path) -> None:
    dest = tmp_path / "notes.csv"
    export_notes(library, None, "csv", dest)
    data = dest.read_bytes()
    assert not data.startswith(codecs.BOM_UTF8)
    rows = rows_of(data)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == 2
    a = open_notes(load_article(library / "a.txt", library)).annotations()[0]
    assert rows[0] == {
        "article": "Article A",
        "path": "a.txt",
        "quote": "results are conclusive",
        "note": "line one\nline two, with comma",
        "color": "green",
        "color_label": "",  # the library names no colour
        "tags": "x; y",
        "created": a.created,
        "modified": a.modified,
        "status": "anchored",
        "location": "",
        "link": make_uri(library, "a.txt", a.id),  # opens the reader at this highlight
        "id": a.id,
    }
    assert rows[1]["article"] == "기사 B"
    assert rows[1]["path"] == "sub/b.txt"
    assert rows[1]["note"] == '메모 "인용"'


def test_bom_option(library: Path, tmp_path: Path) -> None:
    dest = tmp_path / "excel.csv"
    export_notes(library, None, "csv", dest, bom=True)
    data = dest.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(codecs.BOM_UTF8) == 1
    assert len(rows_of(data)) == 2
    assert b"\r\n" in data


def test_formula_injection_is_neutralized(tmp_path: Path) -> None:
    article = Article(
        path=tmp_path / "a.txt",
        relpath="@evil.txt",
        text="",
        blocks=(),
        meta=ArticleMeta(title="=HYPERLINK(1)"),
    )
    annotation = Annotation(
        exact="-5 degrees", start=0, end=10, note="=1+1", tags=["+tag", "ok"], color="yellow", id="\tid"
    )
    rows = rows_of(render_csv([ExportItem(article, (annotation,))]))
    row = rows[0]
    assert row["article"] == "'=HYPERLINK(1)"
    assert row["path"] == "'@evil.txt"
    assert row["quote"] == "'-5 degrees"
    assert row["note"] == "'=1+1"
    assert row["tags"] == "'+tag; ok"
    assert row["id"] == "'\tid"
    assert row["color"] == "yellow"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_cell(value: str, expected: str) -> None:
    assert csv_cell(value) == expected


def test_empty_export_has_only_the_header(tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(render_csv([]).decode("utf-8"))))
    assert rows == [list(CSV_COLUMNS)]
