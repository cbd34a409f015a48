"""Deletions travel (issue 19): a deleted annotation leaves a tombstone, so that an older copy from another
device does not bring it back, while an edit made there after the deletion does; old tombstones expire."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import json
import shutil
from pathlib import Path

import pytest

from reader.core.articles.loader import load_article
from reader.core.library.conflict_copies import merge_conflict_copies
from reader.core.notes import store as store_module
from reader.core.notes.merge import merge_sides
from reader.core.notes.sidecar import (
    TOMBSTONE_DAYS,
    VERSION,
    SidecarDocument,
    load_annotations,
    parse_sidecar,
    serialize_sidecar,
    sidecar_path,
)
from reader.core.notes.store import NotesStore, open_notes

TEXT = (
    "Bone tissue engineering has long relied on scaffolds seeded with mesenchymal stem cells.\n\n"
    "The trial enrolled twelve patients with osteogenesis imperfecta across three hospitals.\n"
)
COPY = "a.txt.notes.sync-conflict-20261130-120000-ABCDEFG.json"


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> None:
    """Edits and deletions get strictly increasing times, one second apart, starting after now."""
    start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)
    counter = itertools.count(0)

    def tick() -> str:
        return (start + datetime.timedelta(seconds=next(counter))).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    monkeypatch.setattr(store_module, "timestamp", tick)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    path = folder / "a.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def _store(source: Path) -> NotesStore:
    return open_notes(load_article(source, source.parent))


def _device_b(tmp_path: Path, source: Path) -> Path:
    """Another device's copy of the article and its sidecar as they are now."""
    folder = tmp_path / "device-b"
    folder.mkdir()
    copy = folder / source.name
    shutil.copyfile(source, copy)
    shutil.copyfile(sidecar_path(source), sidecar_path(copy))
    return copy


def test_a_deletion_leaves_a_tombstone_with_its_time(source):
    store = _store(source)
    kept = store.add_quote("Bone tissue")
    gone = store.add_quote("twelve patients")
    store.save()
    store.delete(gone.id)
    store.save()
    data = json.loads(sidecar_path(source).read_text(encoding="utf-8"))
    assert data["version"] == VERSION == 2
    assert [t["id"] for t in data["deleted"]] == [gone.id]
    assert data["deleted"][0]["deleted"].endswith("Z")
    assert [a["id"] for a in data["annotations"]] == [kept.id]


def test_an_annotation_never_saved_leaves_no_tombstone(source):
    store = _store(source)
    store.add_quote("Bone tissue")
    store.save()
    unsaved = store.add_quote("twelve patients")
    store.delete(unsaved.id)
    store.save()
    assert "deleted" not in json.loads(sidecar_path(source).read_text(encoding="utf-8"))


def test_delete_on_a_then_an_older_copy_from_b_keeps_it_deleted(tmp_path, source):
    a = _store(source)
    gone = a.add_quote("twelve patients", note="delete me")
    a.save()
    b_file = _device_b(tmp_path, source)
    b = _store(b_file)
    b_added = b.add_quote("Bone tissue", note="added on B")  # B changed something else: a conflict copy
    b.save()
    a.delete(gone.id)
    a.save()
    (source.parent / COPY).write_bytes(sidecar_path(b_file).read_bytes())
    report = merge_conflict_copies(source.parent)
    notes = {x.id: x.note for x in load_annotations(source)}
    assert notes == {b_added.id: "added on B"}
    assert report.conflicts == []
    assert not (source.parent / COPY).exists()


def test_an_edit_on_b_after_the_deletion_comes_back_and_is_reported(tmp_path, source):
    a = _store(source)
    note = a.add_quote("twelve patients", note="v1")
    a.save()
    b_file = _device_b(tmp_path, source)
    a.delete(note.id)
    a.save()
    b = _store(b_file)
    b.update(note.id, note="v2, edited on B after A deleted it")  # later than the deletion (the clock)
    b.save()
    (source.parent / COPY).write_bytes(sidecar_path(b_file).read_bytes())
    report = merge_conflict_copies(source.parent)
    (back,) = load_annotations(source)
    assert back.id == note.id and back.note == "v2, edited on B after A deleted it"
    (conflict,) = report.conflicts
    assert conflict.id == note.id and "deleted" in conflict.reason and "edited after" in conflict.reason
    assert "deleted" not in json.loads(sidecar_path(source).read_text(encoding="utf-8"))
    assert report.summary() == "notes from another device merged: 1 added, 1 conflict to review"


def test_an_edit_on_b_before_the_deletion_stays_deleted(tmp_path, source):
    a = _store(source)
    note = a.add_quote("twelve patients", note="v1")
    a.save()
    b_file = _device_b(tmp_path, source)
    b = _store(b_file)
    b.update(note.id, note="v2 on B, before A deleted it")
    b.save()
    a.delete(note.id)  # later than B's edit
    a.save()
    (source.parent / COPY).write_bytes(sidecar_path(b_file).read_bytes())
    merge_conflict_copies(source.parent)
    assert load_annotations(source) == []


def test_undo_of_a_saved_deletion_survives_a_merge_with_the_deletion(source):
    a = _store(source)
    note = a.add_quote("twelve patients", note="v1")
    a.save()
    other = _store(source)
    before = a.get(note.id)
    a.delete(note.id)
    a.save()
    a.put(before)  # undo: restored after its deletion
    other.update(note.id, color="green")  # another window, unaware of both; saves after
    a.save()
    other.save()
    assert [x.id for x in load_annotations(source)] == [note.id]


def test_tombstones_older_than_the_limit_are_dropped_on_write():
    now = datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC)
    old = (now - datetime.timedelta(days=TOMBSTONE_DAYS + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    young = (now - datetime.timedelta(days=TOMBSTONE_DAYS - 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = SidecarDocument(source="a.txt", text_hash="", deleted={"old": old, "young": young})
    data = json.loads(serialize_sidecar(document, now=now))
    assert data["deleted"] == [{"id": "young", "deleted": young}]
    assert parse_sidecar(serialize_sidecar(document, now=now), "x").deleted == {"young": young}


def test_version_1_sidecars_read_as_before(source):
    v1 = {
        "format": "research-notes-reader/notes",
        "version": 1,
        "source": "a.txt",
        "text_hash": "",
        "annotations": [
            {
                "id": "n1",
                "status": "anchored",
                "color": "yellow",
                "tags": [],
                "note": "old",
                "target": {
                    "selector": [
                        {"type": "TextQuoteSelector", "exact": "Bone tissue", "prefix": "", "suffix": ""},
                        {"type": "TextPositionSelector", "start": 0, "end": 11},
                    ]
                },
                "created": "2025-01-01T00:00:00.000Z",
                "modified": "2025-01-01T00:00:00.000Z",
            }
        ],
    }
    sidecar_path(source).write_text(json.dumps(v1), encoding="utf-8")
    (note,) = load_annotations(source)
    assert note.note == "old" and note.field_modified == {} and note.conflicts == []
    store = _store(source)
    store.update("n1", tags=["new"])
    store.save()
    data = json.loads(sidecar_path(source).read_text(encoding="utf-8"))
    assert data["version"] == 2
    times = data["annotations"][0]["field_modified"]
    assert times["note"] == times["color"] == "2025-01-01T00:00:00.000Z" and times["tags"] > times["note"]


def test_the_merge_is_the_same_whichever_side_merges():
    from reader.core.notes.anchoring import make_annotation

    base = make_annotation(TEXT, 0, 4)
    a = dataclasses.replace(base, note="a", field_modified={"note": "2030-01-01T00:00:02Z"})
    b = dataclasses.replace(
        base,
        tags=["b"],
        note="b",
        field_modified={"note": "2030-01-01T00:00:01Z", "tags": "2030-01-01T00:00:03Z"},
    )
    one = merge_sides({}, {base.id: a}, {base.id: b}, local_deleted={"x": "2030-01-01T00:00:00Z"})
    two = merge_sides({}, {base.id: b}, {base.id: a}, other_deleted={"x": "2030-01-01T00:00:00Z"})
    assert one.annotations == two.annotations
    assert one.deleted == two.deleted == {"x": "2030-01-01T00:00:00Z"}
    merged = one.annotations[base.id]
    assert (merged.note, merged.tags) == ("a", ["b"])
    assert [(k.field, k.value) for k in merged.conflicts] == [("note", "b")]


def test_a_stale_version_put_in_place_does_not_undo_a_newer_edit():
    """A sync tool may put an older sibling version in place: its older field values are not taken for
    edits (three-way merge, field times), while a genuinely newer edit there is."""
    from reader.core.notes.anchoring import make_annotation

    made = make_annotation(TEXT, 0, 4)
    edited = dataclasses.replace(made, tags=["edited"], field_modified={"tags": "2030-01-01T00:00:05Z"})
    stale = dataclasses.replace(
        made, note="other field, newer", field_modified={"note": "2030-01-01T00:00:06Z"}
    )
    result = merge_sides({made.id: edited}, {made.id: edited}, {made.id: stale})
    merged = result.annotations[made.id]
    assert merged.tags == ["edited"] and merged.note == "other field, newer"
    assert result.conflicts == []
