"""The sidecar file format: layout, key order, forward compatibility, strict and lenient parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reader.core.errors import SidecarError
from reader.core.notes.anchoring import make_annotation
from reader.core.notes.sidecar import (
    FORMAT,
    VERSION,
    SidecarDocument,
    count_annotations,
    is_sidecar,
    load_annotations,
    parse_sidecar,
    serialize_sidecar,
    sidecar_path,
    source_path,
)

TEXT = "Fetal bone tissue stem cell therapy enters its first Korean trial. 한국어 문장도 있다 🦴."


def _document() -> SidecarDocument:
    first = make_annotation(TEXT, 6, 17, color="green", note="**bone**", tags=["medicine"])
    second = make_annotation(TEXT, 0, 5)
    return SidecarDocument(source="a.txt", text_hash="sha256:abc", annotations=[first, second])


def test_paths():
    assert sidecar_path(Path("/lib/a.txt")) == Path("/lib/a.txt.notes.json")
    assert is_sidecar(Path("a.txt.notes.json"))
    assert not is_sidecar(Path("a.txt"))
    assert source_path(Path("/lib/a.txt.notes.json")) == Path("/lib/a.txt")
    with pytest.raises(ValueError, match="not a sidecar"):
        source_path(Path("a.txt"))


def test_layout_is_pretty_ordered_and_in_text_order():
    data = serialize_sidecar(_document())
    text = data.decode("utf-8")
    assert text.endswith("}\n")
    assert "\n  " in text
    top = json.loads(text)
    assert list(top) == ["format", "version", "source", "text_hash", "annotations"]
    assert top["format"] == FORMAT
    assert top["version"] == VERSION == 2  # article data, tombstones, field times, kept conflicts
    first = top["annotations"][0]
    assert list(first) == ["id", "status", "color", "tags", "note", "target", "created", "modified"]
    assert [a["target"]["selector"][0]["exact"] for a in top["annotations"]] == ["Fetal", "bone tissue"]
    quote, position = first["target"]["selector"]
    assert list(quote) == ["type", "exact", "prefix", "suffix"]
    assert list(position) == ["type", "start", "end"]


def test_non_ascii_is_written_as_is():
    document = _document()
    document.annotations[0].note = "뼈 🦴"
    assert "뼈 🦴".encode() in serialize_sidecar(document)


def test_round_trip_and_unknown_keys_are_preserved():
    document = _document()
    raw = json.loads(serialize_sidecar(document))
    raw["x-future"] = {"a": 1}
    item = raw["annotations"][1]
    item["x-author"] = "alice"
    item["target"]["source"] = "file:///elsewhere/a.txt"
    item["target"]["selector"][0]["x-extra"] = True
    item["target"]["selector"].append({"type": "XPathSelector", "value": "/p[1]"})
    data = json.dumps(raw).encode()
    parsed = parse_sidecar(data, "a.txt.notes.json")
    assert parsed.annotations == sorted(document.annotations, key=lambda a: a.start)
    parsed.annotations[1].note = "changed"
    again = json.loads(serialize_sidecar(parsed))
    assert again["x-future"] == {"a": 1}
    item = again["annotations"][1]
    assert item["note"] == "changed"
    assert item["x-author"] == "alice"
    assert item["target"]["source"] == "file:///elsewhere/a.txt"
    assert item["target"]["selector"][0]["x-extra"] is True
    assert item["target"]["selector"][2] == {"type": "XPathSelector", "value": "/p[1]"}


def _valid() -> dict:
    return json.loads(serialize_sidecar(_document()))


def _without(key: str) -> dict:
    data = _valid()
    del data["annotations"][0][key]
    return data


CORRUPT = {
    "empty file": b"",
    "truncated JSON": serialize_sidecar(_document())[:-40],
    "invalid UTF-8": b'{"format": "\xff\xfe"}',
    "not an object": b"[1, 2, 3]\n",
    "version 99": json.dumps({**_valid(), "version": 99}).encode(),
    "other format": json.dumps({**_valid(), "format": "something/else"}).encode(),
    "annotations not a list": json.dumps({**_valid(), "annotations": {"a": 1}}).encode(),
    "start is a string": json.dumps(
        {
            **_valid(),
            "annotations": [
                {
                    **_valid()["annotations"][0],
                    "target": {
                        "selector": [
                            _valid()["annotations"][0]["target"]["selector"][0],
                            {"type": "TextPositionSelector", "start": "1", "end": 2},
                        ]
                    },
                }
            ],
        }
    ).encode(),
    "tags not a list": json.dumps(
        {**_valid(), "annotations": [{**_valid()["annotations"][0], "tags": "a,b"}]}
    ).encode(),
    "unknown status": json.dumps(
        {**_valid(), "annotations": [{**_valid()["annotations"][0], "status": "lost"}]}
    ).encode(),
    "missing note": json.dumps(_without("note")).encode(),
    "missing id": json.dumps(_without("id")).encode(),
    "missing target": json.dumps(_without("target")).encode(),
    "annotation not an object": json.dumps({**_valid(), "annotations": ["x"]}).encode(),
    "duplicate ids": json.dumps({**_valid(), "annotations": [_valid()["annotations"][0]] * 2}).encode(),
}


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_corrupt_sidecars_give_a_one_line_reason(kind):
    with pytest.raises(SidecarError) as info:
        parse_sidecar(CORRUPT[kind], "a.txt.notes.json")
    message = str(info.value)
    assert message.startswith("a.txt.notes.json: cannot be parsed: ")
    assert "\n" not in message


def test_future_version_message_says_so():
    with pytest.raises(SidecarError, match="newer version of the reader"):
        parse_sidecar(CORRUPT["version 99"], "a.txt.notes.json")


def test_lenient_parsing_fills_optional_fields():
    data = _without("note")
    del data["annotations"][0]["tags"]
    del data["format"]
    del data["version"]
    parsed = parse_sidecar(json.dumps(data).encode(), "x", strict=False)
    assert parsed.annotations[0].note == ""
    assert parsed.annotations[0].tags == []
    with pytest.raises(SidecarError):
        parse_sidecar(json.dumps(_without("id")).encode(), "x", strict=False)


def test_count_and_load_annotations(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text(TEXT, encoding="utf-8")
    assert count_annotations(source) == 0
    assert load_annotations(source) == []
    sidecar_path(source).write_bytes(serialize_sidecar(_document()))
    assert count_annotations(source) == 2
    assert [a.exact for a in load_annotations(source)] == ["Fetal", "bone tissue"]
    sidecar_path(source).write_bytes(b"{broken")
    assert count_annotations(source) == 0
    with pytest.raises(SidecarError, match="cannot be parsed"):
        load_annotations(source)


_CHARS = st.characters(blacklist_categories=("Cs",))


@settings(max_examples=50, deadline=None)
@given(
    text=st.text(_CHARS, min_size=2, max_size=200),
    data=st.data(),
    note=st.text(_CHARS, max_size=50),
    tags=st.lists(st.text(_CHARS, min_size=1, max_size=10), max_size=4),
)
def test_round_trip_of_generated_content(text, data, note, tags):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assume(text[start:end].strip())  # a whitespace-only selection is refused
    annotation = make_annotation(text, start, end, note=note, tags=tags)
    document = SidecarDocument(source="ü.txt", text_hash="sha256:0", annotations=[annotation])
    parsed = parse_sidecar(serialize_sidecar(document), "ü.txt.notes.json")
    assert parsed.annotations == [annotation]
    assert text[parsed.annotations[0].start : parsed.annotations[0].end] == parsed.annotations[0].exact
