"""Citation keys, BibTeX (parsed by bibtexparser), CSL-JSON (validated against the CSL-JSON schema), APA
references through citeproc-py, and the ``cite`` command."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import bibtexparser
import jsonschema
import pytest

from reader.__main__ import main
from reader.core.exchange.citations import (
    CitationRecord,
    format_references,
    records_for,
    to_bibtex,
    to_csl_json,
)
from reader.core.exchange.citekeys import assign_keys, base_key, parse_name, romanize_hangul
from reader.core.library.scan import scan_library
from reader.core.models import ArticleMeta, CatalogEntry
from reader.core.notes.article_data import read_article_data, update_article_data, with_value
from reader.core.notes.sidecar import sidecar_path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "csl" / "csl-data.json").read_text(encoding="utf-8"))


def _entry(
    relpath: str, title: str, author: str | None = None, date: str | None = None, **extra
) -> CatalogEntry:
    meta = ArticleMeta(title=title, author=author, date=date, source=extra.pop("source", None), language="en")
    return CatalogEntry(relpath=relpath, meta=meta, size=1, mtime_ns=1, content_hash="", **extra)


TRICKY = _entry(
    "x/tricky.md",
    "Costs & 50% of {brace} stuff_under #hash ~tilde ^caret back\\slash",
    "이순철; José Müller",
    "2024-02-29",
    source="Review of R&D",
    url="https://example.org/a{b}?q=1&r=2",
    doi="10.1000/xyz_123",
    tags=("method", "한국어"),
)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    library = tmp_path / "library"
    shutil.copytree(ROOT / "library", library)
    return library


@pytest.mark.parametrize(
    ("text", "family", "given", "literal"),
    [
        ("Lee Soon-chul", "Lee", "Soon-chul", ""),
        ("You, Ji-young", "You", "Ji-young", ""),
        ("Jane Q. Roe", "Roe", "Jane Q.", ""),
        ("이순철", "이", "순철", ""),
        ("남궁민수", "남궁", "민수", ""),
        ("K-MedLinker", "", "", "K-MedLinker"),
        ("The Asia Business Daily", "", "", "The Asia Business Daily"),
    ],
)
def test_names(text, family, given, literal):
    name = parse_name(text)
    assert (name.family, name.given, name.literal) == (family, given, literal)


def test_base_keys():
    assert base_key(["You Ji-young"], "2025", "Fetal bone tissue stem cell therapy") == "you2025fetal"
    assert base_key(["이순철"], "2025", "The trial of a new therapy") == "lee2025trial"
    assert base_key(["남궁민수"], "", "골다공증 치료") == "namgoonggoldagongjeung"
    assert base_key(["José Müller"], "2020", "Éléments of style") == "muller2020elements"
    assert base_key([], "2021", "On the advances of stem cells") == "advances2021stem"
    assert base_key([], "", "") == "article"
    assert romanize_hangul("한국어") == "hangugeo"


def test_keys_unique_stored_kept_and_stable():
    same = [_entry(f"{n}.txt", "Fetal bone study", "Jane Roe", "2025-01-01") for n in "cab"]
    records = records_for(same)
    assert [r.key for r in records] == ["roe2025fetalb", "roe2025fetal", "roe2025fetala"]  # by relpath
    assert [r.key for r in records_for(same)] == [r.key for r in records]  # stable
    # a stored key is kept even when a newcomer sorts first and would have taken it
    stored = [_entry("m.txt", "Fetal bone study", "Jane Roe", "2025-01-01", citekey="roe2025fetal")]
    newcomer = _entry("a.txt", "Fetal bone study", "Jane Roe", "2025-01-01")
    keys = {r.relpath: r.key for r in records_for([*stored, newcomer])}
    assert keys == {"m.txt": "roe2025fetal", "a.txt": "roe2025fetala"}
    # two articles storing the same key (a copied sidecar): the second gets another one
    assert assign_keys([("b", "k", "k"), ("a", "k", "k")]) == {"a": "k", "b": "ka"}


def test_bibtex_parses_with_bibtexparser(sample):
    records = records_for([*scan_library(sample).entries, TRICKY])
    library = bibtexparser.parse_string(to_bibtex(records))
    assert not library.failed_blocks
    keys = [entry.key for entry in library.entries]
    assert keys == [r.key for r in records] and len(set(keys)) == len(keys) == 5
    tricky = library.entries[-1]
    assert tricky.entry_type == "article"
    assert tricky["author"] == "이, 순철 and Müller, José"
    assert tricky["title"].startswith(r"Costs \& 50\% of \{brace\} stuff\_under \#hash")
    assert tricky["year"] == "2024" and tricky["doi"] == r"10.1000/xyz_123"
    first = library.entries[0]
    assert (
        first["title"].startswith("Fetal bone tissue stem cell therapy")
        and first["author"] == "You, Ji-young"
    )


def test_csl_json_validates_against_the_schema(sample):
    records = records_for([*scan_library(sample).entries, TRICKY])
    items = json.loads(to_csl_json(records))
    jsonschema.Draft3Validator.check_schema(SCHEMA)
    jsonschema.Draft3Validator(SCHEMA).validate(items)
    assert [i["id"] for i in items] == [r.key for r in records]
    tricky = items[-1]
    assert tricky["author"] == [{"family": "이", "given": "순철"}, {"family": "Müller", "given": "José"}]
    assert (
        tricky["issued"] == {"date-parts": [[2024, 2, 29]]} and tricky["container-title"] == "Review of R&D"
    )
    # and an invalid item is refused by the same validator (the schema is really checked)
    for bad in ({"type": "blogpost"}, {"unknown-field": 1}, {"author": [{"family": 3}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft3Validator(SCHEMA).validate([{**items[0], **bad}])


def test_apa_reference_through_citeproc():
    record = CitationRecord(
        key="roe2025fetal", relpath="a.txt", title="Fetal bone tissue trial",
        authors=("Jane Q. Roe", "Lee Soon-chul"), date="2025-03-04", source="Korea Biomedical Review", url="https://example.org/a",
    )  # fmt: skip
    (text,) = format_references([record], "apa")
    assert re.match(r"^Roe, J\. Q\., & Lee, S\.-C\. \(2025, March 4\)\. Fetal bone tissue trial\. ", text), (
        text
    )
    assert "Korea Biomedical Review" in text and text.endswith("https://example.org/a")
    (harvard,) = format_references([record], "harvard-cite-them-right")
    assert harvard != text and "Roe" in harvard


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cite_command_pins_keys_once(sample, capsys):
    article = sample / "000_70401d234f345079.txt"
    status, out, _ = _run(capsys, "cite", str(article), "--format", "csl-json", "--no-assign")
    assert status == 0 and json.loads(out)[0]["id"] == "you2025fetal"
    assert not sidecar_path(article).exists()
    status, out, _ = _run(capsys, "cite", str(article), "--format", "text")
    assert status == 0 and out.startswith("You, J.-Y. (2025, November 20).")
    assert read_article_data(article).citekey == "you2025fetal"
    # an edited author afterwards does not change the key given out
    update_article_data(article, lambda d: with_value(d, "authors", ["Kim, Min-su"]))
    status, out, _ = _run(capsys, "cite", str(sample), "--format", "bibtex")
    assert status == 0 and "@misc{you2025fetal," in out and "Kim, Min-su" in out


def test_cite_errors_are_one_line(sample, capsys, tmp_path):
    article = str(sample / "000_70401d234f345079.txt")
    (sample / "notes.json").write_text("{}", encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    for argv, message in [
        ([article, "--style", "nope", "--format", "text"], "unknown citation style"),
        ([article, "--library", str(other)], "is not inside the library"),
        ([str(sample / "notes.json")], "not an article of the library"),
        ([str(sample / "missing.txt")], "no such file"),
    ]:
        status, out, err = _run(capsys, "cite", *argv)
        assert status == 2 and out == "" and message in err and err.count("\n") == 1, (argv, err)
    assert not sidecar_path(sample / "000_70401d234f345079.txt").exists()


def test_markdown_export_cites_each_quote_with_the_stored_key_and_page(sample, tmp_path):
    import yaml

    from reader.core.articles.loader import load_article
    from reader.core.exchange.markdown import render_markdown_article
    from reader.core.exchange.selection import ExportItem
    from reader.core.notes.store import open_notes

    path = sample / "000_70401d234f345079.txt"
    update_article_data(path, lambda d: with_value(d, "citekey", "you2025bone"))
    article = load_article(path, sample)
    store = open_notes(article)
    first = store.add_quote("Fetal bone tissue")
    second = store.add_quote("osteogenesis imperfecta", occurrence=2)
    text = render_markdown_article(ExportItem(article, (first, second)), tmp_path)
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["citekey"] == "you2025bone"
    quote_lines = [line for line in text.split("\n") if line.startswith("> ") and "[@" in line]
    assert quote_lines == ["> Fetal bone tissue [@you2025bone]", "> osteogenesis imperfecta [@you2025bone]"]

    # As a PDF gives its blocks: each knows its page (page 7, no printed label).
    paged = replace(article, blocks=tuple(replace(b, page=7) for b in article.blocks))
    text = render_markdown_article(ExportItem(paged, (second,)), tmp_path)
    assert "> osteogenesis imperfecta [@you2025bone, p. 7]" in text.split("\n")
    labelled = replace(article, blocks=tuple(replace(b, page=7, page_label="xii") for b in article.blocks))
    text = render_markdown_article(ExportItem(labelled, (second,)), tmp_path)
    assert "> osteogenesis imperfecta [@you2025bone, p. xii]" in text.split("\n")  # the printed label
