"""Property-based fuzzing (Hypothesis) of the boundaries that take outside data, filling the gaps left by
the unit tests (which cover generated queries, sidecar round trips, text articles and insertions before a
quote):

- any bytes into the sidecar loader raise nothing but :class:`SidecarError`; sidecar-shaped JSON with
  arbitrary values too, and what parses opens in a :class:`NotesStore` and saves without losing an id;
- any bytes into the decoder give normalized text or :class:`BinaryFileError`; any bytes as an HTML or
  Markdown file give an article or :class:`ArticleReadError`, with consistent blocks and links;
- anchoring after arbitrary edits returns a span inside the text that equals the quote unless it is fuzzy
  or orphaned;
- any Unicode string (lone surrogates, controls, very long) as a query runs or raises :class:`QueryError`.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from reader.core.articles.decode import BinaryFileError, decode_bytes
from reader.core.articles.loader import article_from_bytes
from reader.core.errors import ArticleReadError, QueryError, SidecarError
from reader.core.notes.anchoring import anchor, make_annotation, reanchor
from reader.core.notes.sidecar import load_annotations, parse_sidecar, serialize_sidecar, sidecar_path
from reader.core.notes.store import NotesStore
from reader.core.search.index import SearchIndex

_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def fuzz(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=_HEALTH)


# ------------------------------------------------------------------------------------------- sidecars

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_SELECTOR = st.fixed_dictionaries(
    {"type": st.sampled_from(["TextQuoteSelector", "TextPositionSelector", "Other"])},
    optional={
        "exact": _JSON | st.text(max_size=20),
        "prefix": _JSON | st.text(max_size=5),
        "suffix": st.text(max_size=5),
        "start": _JSON | st.integers(-5, 200),
        "end": _JSON | st.integers(-5, 200),
    },
)
_ITEM = st.fixed_dictionaries(
    {},
    optional={
        "id": _JSON | st.sampled_from(["a", "b", ""]),
        "status": _JSON | st.sampled_from(["anchored", "moved", "fuzzy", "orphaned"]),
        "color": _JSON | st.just("yellow"),
        "tags": _JSON | st.lists(st.text(max_size=5), max_size=3),
        "note": _JSON | st.text(max_size=20),
        "target": _JSON | st.fixed_dictionaries({"selector": st.lists(_SELECTOR, max_size=3)}),
        "created": _JSON | st.just("2025-01-01T00:00:00Z"),
        "modified": _JSON | st.just("bad date"),
        "extra": _JSON,
    },
)
_SIDECAR_SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "format": st.just("research-notes-reader/notes") | _JSON,
        "version": st.integers(-1, 3) | _JSON,
        "source": st.text(max_size=10) | _JSON,
        "text_hash": st.text(max_size=10) | _JSON,
        "annotations": st.lists(_ITEM, max_size=4) | _JSON,
        "other": _JSON,
    },
)
TEXT = "Bone tissue engineering has long relied on scaffolds seeded with mesenchymal stem cells.\n"


@fuzz(400)
@given(data=st.binary(max_size=600) | _SIDECAR_SHAPED.map(lambda d: json.dumps(d).encode()))
def test_any_bytes_into_the_sidecar_loader_raise_only_sidecar_error(data: bytes) -> None:
    for strict in (True, False):
        try:
            document = parse_sidecar(data, "x.notes.json", strict=strict)
        except SidecarError as exc:
            message = str(exc)
            assert "\n" not in message
            continue
        for a in document.annotations:
            assert 0 <= a.start <= a.end
        again = parse_sidecar(serialize_sidecar(document), "x.notes.json", strict=strict)
        assert again.annotations == document.annotations


@fuzz(150)
@given(doc=_SIDECAR_SHAPED)
def test_sidecar_shaped_json_opens_in_a_store_and_saves_without_losing_an_id(tmp_path: Path, doc) -> None:
    folder = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    source = folder / "a.txt"
    source.write_text(TEXT, encoding="utf-8")
    data = json.dumps(doc).encode()
    sidecar_path(source).write_bytes(data)
    try:
        loaded = load_annotations(source)
    except SidecarError:
        loaded = None
    store = NotesStore(source, TEXT)  # never raises: an unparsable sidecar makes it read-only
    if store.read_only:
        assert sidecar_path(source).read_bytes() == data
        with pytest.raises(SidecarError):
            store.save()
        return
    assert loaded is not None
    ids = {a.id for a in store.annotations()}
    assert ids == {a.id for a in loaded}
    for a in store.anchored():
        assert 0 <= a.start <= a.end <= len(TEXT)
    store.add(0, 4, note="new")
    assert store.save()
    assert ids <= {a.id for a in load_annotations(source)}


# ------------------------------------------------------------------------------------------- decoding

_TAGS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<table><tr><td>",
        "<script>x()</script>",
        "<br>",
        "<a href='javascript:x()'>",
        "<a href='https://e.org'>",
        "</a>",
        "<h1>",
        "<!--",
        "-->",
        "<style>",
        "&amp;",
        "&#0;",
        "<meta charset='cp949'>",
        "\x00",
        "\r\n",
        "\ufeff",
    ]
)
_HTMLISH = st.lists(_TAGS | st.text(max_size=15), max_size=30).map("".join)


@fuzz(300)
@example(data=b"a\x00b\x00c\x00d\x00e")  # UTF-16 without BOM, odd length: raised (fixed)
@example(data="\x01\ufeffx".encode())  # a BOM behind a control character was kept (fixed)
@given(data=st.binary(max_size=400) | _HTMLISH.map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_any_bytes_decode_to_normalized_text_or_binary_error(data: bytes) -> None:
    try:
        decoded = decode_bytes(data)
    except BinaryFileError as exc:
        reason = str(exc)
        assert reason.startswith("binary file")
        return
    text = decoded.text
    assert "\r" not in text
    if data.startswith(b"\x01\xef\xbb\xbf"):
        assert not text.startswith("\ufeff")
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text)
    assert unicodedata.is_normalized("NFC", text)


@fuzz(200)
@given(
    data=_HTMLISH.map(lambda s: s.encode("utf-8", "surrogatepass")) | st.binary(max_size=300),
    name=st.sampled_from(["a.html", "a.md", "a.txt"]),
)
def test_any_bytes_as_an_article_give_consistent_blocks(data: bytes, name: str) -> None:
    try:
        article = article_from_bytes(data, Path("/lib") / name, name)
    except ArticleReadError:
        return
    for block in article.blocks:
        assert 0 <= block.start <= block.end <= len(article.text)
    for link in article.links:
        assert 0 <= link.start < link.end <= len(article.text)
        assert link.href.lower().startswith(("http://", "https://", "mailto:"))
    assert "<script" not in article.text.lower() or name != "a.html" or "x()" not in article.text


# ------------------------------------------------------------------------------------------- anchoring

_CHARS = st.characters(blacklist_categories=("Cs",))
_EDIT = st.tuples(
    st.sampled_from(["insert", "delete", "replace"]),
    st.floats(0, 1),
    st.floats(0, 1),
    st.text(_CHARS, max_size=12),
)


def _apply(text: str, edits: list[tuple[str, float, float, str]]) -> str:
    for kind, a, b, piece in edits:
        i = int(a * len(text))
        j = min(len(text), i + int(b * 20))
        if kind == "insert":
            text = text[:i] + piece + text[i:]
        elif kind == "delete":
            text = text[:i] + text[j:]
        else:
            text = text[:i] + piece + text[j:]
    return text


@fuzz(250)
@given(text=st.text(_CHARS, min_size=1, max_size=300), data=st.data(), edits=st.lists(_EDIT, max_size=5))
def test_anchoring_after_arbitrary_edits_never_returns_a_wrong_exact_span(text, data, edits) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, min(len(text), start + 80)))
    assume(text[start:end].strip())  # a whitespace-only selection is refused
    annotation = make_annotation(text, start, end)  # trimmed of whitespace at its ends
    edited = _apply(text, edits)
    result = anchor(annotation, edited)
    if result.status in ("anchored", "moved"):
        assert 0 <= result.start < result.end <= len(edited)
        assert edited[result.start : result.end] == annotation.exact
    elif result.status == "fuzzy":
        assert 0 <= result.start < result.end <= len(edited)
    else:
        # an orphan keeps its last known position
        assert (result.start, result.end) == (annotation.start, annotation.end)
    updated, _ = reanchor(annotation, edited)
    if updated.status in ("anchored", "moved"):
        assert edited[updated.start : updated.end] == updated.exact


# ------------------------------------------------------------------------------------------- queries


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("query-fuzz")
    library = root / "library"
    library.mkdir()
    (library / "a.txt").write_text(
        "Stem cell therapy\n\n대통령은 오늘 취임하였다. Bone scaffolds.\n", encoding="utf-8"
    )
    index = SearchIndex(root / "index", library)
    index.update()
    yield index
    index.close()


@fuzz(300)
@given(query=st.text(max_size=60) | st.text(min_size=1001, max_size=1100))
def test_any_unicode_query_runs_or_raises_query_error(small_index: SearchIndex, query: str) -> None:
    try:
        small_index.search(query, limit=3)
    except QueryError as exc:
        message = str(exc)
        assert message and "\n" not in message
