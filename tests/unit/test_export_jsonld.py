"""JSON-LD export: a W3C AnnotationCollection that passes the W3C test-suite MUST assertions (validate.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.core.articles.loader import load_article
from reader.core.exchange import ExportItem, annotation_jsonld, export_notes, render_jsonld
from reader.core.models import COLORS, Annotation, Article, ArticleMeta
from reader.core.notes.store import open_notes

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT.parent / "shared" / "w3c-annotation" / "validate.py"


def load_validator() -> ModuleType:
    if not VALIDATOR.is_file():
        pytest.fail(f"the W3C annotation validator is missing: {VALIDATOR} (expected in ../shared)")
    spec = importlib.util.spec_from_file_location("w3c_annotation_validate", VALIDATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


validate = load_validator()


def check(doc: Any) -> tuple[dict[str, int], list[str]]:
    counts, failures = validate.check(doc)
    return dict(counts), list(failures)


def make_library(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "paper one.txt").write_text(
        "Paper one\n\nAs shown above, the results are conclusive and final.\nMore text.\n", encoding="utf-8"
    )
    (root / "notes").mkdir()
    (root / "notes" / "한국어.txt").write_text(
        "한국어 기사\n\n대통령은 말했다. 정책이 바뀐다.\n", encoding="utf-8"
    )
    store = open_notes(load_article(root / "paper one.txt", root))
    store.add_quote(
        "the results are conclusive",
        color="green",
        note="This claim needs a **citation**.",
        tags=["needs-citation", "review"],
    )
    store.add_quote("More text", color="yellow")  # no note, no tags: no body at all
    store.save()
    store = open_notes(load_article(root / "notes" / "한국어.txt", root))
    store.add_quote("정책이 바뀐다", color="purple", note="메모", tags=["정책"])
    store.save()
    return root


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return make_library(tmp_path / "library")


def exported(library: Path, dest: Path, **options: Any) -> Any:
    export_notes(library, None, "jsonld", dest, **options)
    return json.loads(dest.read_text(encoding="utf-8"))


def test_the_validator_itself_accepts_the_reference_example() -> None:
    example = json.loads((VALIDATOR.parent / "example-valid.json").read_text(encoding="utf-8"))
    counts, failures = check(example)
    assert failures == []
    assert counts == {"annotation": 1}
    counts, failures = check({**example, "id": "not a uri"})
    assert failures


def test_export_is_a_valid_annotation_collection(library: Path, tmp_path: Path) -> None:
    doc = exported(library, tmp_path / "notes.jsonld")
    counts, failures = check(doc)
    assert failures == []
    assert counts == {"collection": 1, "page": 1, "annotation": 3}
    assert doc["type"] == "AnnotationCollection"
    assert doc["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert doc["total"] == 3
    assert doc["first"]["type"] == "AnnotationPage"
    assert doc["id"].startswith("urn:uuid:")
    assert doc["first"]["id"].startswith("urn:uuid:")


def test_annotation_shape(library: Path, tmp_path: Path) -> None:
    doc = exported(library, tmp_path / "notes.jsonld")
    items = {item["target"]["selector"][0]["exact"]: item for item in doc["first"]["items"]}
    store = open_notes(load_article(library / "paper one.txt", library))
    original = next(a for a in store.annotations() if a.exact == "the results are conclusive")
    item = items["the results are conclusive"]
    assert item["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert item["id"] == f"urn:uuid:{original.id}"
    assert item["type"] == "Annotation"
    assert item["created"] == original.created
    assert item["modified"] == original.modified
    assert item["body"][0] == {
        "type": "TextualBody",
        "value": "This claim needs a **citation**.",
        "format": "text/markdown",
        "purpose": "commenting",
    }
    assert item["body"][1:] == [
        {"type": "TextualBody", "value": "needs-citation", "purpose": "tagging"},
        {"type": "TextualBody", "value": "review", "purpose": "tagging"},
    ]
    target = item["target"]
    assert target["type"] == "SpecificResource"
    assert target["source"] == (library / "paper one.txt").resolve().as_uri()
    assert "%20" in target["source"]
    assert [s["type"] for s in target["selector"]] == ["TextQuoteSelector", "TextPositionSelector"]
    quote, position = target["selector"]
    assert (quote["exact"], quote["prefix"], quote["suffix"]) == (
        original.exact,
        original.prefix,
        original.suffix,
    )
    assert (position["start"], position["end"]) == (original.start, original.end)
    # the colour: a style class defined by the annotation's own stylesheet (W3C model §4.4)
    assert target["styleClass"] == "green"
    assert item["stylesheet"]["type"] == "CssStylesheet"
    assert ".green {" in item["stylesheet"]["value"]
    assert item["reader:relpath"] == "paper one.txt"
    assert "body" not in items["More text"]
    assert items["정책이 바뀐다"]["reader:relpath"] == "notes/한국어.txt"


def test_every_annotation_alone_also_validates(library: Path, tmp_path: Path) -> None:
    doc = exported(library, tmp_path / "notes.jsonld")
    for item in doc["first"]["items"]:
        counts, failures = check(item)
        assert failures == []
        assert counts == {"annotation": 1}


def test_per_article_files_are_valid_collections(library: Path, tmp_path: Path) -> None:
    report = export_notes(library, None, "jsonld", tmp_path / "out", per_article=True)
    assert len(report.written) == 2
    total = 0
    for path in report.written:
        counts, failures = check(json.loads(path.read_text(encoding="utf-8")))
        assert failures == []
        total += counts["annotation"]
    assert total == 3


def test_timestamps_without_zone_are_written_as_utc(tmp_path: Path) -> None:
    article = Article(
        path=tmp_path / "a.txt", relpath="a.txt", text="abc", blocks=(), meta=ArticleMeta(title="A")
    )
    annotation = Annotation(
        exact="b", start=1, end=2, created="2024-05-01T12:34:56", modified="2024-05-01 12:34:56.5"
    )
    data = annotation_jsonld(annotation, article)
    assert data["created"] == "2024-05-01T12:34:56Z"
    assert data["modified"] == "2024-05-01T12:34:56.500000Z"
    assert check(data)[1] == []
    data = annotation_jsonld(
        Annotation(exact="b", start=1, end=2, created="yesterday", modified="now"), article
    )
    assert "created" not in data
    assert check(data)[1] == []


def test_non_uuid_ids_still_give_uri_ids(tmp_path: Path) -> None:
    article = Article(
        path=tmp_path / "a.txt", relpath="a.txt", text="abc", blocks=(), meta=ArticleMeta(title="A")
    )
    for annotation_id in ("legacy id 7", "urn:example:7"):
        data = annotation_jsonld(Annotation(exact="b", start=1, end=2, id=annotation_id), article)
        assert check(data)[1] == []


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            texts.filter(bool),
            texts,
            texts,
            st.integers(0, 10_000),
            st.sampled_from([*COLORS, "Dark Red", "3d"]),
            texts,
            st.lists(texts.filter(str.strip), max_size=4),
        ),
        max_size=6,
    )
)
def test_any_annotations_validate(
    tmp_path: Path, specs: list[tuple[str, str, str, int, str, str, list[str]]]
) -> None:
    article = Article(
        path=tmp_path / "article with spaces & 한글.txt",
        relpath="article with spaces & 한글.txt",
        text="",
        blocks=(),
        meta=ArticleMeta(title="T"),
    )
    annotations = tuple(
        Annotation(exact=e, prefix=p, suffix=s, start=n, end=n + len(e), color=c, note=note, tags=tags)
        for e, p, s, n, c, note, tags in specs
    )
    doc = json.loads(render_jsonld([ExportItem(article, annotations)], "label"))
    counts, failures = check(doc)
    assert failures == []
    assert counts.get("annotation", 0) == len(annotations)
