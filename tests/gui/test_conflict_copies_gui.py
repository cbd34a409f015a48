"""The window merges the conflict copies of notes a sync tool left, after its scan, and says so (issue 19)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from reader.core import paths
from reader.core.articles.loader import load_article
from reader.core.notes.sidecar import load_annotations, sidecar_path
from reader.core.notes.store import NotesStore
from reader.ui.main_window import MainWindow

COPY_SUFFIX = ".notes.sync-conflict-20261130-120000-ABCDEFG.json"


def test_window_merges_a_syncthing_copy_and_says_so(
    qtbot: QtBot, tmp_path: Path, sample_library: Path, window_factory: Callable[[Path], MainWindow]
) -> None:
    article = sorted(sample_library.glob("*.txt"))[0]
    text = load_article(article, sample_library).text
    here = NotesStore(article, text)
    here.add_quote(text.split()[0], note="on this laptop")
    here.save()
    # The other device's version: the same sidecar plus a note of its own, under Syncthing's conflict name.
    device = tmp_path / "other-laptop"
    device.mkdir()
    theirs = device / article.name
    shutil.copyfile(article, theirs)
    shutil.copyfile(sidecar_path(article), sidecar_path(theirs))
    other = NotesStore(theirs, text)
    other.add_quote("osteogenesis imperfecta", note="on the other laptop")
    other.save()
    copy = article.with_name(article.name + COPY_SUFFIX)
    shutil.copyfile(sidecar_path(theirs), copy)

    window = window_factory(sample_library)
    qtbot.waitUntil(
        lambda: "notes from another device merged: 1 added" in window.status.label.text(), timeout=20000
    )
    assert not copy.exists()
    assert sorted(a.note for a in load_annotations(article)) == ["on the other laptop", "on this laptop"]
    assert list((paths.data_dir() / "conflict-backups").rglob(copy.name))
