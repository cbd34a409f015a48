"""Highlights in a PDF carry their page into the exports: ``p. N`` in CSV, a ``page=N`` FragmentSelector
(RFC 3778) in JSON-LD, which still validates against the W3C schemas."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from reader.core.articles.loader import load_article
from reader.core.exchange import export_notes
from reader.core.notes.store import open_notes

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
PAPER = SHARED / "documents" / "pdf" / "acl-2018-n18-3011-literature-graph.pdf"
VALIDATOR = SHARED / "w3c-annotation" / "validate.py"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[int, str]]]:
    """A library holding one paper, with a highlight on page 1 and one on the paper's last page; for each, its
    physical page and its printed page label (the proceedings' page numbers, 84-91)."""
    if not PAPER.is_file():
        pytest.fail(f"the shared PDF samples are missing: {PAPER}")
    root = tmp_path_factory.mktemp("pdf-lib")
    shutil.copy(PAPER, root / PAPER.name)
    article = load_article(root / PAPER.name, root)
    pages = [b for b in article.blocks if b.page is not None and b.end - b.start > 80]
    first, last = pages[0], pages[-1]
    store = open_notes(article)
    wanted = {}
    for block in (first, last):
        quote = article.text[block.start : block.start + 40]
        annotation = store.add(block.start, block.start + 40, note=f"page {block.page}")
        wanted[annotation.id] = (block.page or 0, block.page_label or str(block.page))
        assert annotation.exact == quote
    store.save()
    assert last.page is not None and first.page is not None and last.page > first.page
    return root, wanted


def test_csv_names_the_printed_page(library: tuple[Path, dict[str, tuple[int, str]]], tmp_path: Path) -> None:
    root, wanted = library
    dest = tmp_path / "notes.csv"
    export_notes(root, None, "csv", dest)
    rows = list(csv.DictReader(io.StringIO(dest.read_text(encoding="utf-8"))))
    assert {row["id"]: row["location"] for row in rows} == {
        i: f"p. {label}" for i, (_p, label) in wanted.items()
    }
    assert {label for _page, label in wanted.values()} == {"84", "91"}


def _validator() -> ModuleType:
    if not VALIDATOR.is_file():
        pytest.fail(f"the W3C annotation validator is missing: {VALIDATOR}")
    spec = importlib.util.spec_from_file_location("w3c_validate_pages", VALIDATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_jsonld_adds_a_page_fragment_selector_and_validates(
    library: tuple[Path, dict[str, tuple[int, str]]], tmp_path: Path
) -> None:
    root, wanted = library
    dest = tmp_path / "notes.jsonld"
    export_notes(root, None, "jsonld", dest)
    data = json.loads(dest.read_text(encoding="utf-8"))
    items = data["first"]["items"]
    for item in items:
        fragments = [s for s in item["target"]["selector"] if s["type"] == "FragmentSelector"]
        page = wanted[item["id"].removeprefix("urn:uuid:")][0]  # RFC 3778 counts physical pages from 1
        assert fragments == [
            {
                "type": "FragmentSelector",
                "conformsTo": "http://tools.ietf.org/rfc/rfc3778",
                "value": f"page={page}",
            }
        ]
    counts, failures = _validator().check(data)
    assert counts["annotation"] == len(wanted) == 2
    assert failures == []
