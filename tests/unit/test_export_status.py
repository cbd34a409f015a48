"""Every export says when a highlight's passage changed (``fuzzy``) or is gone (``orphaned``).

The statuses come from real re-anchoring: the article is annotated, then edited, then its notes reopened. A
``fuzzy`` annotation is marked as an approximate match; an ``orphaned`` one keeps only its last known
position, which must not be exported as if it pointed into the current text.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import lxml.html
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reader.core.articles.loader import load_article
from reader.core.exchange import export_notes, import_notes
from reader.core.notes.sidecar import load_annotations
from reader.core.notes.store import open_notes

VALIDATOR = Path(__file__).resolve().parents[3] / "shared" / "w3c-annotation" / "validate.py"

APPROXIMATE = "approximate match: the passage changed since this note was made"
NOT_FOUND = "passage not found in the current text"

ORIGINAL = (
    "Paper\n\n"
    "The first sentence stays exactly as it was written here.\n"
    "As shown above, the measured results are conclusive and final for this study.\n"
    "This line stays as it is, word for word, between the two.\n"
    "A paragraph about penguins that will be deleted entirely later on.\n"
)
EDITED = (
    "Paper\n\n"
    "The first sentence stays exactly as it was written here.\n"
    "As shown above, the measured results were conclusive and final for this study.\n"
    "This line stays as it is, word for word, between the two.\n"
    "Something else entirely.\n"
)
#: What was highlighted in ORIGINAL.
HIGHLIGHTED = {
    "anchored": "The first sentence stays exactly",
    "fuzzy": "the measured results are conclusive and final",
    "orphaned": "penguins that will be deleted",
}
#: What the notes quote after the edit: a re-anchored note describes the text as it is now; an orphan keeps
#: its last words.
QUOTES = {**HIGHLIGHTED, "fuzzy": "the measured results were conclusive and final"}


def load_validator() -> ModuleType:
    if not VALIDATOR.is_file():
        pytest.fail(f"the W3C annotation validator is missing: {VALIDATOR} (expected in ../shared)")
    spec = importlib.util.spec_from_file_location("w3c_annotation_validate", VALIDATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A library whose one article holds an anchored, a fuzzy and an orphaned annotation."""
    root = tmp_path / "library"
    root.mkdir()
    path = root / "paper.txt"
    path.write_text(ORIGINAL, encoding="utf-8")
    store = open_notes(load_article(path, root))
    for status, quote in HIGHLIGHTED.items():
        store.add_quote(quote, color="green", note=f"note of the {status} one", tags=[status])
    store.save()
    path.write_text(EDITED, encoding="utf-8")
    open_notes(load_article(path, root)).save()  # re-anchors against the edited text and keeps the result
    statuses = {a.tags[0]: a.status for a in load_annotations(path)}
    assert statuses == {status: status for status in QUOTES}
    return root


def export_text(library: Path, fmt: str, dest: Path, **options: Any) -> str:
    report = export_notes(library, None, fmt, dest, **options)
    assert report.annotations == 3
    return "\n".join(path.read_text(encoding="utf-8-sig") for path in report.written)


# ----------------------------------------------------------------------------------------------- Markdown


def blockquote_texts(text: str) -> list[str]:
    """The inline text of each top-level blockquote, its paragraphs joined by newlines."""
    tokens: list[Token] = MarkdownIt("commonmark").parse(text)
    quotes: list[str] = []
    depth = 0
    for token in tokens:
        if token.type == "blockquote_open":
            depth += 1
            if depth == 1:
                quotes.append("")
        elif token.type == "blockquote_close":
            depth -= 1
        elif depth and token.type == "inline":
            quotes[-1] += token.content + "\n"
    return quotes


@pytest.mark.parametrize("per_article", [True, False])
def test_markdown_marks_approximate_and_lost_passages(
    library: Path, tmp_path: Path, per_article: bool
) -> None:
    text = export_text(library, "markdown", tmp_path / "out", per_article=per_article)
    quotes = blockquote_texts(text)
    assert len(quotes) == 3
    by_status = {status: next(q for q in quotes if quote in q) for status, quote in QUOTES.items()}
    assert APPROXIMATE in by_status["fuzzy"]
    assert NOT_FOUND not in by_status["fuzzy"]
    assert NOT_FOUND in by_status["orphaned"]
    assert APPROXIMATE not in by_status["orphaned"]
    assert APPROXIMATE not in by_status["anchored"]
    assert NOT_FOUND not in by_status["anchored"]


def test_markdown_block_ids_still_follow_each_quote(library: Path, tmp_path: Path) -> None:
    text = export_text(library, "markdown", tmp_path / "out", per_article=True)
    tokens = MarkdownIt("commonmark").parse(text)
    after_quotes = [
        tokens[index + 2].content
        for index, token in enumerate(tokens)
        if token.type == "blockquote_close" and token.level == 0
    ]
    assert len(after_quotes) == 3
    assert all(content.startswith("^") for content in after_quotes), after_quotes


# ----------------------------------------------------------------------------------------------- HTML


def test_html_shows_a_visible_mark_for_approximate_and_lost_passages(library: Path, tmp_path: Path) -> None:
    page = lxml.html.fromstring(export_text(library, "html", tmp_path / "notes.html"))
    articles = page.xpath('//article[contains(concat(" ", @class, " "), " annotation ")]')
    assert len(articles) == 3
    by_status = {
        status: next(a for a in articles if quote in a.xpath("string(.//blockquote)"))
        for status, quote in QUOTES.items()
    }
    for status, notice in (("fuzzy", APPROXIMATE), ("orphaned", NOT_FOUND)):
        element = by_status[status]
        marks = [p for p in element.xpath(".//p") if notice in p.text_content()]
        assert marks, f"no visible notice for the {status} annotation"
        for ancestor in [marks[0], *marks[0].iterancestors()]:
            assert ancestor.get("hidden") is None
            assert "display:none" not in (ancestor.get("style") or "").replace(" ", "")
    anchored = by_status["anchored"].text_content()
    assert APPROXIMATE not in anchored
    assert NOT_FOUND not in anchored


# ----------------------------------------------------------------------------------------------- CSV


def test_csv_status_column_names_each_status(library: Path, tmp_path: Path) -> None:
    text = export_text(library, "csv", tmp_path / "notes.csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {row["quote"]: row["status"] for row in rows} == {
        quote: status for status, quote in QUOTES.items()
    }


# ----------------------------------------------------------------------------------------------- JSON-LD


def jsonld_items(library: Path, dest: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    doc = json.loads(export_text(library, "jsonld", dest))
    items = {
        status: next(
            item
            for item in doc["first"]["items"]
            if any(s.get("exact") == quote for s in item["target"]["selector"])
        )
        for status, quote in QUOTES.items()
    }
    return doc, items


def selector(item: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((s for s in item["target"]["selector"] if s["type"] == kind), None)


def test_jsonld_keeps_the_status_in_a_reader_key(library: Path, tmp_path: Path) -> None:
    _, items = jsonld_items(library, tmp_path / "notes.jsonld")
    assert {status: item["reader:status"] for status, item in items.items()} == {s: s for s in QUOTES}


def test_jsonld_orphan_has_a_quote_but_no_position(library: Path, tmp_path: Path) -> None:
    _, items = jsonld_items(library, tmp_path / "notes.jsonld")
    orphan = items["orphaned"]
    assert selector(orphan, "TextPositionSelector") is None
    quote = selector(orphan, "TextQuoteSelector")
    assert quote is not None
    assert quote["exact"] == QUOTES["orphaned"]
    edited = load_article(library / "paper.txt", library).text
    for status in ("anchored", "fuzzy"):
        position = selector(items[status], "TextPositionSelector")
        assert position is not None
        assert 0 <= position["start"] < position["end"] <= len(edited)
    anchored = selector(items["anchored"], "TextPositionSelector")
    assert anchored is not None
    assert edited[anchored["start"] : anchored["end"]] == QUOTES["anchored"]


def test_jsonld_with_statuses_still_validates(library: Path, tmp_path: Path) -> None:
    validate = load_validator()
    doc, items = jsonld_items(library, tmp_path / "notes.jsonld")
    counts, failures = validate.check(doc)
    assert list(failures) == []
    assert dict(counts)["annotation"] == 3
    for item in items.values():
        assert list(validate.check(item)[1]) == []


def test_an_exported_orphan_is_found_again_where_its_passage_exists(library: Path, tmp_path: Path) -> None:
    dest = tmp_path / "notes.jsonld"
    export_text(library, "jsonld", dest)
    other = tmp_path / "other"
    other.mkdir()
    (other / "paper.txt").write_text(ORIGINAL, encoding="utf-8")
    report = import_notes(dest, other)
    assert (report.imported, report.orphaned, report.errors) == (3, 0, [])
    imported = {a.exact: a for a in load_annotations(other / "paper.txt")}
    orphan = imported[QUOTES["orphaned"]]
    assert orphan.status in ("anchored", "moved")
    assert ORIGINAL[orphan.start : orphan.end] == QUOTES["orphaned"]
    assert orphan.note == "note of the orphaned one"


def test_an_exported_orphan_imported_where_its_passage_is_gone_stays_orphaned(
    library: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "notes.jsonld"
    export_text(library, "jsonld", dest)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(library / "paper.txt", other / "paper.txt")
    report = import_notes(dest, other)
    assert (report.imported, report.orphaned) == (3, 1)
    (orphan,) = [a for a in load_annotations(other / "paper.txt") if a.exact == QUOTES["orphaned"]]
    assert orphan.status == "orphaned"
    assert orphan.note == "note of the orphaned one"
