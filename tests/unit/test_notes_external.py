"""External changes to a sidecar are seen even when a tool keeps the modification time and the size."""

from __future__ import annotations

import os
from pathlib import Path

from reader.core.articles.loader import load_article
from reader.core.notes.store import open_notes


def test_replacement_with_same_size_and_mtime_is_detected(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("Alpha beta gamma delta. Epsilon zeta eta theta.\n", encoding="utf-8")
    article = load_article(source, tmp_path)
    store = open_notes(article)
    store.add_quote("beta", note="first")
    store.save()
    path = store.path
    before = path.stat()
    # A sync tool writes a same-sized variant through a temporary file and restores the mtime.
    other = path.read_text(encoding="utf-8").replace('"first"', '"other"')
    assert len(other.encode()) == before.st_size
    tmp = path.with_name(".sync.tmp")
    tmp.write_text(other, encoding="utf-8")
    os.replace(tmp, path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_size == before.st_size
    assert store.changed_on_disk()
    assert store.reload_if_changed()
    assert store.annotations()[0].note == "other"


def test_own_writes_do_not_count_as_external(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("One two three four five.\n", encoding="utf-8")
    store = open_notes(load_article(source, tmp_path))
    store.add_quote("three")
    store.save()
    assert not store.changed_on_disk()
    assert not store.reload_if_changed()
