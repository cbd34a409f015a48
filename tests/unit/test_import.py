"""Importing the reader's JSON-LD export back: round trip, merge by id, re-anchoring, matching, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reader.core.articles.loader import load_article
from reader.core.errors import ExportError
from reader.core.exchange import ArticleMatcher, IncomingAnnotation, export_notes, import_notes, parse_export
from reader.core.models import Annotation
from reader.core.notes.sidecar import load_annotations, sidecar_path
from reader.core.notes.store import open_notes

ARTICLES = {
    "alpha.txt": "Alpha article\n\nAs shown above, the results are conclusive and final.\nMore text follows.",
    "sub/deep/한국 기사.txt": "한국어 기사\n\n대통령은 오늘 새로운 정책을 발표했다.\n전문가들은 신중했다.\n",
    "beta notes.txt": "Beta\n\nA sentence about *markdown* and [brackets].\nThe end of it.\n",
}


def write_articles(root: Path) -> Path:
    for relpath, text in ARTICLES.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def make_library(root: Path) -> Path:
    write_articles(root)
    specs: list[tuple[str, str, dict[str, Any]]] = [
        (
            "alpha.txt",
            "the results are conclusive",
            {"color": "green", "note": "Cite **this**.", "tags": ["a", "b c"]},
        ),
        ("alpha.txt", "More text", {}),
        (
            "sub/deep/한국 기사.txt",
            "새로운 정책을",
            {"color": "purple", "note": "정책 메모", "tags": ["정책"]},
        ),
        ("beta notes.txt", "*markdown* and [brackets]", {"color": "blue", "note": "line\n\nbreak"}),
    ]
    for relpath, quote, fields in specs:
        store = open_notes(load_article(root / relpath, root))
        store.add_quote(quote, **fields)
        store.save()
    return root


def key(annotation: Annotation) -> tuple[Any, ...]:
    return (
        annotation.id,
        annotation.exact,
        annotation.start,
        annotation.end,
        annotation.note,
        tuple(annotation.tags),
        annotation.color,
        annotation.created,
        annotation.modified,
    )


def all_annotations(root: Path) -> dict[str, set[tuple[Any, ...]]]:
    return {rel: {key(a) for a in load_annotations(root / rel)} for rel in ARTICLES}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_library(tmp_path / "source")


@pytest.fixture
def export_file(source: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "export.jsonld"
    export_notes(source, None, "jsonld", dest)
    return dest


def test_round_trip_into_an_empty_copy(source: Path, export_file: Path, tmp_path: Path) -> None:
    target = write_articles(tmp_path / "target")
    report = import_notes(export_file, target)
    assert (report.imported, report.updated, report.unchanged, report.unmatched, report.orphaned) == (
        4,
        0,
        0,
        0,
        0,
    )
    assert report.errors == []
    assert sorted(report.sidecars) == sorted(sidecar_path(target / rel) for rel in ARTICLES)
    original = all_annotations(source)
    assert sum(len(v) for v in original.values()) == 4
    assert all_annotations(target) == original
    for rel in ARTICLES:
        assert {a.status for a in load_annotations(target / rel)} == {"anchored"}


def test_importing_twice_changes_nothing(export_file: Path, tmp_path: Path) -> None:
    target = write_articles(tmp_path / "target")
    import_notes(export_file, target)
    before = {rel: sidecar_path(target / rel).read_bytes() for rel in ARTICLES}
    report = import_notes(export_file, target)
    assert (report.imported, report.updated, report.unchanged, report.unmatched) == (0, 0, 4, 0)
    assert report.sidecars == []
    assert {rel: sidecar_path(target / rel).read_bytes() for rel in ARTICLES} == before


def test_importing_into_the_same_library_is_unchanged(source: Path, export_file: Path) -> None:
    before = all_annotations(source)
    report = import_notes(export_file, source)
    assert report.unchanged == 4
    assert all_annotations(source) == before


def edit_export(path: Path, change: Any) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for item in doc["first"]["items"]:
        change(item)
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_newer_incoming_edits_update_and_older_ones_do_not(source: Path, export_file: Path) -> None:
    def newer(item: dict[str, Any]) -> None:
        if item["target"]["selector"][0]["exact"] == "More text":
            item["body"] = [{"type": "TextualBody", "value": "added elsewhere", "purpose": "commenting"}]
            item["modified"] = "2099-01-01T00:00:00Z"
        if item["target"]["selector"][0]["exact"] == "새로운 정책을":
            item["body"][0]["value"] = "stale edit"
            item["modified"] = "2000-01-01T00:00:00Z"

    edit_export(export_file, newer)
    report = import_notes(export_file, source)
    assert (report.imported, report.updated, report.unchanged) == (0, 1, 3)
    notes = {a.exact: a for a in load_annotations(source / "alpha.txt")}
    assert notes["More text"].note == "added elsewhere"
    assert notes["More text"].modified == "2099-01-01T00:00:00Z"
    (korean,) = load_annotations(source / "sub/deep/한국 기사.txt")
    assert korean.note == "정책 메모"


def test_local_notes_are_kept_when_merging(source: Path, export_file: Path, tmp_path: Path) -> None:
    target = write_articles(tmp_path / "target")
    store = open_notes(load_article(target / "alpha.txt", target))
    mine = store.add_quote("follows", note="my own note")
    store.save()
    import_notes(export_file, target)
    ids = {a.id for a in load_annotations(target / "alpha.txt")}
    assert mine.id in ids
    assert len(ids) == 3


def test_edited_and_moved_articles_are_re_anchored(export_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    # alpha.txt moved into a folder and edited before the quote; the Korean article renamed folder
    (target / "moved").mkdir()
    (target / "moved" / "alpha.txt").write_text(
        "Alpha article\n\nA new first paragraph.\n\nAs shown above, the results are conclusive and final.\n"
        "More text follows.\n",
        encoding="utf-8",
    )
    (target / "other").mkdir()
    (target / "other" / "한국 기사.txt").write_text(ARTICLES["sub/deep/한국 기사.txt"], encoding="utf-8")
    report = import_notes(export_file, target)
    assert report.unmatched == 1  # "beta notes.txt" is not in this library
    assert report.unmatched_sources == ["beta notes.txt"]
    assert report.imported == 3
    text = load_article(target / "moved" / "alpha.txt", target).text
    for annotation in load_annotations(target / "moved" / "alpha.txt"):
        assert text[annotation.start : annotation.end] == annotation.exact
        assert annotation.status in ("anchored", "moved")
    assert {a.exact for a in load_annotations(target / "moved" / "alpha.txt")} == {
        "the results are conclusive",
        "More text",
    }
    assert len(load_annotations(target / "other" / "한국 기사.txt")) == 1
    assert not sidecar_path(target / "beta notes.txt").exists()


def test_a_vanished_quote_is_imported_as_orphaned(export_file: Path, tmp_path: Path) -> None:
    target = write_articles(tmp_path / "target")
    (target / "beta notes.txt").write_text("Beta\n\nEntirely different words now.\n", encoding="utf-8")
    report = import_notes(export_file, target)
    assert report.imported == 4
    assert report.orphaned == 1
    (orphan,) = load_annotations(target / "beta notes.txt")
    assert orphan.status == "orphaned"
    assert orphan.note == "line\n\nbreak"


def test_dry_run_writes_nothing(export_file: Path, tmp_path: Path) -> None:
    target = write_articles(tmp_path / "target")
    report = import_notes(export_file, target, dry_run=True)
    assert report.imported == 4
    assert report.sidecars == []
    assert not any(p.name.endswith(".notes.json") for p in target.rglob("*"))


def test_progress(export_file: Path, tmp_path: Path) -> None:
    target = write_articles(tmp_path / "target")
    calls: list[tuple[int, int]] = []
    import_notes(export_file, target, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ('"a string"', "not a Web Annotation"),
        ('{"type": "Something"}', "not a Web Annotation"),
        ('{"type": "AnnotationCollection", "total": 2}', "no embedded 'first' page"),
        ('{"type": "AnnotationPage", "items": [{"type": "Annotation", "id": "urn:uuid:x"}]}', "no target"),
        (
            '{"type": "Annotation", "id": "x", "target": {"selector": [{"type": "TextPositionSelector",'
            ' "start": 1, "end": 2}]}}',
            "no TextQuoteSelector",
        ),
        (
            '{"type": "Annotation", "id": "x",'
            ' "target": {"selector": [{"type": "TextQuoteSelector", "exact": 5}]}}',
            "'exact' is not a string",
        ),
    ],
)
def test_bad_input_is_an_export_error(tmp_path: Path, content: str, message: str) -> None:
    target = write_articles(tmp_path / "target")
    bad = tmp_path / "bad.jsonld"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ExportError, match=message) as info:
        import_notes(bad, target)
    assert "bad.jsonld" in str(info.value)
    assert not any(p.name.endswith(".notes.json") for p in target.rglob("*"))


def test_binary_input_is_an_export_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonld"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ExportError, match="not valid JSON"):
        import_notes(bad, write_articles(tmp_path / "target"))


def test_missing_file_and_library(tmp_path: Path, export_file: Path) -> None:
    with pytest.raises(ExportError, match="cannot be read"):
        import_notes(tmp_path / "nope.jsonld", write_articles(tmp_path / "target"))
    with pytest.raises(ExportError, match="not a library folder"):
        import_notes(export_file, tmp_path / "no-library")


def test_parse_accepts_single_annotations_and_arrays() -> None:
    one = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "urn:uuid:6f1c2a3e-8d4b-4e2a-9c1f-2b7d5e9a0c11",
        "type": "Annotation",
        "bodyValue": "a plain note",
        "target": {
            "source": "file:///home/alice/My%20Notes/report.md",
            "styleClass": ["blue"],
            "selector": [{"type": "TextQuoteSelector", "exact": "quote"}],
        },
    }
    (parsed,) = parse_export(json.dumps(one))
    assert parsed.annotation.id == "6f1c2a3e-8d4b-4e2a-9c1f-2b7d5e9a0c11"
    assert parsed.annotation.note == "a plain note"
    assert parsed.annotation.color == "blue"
    assert (parsed.annotation.start, parsed.annotation.end) == (0, 5)
    assert parsed.source == "file:///home/alice/My%20Notes/report.md"
    assert parsed.relpath is None
    assert len(parse_export(json.dumps([one, one]))) == 2


def test_matcher_prefers_relpath_then_longest_path_suffix() -> None:
    matcher = ArticleMatcher(
        Path("/lib"), ["a/notes.txt", "b/notes.txt", "x/y/unique.txt", "My Notes/report.md"]
    )

    def incoming(source: str | None, relpath: str | None = None) -> IncomingAnnotation:
        return IncomingAnnotation(Annotation(exact="q", start=0, end=1), source, relpath)

    assert matcher.match(incoming(None, "a/notes.txt")) == "a/notes.txt"
    assert matcher.match(incoming("file:///old/machine/b/notes.txt")) == "b/notes.txt"
    assert matcher.match(incoming("file:///old/notes.txt")) is None  # ambiguous file name
    assert matcher.match(incoming("file:///anywhere/unique.txt")) == "x/y/unique.txt"
    assert matcher.match(incoming("file:///home/alice/My%20Notes/report.md")) == "My Notes/report.md"
    assert matcher.match(incoming(None, "gone/x/unique.txt")) == "x/y/unique.txt"
    assert matcher.match(incoming("file:///nothing.txt", "nothing.txt")) is None


def test_unreadable_sidecar_is_reported_not_overwritten(export_file: Path, tmp_path: Path) -> None:
    target = write_articles(tmp_path / "target")
    broken = sidecar_path(target / "alpha.txt")
    broken.write_text("{broken", encoding="utf-8")
    report = import_notes(export_file, target)
    assert broken.read_text(encoding="utf-8") == "{broken"
    assert len(report.errors) == 1
    assert "alpha.txt.notes.json" in report.errors[0]
    assert report.imported == 2


def test_round_trip_keeps_a_copy_of_the_library_intact(
    source: Path, export_file: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("*.notes.json*"))
    import_notes(export_file, copy)
    assert all_annotations(copy) == all_annotations(source)
