"""Article data in the sidecar (issue 16): format, field-by-field merge, no sidecar for nothing, concurrent
writers, the library scan showing the effective values."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from pathlib import Path

import pytest

from reader.core.errors import SidecarError
from reader.core.library.catalog import load_cache
from reader.core.library.scan import scan_library
from reader.core.notes.article_data import (
    ArticleData,
    ArticleDataError,
    article_data_to_json,
    merge_article_data,
    parse_article_data,
    read_article_data,
    update_article_data,
    with_tags,
    with_value,
)
from reader.core.notes.sidecar import sidecar_path
from reader.core.notes.store import NotesStore

TEXT = "A title line\n\nBy Jane Roe\n\nSome body text that is long enough to be an article. " * 3


@pytest.fixture
def article(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    root.mkdir()
    path = root / "a.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def _set(path: Path, name: str, value: object) -> ArticleData:
    return update_article_data(path, lambda d: with_value(d, name, value))


def test_nothing_set_writes_no_sidecar(article):
    update_article_data(article, lambda d: with_tags(d, remove=["absent"]))
    update_article_data(article, lambda d: d)
    assert not sidecar_path(article).exists()
    assert read_article_data(article).is_empty()


def test_set_creates_a_sidecar_that_the_notes_store_reads_and_keeps(article):
    _set(article, "status", "reading")
    update_article_data(article, lambda d: with_tags(d, add=["korea", "stem cells"]))
    raw = json.loads(sidecar_path(article).read_text(encoding="utf-8"))
    assert raw["version"] == 2 and raw["annotations"] == []
    assert raw["article"]["status"] == "reading" and raw["article"]["tags"] == ["korea", "stem cells"]
    store = NotesStore(article, TEXT)
    store.add(0, 5, note="n")
    assert store.save()
    again = json.loads(sidecar_path(article).read_text(encoding="utf-8"))
    assert again["article"] == raw["article"] and len(again["annotations"]) == 1
    data = _set(article, "title", "Edited")  # and the article write keeps the annotation
    assert data.title == "Edited"
    assert len(json.loads(sidecar_path(article).read_text(encoding="utf-8"))["annotations"]) == 1


def test_version_1_sidecar_reads_as_before(article):
    v1 = {"format": "research-notes-reader/notes", "version": 1, "source": "a.txt", "text_hash": "",
          "annotations": [], "custom": {"x": 1}}  # fmt: skip
    sidecar_path(article).write_text(json.dumps(v1), encoding="utf-8")
    assert read_article_data(article).is_empty()
    _set(article, "starred", True)
    raw = json.loads(sidecar_path(article).read_text(encoding="utf-8"))
    assert raw["custom"] == {"x": 1} and raw["article"]["starred"] is True and raw["version"] == 2


def test_unknown_keys_of_the_section_are_kept():
    data = parse_article_data(
        {"status": "read", "future": [1, 2], "modified": {"status": "2025-01-01T00:00:00Z"}}
    )
    out = article_data_to_json(with_value(data, "title", "T"))
    assert out["future"] == [1, 2] and out["status"] == "read" and out["title"] == "T"


@pytest.mark.parametrize(
    "section",
    [[], {"status": "done"}, {"tags": "x"}, {"starred": "yes"}, {"position": 2.0}, {"modified": []}],
)
def test_invalid_section_is_refused_and_never_overwritten(article, section):
    with pytest.raises(ArticleDataError):
        parse_article_data(section)
    doc = {"format": "research-notes-reader/notes", "version": 2, "source": "a.txt", "text_hash": "",
           "annotations": [], "article": section}  # fmt: skip
    sidecar_path(article).write_text(json.dumps(doc), encoding="utf-8")
    before = sidecar_path(article).read_bytes()
    with pytest.raises(SidecarError):
        _set(article, "status", "read")
    assert sidecar_path(article).read_bytes() == before


def test_merge_takes_each_sides_changes_field_by_field():
    base = with_tags(ArticleData(), add=["a", "b"])
    ours = with_tags(
        with_value(base, "title", "Ours", when="2025-01-02T00:00:00.000Z"), add=["c"], remove=["a"]
    )
    theirs = with_tags(with_value(base, "status", "read"), add=["d"])
    merged = merge_article_data(base, ours, theirs)
    assert merged.title == "Ours" and merged.status == "read"
    assert merged.tags == ["b", "d", "c"]  # theirs' tags, our addition, our removal


def test_merge_both_changed_newer_edit_wins():
    base = ArticleData()
    ours = with_value(base, "title", "Ours", when="2025-01-02T00:00:00.000Z")
    theirs = with_value(base, "title", "Theirs", when="2025-01-03T00:00:00.000Z")
    assert merge_article_data(base, ours, theirs).title == "Theirs"
    assert merge_article_data(base, theirs, ours).title == "Theirs"
    # a reset is an edit too: the newer reset wins over an older set
    reset = with_value(ours, "title", None, when="2025-01-04T00:00:00.000Z")
    assert merge_article_data(ours, reset, theirs).title is None


def test_edit_over_a_stale_base_keeps_the_other_writers_change(article):
    shown = read_article_data(article)  # what a dialog showed
    _set(article, "status", "read")  # another program, meanwhile
    update_article_data(article, lambda d: with_value(d, "doi", "10.1/x"), base=shown)
    data = read_article_data(article)
    assert data.status == "read" and data.doi == "10.1/x"


def _add_tags(path: str, prefix: str) -> None:
    for i in range(15):
        update_article_data(Path(path), lambda d, i=i: with_tags(d, add=[f"{prefix}{i}"]))


def test_two_processes_adding_tags_lose_nothing(article):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add_tags, args=(str(article), p)) for p in ("x", "y")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    tags = set(read_article_data(article).tags)
    assert tags == {f"{p}{i}" for p in "xy" for i in range(15)}


def test_scan_shows_effective_values_and_keeps_extracted_in_cache(article, tmp_path):
    root = article.parent
    cache = tmp_path / "cache.json"
    first = scan_library(root, cache_path=cache).entries[0]
    extracted_title = first.meta.title
    _set(article, "title", "Mine")
    update_article_data(article, lambda d: with_tags(with_value(d, "starred", True), add=["t1"]))
    entry = scan_library(root, cache_path=cache).entries[0]
    assert entry.meta.title == "Mine" and entry.tags == ("t1",) and entry.starred and entry.status == "unread"
    assert entry.extracted is not None and entry.extracted.title == extracted_title
    cached = load_cache(cache)["a.txt"]
    assert cached.meta.title == extracted_title  # type: ignore[union-attr]
    _set(article, "title", None)  # reset to extracted
    assert scan_library(root, cache_path=cache).entries[0].meta.title == extracted_title


def test_data_travels_with_a_copy_of_the_library(article, tmp_path):
    _set(article, "source", "Journal")
    copy = tmp_path / "copy"
    shutil.copytree(article.parent, copy)
    assert read_article_data(copy / "a.txt").source == "Journal"
    assert scan_library(copy).entries[0].meta.source == "Journal"


def test_search_finds_article_tags_status_and_star(article, tmp_path):
    from reader.core.search.index import SearchIndex

    root = article.parent
    (root / "b.txt").write_text("Another title\n\nOther words entirely, enough of them.\n", encoding="utf-8")
    index = SearchIndex(tmp_path / "index", root)

    def found(query: str) -> set[str]:
        return {hit.relpath for hit in index.search(query, limit=10, snippets=False).hits}

    try:
        index.update()
        assert found("status:unread") == {"a.txt", "b.txt"} and found("starred:yes") == set()
        update_article_data(article, lambda d: with_tags(with_value(d, "status", "read"), add=["korea"]))
        _set(article, "starred", True)
        _set(article, "source", "Biomedical Review")
        index.update()
        assert found("tag:korea") == {"a.txt"}
        assert found("status:read") == {"a.txt"} and found("status:unread") == {"b.txt"}
        assert found("starred:yes") == {"a.txt"} and found("starred:no") == {"b.txt"}
        assert found("source:biomedical") == {"a.txt"}  # the user's edit is what is searched
    finally:
        index.close()


# ------------------------------------------------------------------------------------- saved searches


def test_saved_searches_file_round_trip_and_concurrent_writers(tmp_path):
    from reader.core.library.saved_searches import (
        SavedSearch,
        SavedSearchError,
        delete_search,
        load_saved_searches,
        save_search,
        saved_searches_path,
    )

    library = tmp_path / "lib"
    library.mkdir()
    assert load_saved_searches(library) == []
    save_search(library, SavedSearch("Trials", "trial lang:en", ("korea",), False, "unread", True))
    path = saved_searches_path(library)
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["searches"][0]["color"] = "green"  # a key of a later version
    raw["extra"] = 1
    path.write_text(json.dumps(raw), encoding="utf-8")
    save_search(library, SavedSearch("alpha", "", ("x",)))  # another window, another search
    (alpha, trials) = load_saved_searches(library)
    assert alpha.name == "alpha" and alpha.tags == ("x",) and alpha.modified
    assert (trials.query, trials.tags, trials.match_all, trials.status, trials.starred) == (
        "trial lang:en", ("korea",), False, "unread", True,
    )  # fmt: skip
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["extra"] == 1 and raw["searches"][1]["color"] == "green"
    assert path.with_name(path.name + ".bak").exists()
    delete_search(library, "ALPHA")  # names compare case-insensitively
    assert [s.name for s in load_saved_searches(library)] == ["Trials"]
    copy = tmp_path / "copy"
    shutil.copytree(library, copy)  # travels with the library
    assert [s.name for s in load_saved_searches(copy)] == ["Trials"]
    assert scan_library(copy).entries == []  # the hidden folder is not an article
    path.write_text("{broken", encoding="utf-8")
    with pytest.raises(SavedSearchError):
        save_search(library, SavedSearch("new"))
    assert path.read_text(encoding="utf-8") == "{broken"  # never overwritten
