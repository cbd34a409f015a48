"""Conflict copies of sidecars (issue 19): found by every sync tool's name, merged per annotation id with
nothing lost, moved to the data folder as restorable backups; unparsable copies left alone; conflict copies
of articles listed as problems, their notes merged into the original's."""

from __future__ import annotations

import datetime
import itertools
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.__main__ import main
from reader.core import paths
from reader.core.articles.loader import load_article
from reader.core.library.conflict_copies import (
    find_conflict_copies,
    merge_conflict_copies,
    restore_conflict_backup,
)
from reader.core.library.scan import iter_article_files, scan_library
from reader.core.notes import store as store_module
from reader.core.notes.sidecar import load_annotations, sidecar_path
from reader.core.notes.store import NotesStore, open_notes

TEXT = (
    "Bone tissue engineering has long relied on scaffolds seeded with mesenchymal stem cells.\n\n"
    "The trial enrolled twelve patients with osteogenesis imperfecta across three hospitals.\n\n"
    "Researchers measured bone mineral density at six and twelve months after the infusion.\n"
)
SAMPLE = Path(__file__).resolve().parents[2] / "library"

#: One conflict-copy name per sync tool and naming form, for ``a.txt.notes.json``.
COPY_NAMES = {
    "syncthing": "a.txt.notes.sync-conflict-20261130-120000-ABCDEFG.json",
    "syncthing, copy of a copy": (
        "a.txt.notes.sync-conflict-20261130-120000-ABCDEFG.sync-conflict-20261130-120001-HIJKLMN.json"
    ),
    "dropbox": "a.txt.notes (conflicted copy 2026-11-30).json",
    "dropbox, named": "a.txt.notes (Ana's conflicted copy 2026-11-30).json",
    "nextcloud": "a.txt.notes (conflicted copy 2026-11-30 120000).json",
    "owncloud": "a.txt.notes_conflict-20261130-120000.json",
    "onedrive": "a.txt.notes-LAPTOP.json",
    "google drive": "a.txt.notes (1).json",
}


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Callable[[], str]:
    """Edits get strictly increasing times (one second apart), so "the latest edit" is well defined."""
    start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)
    counter = itertools.count(0)

    def tick() -> str:
        now = start + datetime.timedelta(seconds=next(counter))
        return now.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    monkeypatch.setattr(store_module, "timestamp", tick)
    return tick


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    root.mkdir()
    (root / "a.txt").write_text(TEXT, encoding="utf-8")
    return root


def _store(source: Path) -> NotesStore:
    return open_notes(load_article(source, source.parent))


def _other_device(tmp_path: Path, source: Path, edit: Callable[[NotesStore], None]) -> bytes:
    """The sidecar of ``source`` as another device has it after ``edit``: a copy of the file as it is now,
    edited there (its own folder, its own store)."""
    device = tmp_path / f"device{len(list(tmp_path.glob('device*')))}"
    device.mkdir()
    copy = device / source.name
    shutil.copyfile(source, copy)
    if sidecar_path(source).exists():
        shutil.copyfile(sidecar_path(source), sidecar_path(copy))
    store = _store(copy)
    edit(store)
    store.save()
    return sidecar_path(copy).read_bytes()


def _notes(source: Path) -> dict[str, str]:
    return {a.id: a.note for a in load_annotations(source)}


@pytest.mark.parametrize("tool", list(COPY_NAMES))
def test_each_naming_pattern_is_merged_with_nothing_lost(tmp_path, library, tool):
    source = library / "a.txt"
    here = _store(source)
    kept = here.add_quote("Bone tissue", note="written here")
    here.save()
    added: list[str] = []
    copy_bytes = _other_device(
        tmp_path, source, lambda s: added.append(s.add_quote("twelve patients", note="written there").id)
    )
    here.update(kept.id, tags=["later", "here"])  # the sidecar changed too: a real conflict
    here.save()
    copy = library / COPY_NAMES[tool]
    copy.write_bytes(copy_bytes)
    assert [(f.copy, f.original) for f in find_conflict_copies(library)] == [(copy, sidecar_path(source))]

    report = merge_conflict_copies(library)

    assert _notes(source) == {kept.id: "written here", added[0]: "written there"}
    assert _store(source).get(kept.id).tags == ["later", "here"]  # the edit made here is kept too
    assert not copy.exists()
    (outcome,) = report.outcomes
    assert outcome.action == "merged" and outcome.added == 1
    assert outcome.backup is not None and outcome.backup.read_bytes() == copy_bytes
    assert outcome.backup.is_relative_to(paths.data_dir() / "conflict-backups")
    assert report.summary() == "notes from another device merged: 1 added"
    assert sorted(p.name for p in library.iterdir()) == ["a.txt", "a.txt.notes.json", "a.txt.notes.json.bak"]


def test_google_and_onedrive_names_need_the_original_beside_them(library):
    # Without a.txt.notes.json these are ordinary names: not taken for copies (nothing renamed or moved).
    (library / "a.txt.notes (1).json").write_text("{}", encoding="utf-8")
    (library / "a.txt.notes-LAPTOP.json").write_text("{}", encoding="utf-8")
    assert find_conflict_copies(library) == []
    assert merge_conflict_copies(library).outcomes == []


def test_per_field_times_latest_edit_of_each_field_wins(tmp_path, library):
    source = library / "a.txt"
    here = _store(source)
    shared = here.add_quote("Bone tissue", note="original", tags=["t0"])
    disputed = here.add_quote("twelve patients", note="first words")
    here.save()
    # The other device edits the shared note's tags and the disputed note (first)...
    copy_bytes = _other_device(
        tmp_path,
        source,
        lambda s: (s.update(shared.id, tags=["from-b"]), s.update(disputed.id, note="b's words")),
    )
    # ... then this device edits the shared note's text and the disputed note (later: it wins).
    here.update(shared.id, note="a's note")
    here.update(disputed.id, note="a's words")
    here.save()
    copy = library / COPY_NAMES["syncthing"]
    copy.write_bytes(copy_bytes)

    report = merge_conflict_copies(library)

    merged = {a.id: a for a in load_annotations(source)}
    assert merged[shared.id].note == "a's note" and merged[shared.id].tags == ["from-b"]  # both kept
    assert merged[disputed.id].note == "a's words"  # the latest edit
    assert [(k.field, k.value) for k in merged[disputed.id].conflicts] == [("note", "b's words")]
    assert merged[shared.id].conflicts == []
    assert [c.id for c in report.conflicts] == [disputed.id]
    assert report.summary() == "notes from another device merged: 0 added, 2 updated, 1 conflict to review"


def test_the_copy_with_the_later_edit_wins_and_the_other_value_is_shown(tmp_path, library, capsys):
    source = library / "a.txt"
    here = _store(source)
    note = here.add_quote("Bone tissue", note="first words")
    here.save()
    here.update(note.id, note="edited here first")
    here.save()
    # The other device edits the note after that; this one then changes the colour only.
    copy_bytes = _other_device(tmp_path, source, lambda s: s.update(note.id, note="edited there later"))
    here.update(note.id, color="green")
    here.save()
    (library / COPY_NAMES["dropbox"]).write_bytes(copy_bytes)
    report = merge_conflict_copies(library)
    (merged,) = load_annotations(source)
    assert merged.note == "edited there later" and merged.color == "green"
    # Without a common version the reader cannot tell whether the other device had seen the value it
    # replaced: that value is kept with the note and reported, for the user to review.
    assert [(k.field, k.value) for k in merged.conflicts] == [("note", "edited here first")]
    assert len(report.conflicts) == 1
    assert main(["notes", "list", str(library)]) == 0
    out = capsys.readouterr().out
    assert "edited there later" in out
    assert "conflict to review: note was also “edited here first” on another device" in out


def test_an_unparsable_copy_is_never_deleted_and_is_a_problem(library, capsys):
    source = library / "a.txt"
    here = _store(source)
    here.add_quote("Bone tissue", note="kept")
    here.save()
    before = sidecar_path(source).read_bytes()
    copy = library / COPY_NAMES["syncthing"]
    copy.write_bytes(b'{"format": "research-notes-reader/notes", "version": 2, "annotations": [')
    report = merge_conflict_copies(library)
    assert copy.read_bytes().endswith(b"[")
    assert sidecar_path(source).read_bytes() == before
    (problem,) = report.problems
    assert "cannot be read" in problem.problem and "invalid JSON" in problem.problem
    assert report.summary() == "1 conflict copy could not be merged"
    assert main(["notes", "merge-conflicts", str(library)]) == 1
    err = capsys.readouterr().err
    assert "problem: " + copy.name in err and err[-1] == "\n" and err.count("\n") == 1
    assert copy.exists()


def test_a_copy_without_its_sidecar_becomes_the_sidecar(tmp_path, library):
    source = library / "a.txt"
    copy_bytes = _other_device(tmp_path, source, lambda s: s.add_quote("Bone tissue", note="only there"))
    copy = library / COPY_NAMES["syncthing"]
    copy.write_bytes(copy_bytes)
    report = merge_conflict_copies(library)
    assert [o.action for o in report.outcomes] == ["renamed"]
    assert sidecar_path(source).read_bytes() == copy_bytes
    assert not copy.exists()
    assert [a.note for a in load_annotations(source)] == ["only there"]


def test_dry_run_writes_nothing(tmp_path, library, capsys):
    source = library / "a.txt"
    here = _store(source)
    here.add_quote("Bone tissue", note="here")
    here.save()
    copy_bytes = _other_device(tmp_path, source, lambda s: s.add_quote("twelve patients", note="there"))
    copy = library / COPY_NAMES["syncthing"]
    copy.write_bytes(copy_bytes)
    listing = sorted((p.name, p.read_bytes()) for p in library.iterdir())
    assert main(["notes", "merge-conflicts", str(library), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "notes from another device would be merged: 1 added; nothing changed (dry run)" in out
    assert sorted((p.name, p.read_bytes()) for p in library.iterdir()) == listing
    assert not (paths.data_dir() / "conflict-backups").exists()


def test_restore_puts_the_copy_back_and_never_overwrites(tmp_path, library, capsys):
    source = library / "a.txt"
    here = _store(source)
    here.add_quote("Bone tissue", note="here")
    here.save()
    copy_bytes = _other_device(tmp_path, source, lambda s: s.add_quote("twelve patients", note="there"))
    copy = library / COPY_NAMES["syncthing"]
    copy.write_bytes(copy_bytes)
    (outcome,) = merge_conflict_copies(library).outcomes
    assert outcome.backup is not None and not copy.exists()
    copy.write_bytes(b"something else now")
    with pytest.raises(Exception, match="already exists"):
        restore_conflict_backup(outcome.backup)
    assert copy.read_bytes() == b"something else now" and outcome.backup.exists()
    copy.unlink()
    assert main(["notes", "restore-conflict", str(outcome.backup)]) == 0
    assert f"restored {copy}" in capsys.readouterr().out
    assert copy.read_bytes() == copy_bytes
    assert not outcome.backup.exists()
    assert main(["notes", "restore-conflict", str(tmp_path / "nowhere.json")]) == 1
    assert "not a kept conflict copy" in capsys.readouterr().err


def test_conflict_copies_of_backups_are_moved_out_unmerged(library):
    source = library / "a.txt"
    here = _store(source)
    here.add_quote("Bone tissue", note="here")
    here.save()
    bak_copy = library / "a.txt.notes.json.sync-conflict-20261130-120000-ABCDEFG.bak"
    bak_copy.write_bytes(b"an old backup")
    before = sidecar_path(source).read_bytes()
    report = merge_conflict_copies(library)
    assert [o.action for o in report.outcomes] == ["tidied"]
    assert not bak_copy.exists() and report.outcomes[0].backup is not None
    assert report.outcomes[0].backup.read_bytes() == b"an old backup"
    assert sidecar_path(source).read_bytes() == before


def test_article_conflict_copies_are_problems_and_their_notes_are_merged(tmp_path, library):
    source = library / "a.txt"
    here = _store(source)
    here.add_quote("Bone tissue", note="on the original")
    here.save()
    copy = library / "a.sync-conflict-20261130-120000-ABCDEFG.txt"
    copy.write_text(TEXT.replace("three hospitals", "four hospitals"), encoding="utf-8")
    other = _store(copy)
    other.add_quote("twelve patients", note="on the copy")
    other.save()
    owncloud = library / "a_conflict-20261130-120000.txt"
    owncloud.write_text(TEXT, encoding="utf-8")

    assert list(iter_article_files(library)) == [source]
    result = scan_library(library)
    assert [e.relpath for e in result.entries] == ["a.txt"]
    reasons = {s.relpath: s.reason for s in result.skipped}
    assert reasons[copy.name].startswith("conflict copy of a.txt")
    assert reasons[owncloud.name].startswith("conflict copy of a.txt")

    report = merge_conflict_copies(library)
    assert [(o.found.copy, o.action) for o in report.outcomes] == [(sidecar_path(copy), "merged")]
    assert sorted(_notes(source).values()) == ["on the copy", "on the original"]
    assert not sidecar_path(copy).exists() and copy.exists()  # the article copy itself is the user's call


def test_sample_library_sidecar_plus_syncthing_copy(tmp_path, capsys):
    library = tmp_path / "library"
    shutil.copytree(SAMPLE, library)
    article = sorted(library.glob("000_*.txt"))[0]
    text = load_article(article, library).text
    here = NotesStore(article, text)
    here.add_quote(text.split()[0], note="note from this laptop")
    here.save()
    there = _other_device(tmp_path, article, lambda s: s.add_quote("osteogenesis imperfecta", note="from B"))
    copy = article.with_name(article.name + ".notes.sync-conflict-20261130-120000-ABCDEFG.json")
    copy.write_bytes(there)

    assert main(["notes", "merge-conflicts", str(library)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("notes from another device merged: 1 added")
    assert main(["notes", "list", "--json", str(library)]) == 0
    records = json.loads(capsys.readouterr().out)
    assert sorted(r["note"] for r in records) == ["from B", "note from this laptop"]
    assert not copy.exists()
    (backup,) = (paths.data_dir() / "conflict-backups").rglob(copy.name)
    assert backup.read_bytes() == there
    assert main(["notes", "restore-conflict", str(backup)]) == 0
    assert copy.read_bytes() == there


def test_a_sync_tool_replacing_the_sidecar_during_a_save_loses_nothing(tmp_path, library, monkeypatch):
    """A sync tool takes no lock: its version landing between a save's check and its rename is merged."""
    source = library / "a.txt"
    here = _store(source)
    here.add_quote("Bone tissue", note="saved before")
    here.save()
    theirs = _other_device(
        tmp_path, source, lambda s: s.add_quote("six and twelve", note="from the sync tool")
    )
    mine = here.add_quote("twelve patients", note="being saved")
    real_write = store_module.atomic_write_bytes
    landed: list[bool] = []

    def sync_tool_lands_first(path, data, **options):
        if not landed:  # after the check, before the write: the other device's version arrives
            landed.append(True)
            tmp = path.with_name(".syncthing.tmp")
            tmp.write_bytes(theirs)
            tmp.replace(path)
        real_write(path, data, **options)

    monkeypatch.setattr(store_module, "atomic_write_bytes", sync_tool_lands_first)
    assert here.save() is True
    assert sorted(_notes(source).values()) == ["being saved", "from the sync tool", "saved before"]
    assert mine.id in _notes(source) and landed == [True]


def test_a_copy_rewritten_while_it_is_merged_is_not_removed(tmp_path, library, monkeypatch):
    """Syncthing names conflict copies by the second: a new copy may take the name while the old one is
    being merged. The new one is never removed unmerged."""
    source = library / "a.txt"
    here = _store(source)
    here.add_quote("Bone tissue", note="here")
    here.save()
    first = _other_device(tmp_path, source, lambda s: s.add_quote("twelve patients", note="first copy"))
    second = _other_device(tmp_path, source, lambda s: s.add_quote("six and twelve", note="second copy"))
    copy = library / COPY_NAMES["syncthing"]
    copy.write_bytes(first)
    real_save = NotesStore.save

    def save_then_a_new_copy_lands(store: NotesStore) -> bool:
        written = real_save(store)
        tmp = copy.with_name(".syncthing.tmp")
        tmp.write_bytes(second)
        tmp.replace(copy)
        return written

    monkeypatch.setattr(NotesStore, "save", save_then_a_new_copy_lands)
    (outcome,) = merge_conflict_copies(library).outcomes
    assert copy.read_bytes() == second  # left for the next run
    assert outcome.action == "merged" and outcome.backup is None
    monkeypatch.setattr(NotesStore, "save", real_save)
    merge_conflict_copies(library)
    assert sorted(_notes(source).values()) == ["first copy", "here", "second copy"]
    assert not copy.exists()
