"""TermBufferWriter writes the same segment as Whoosh's writer, and indexes exactly the frequent word pairs.

The segment files of the two writers are compared byte for byte (postings, term table, stored fields,
lengths), on documents that exercise every field kind of the schema, Korean bigrams, posting lists longer
than a block, and per-field boosts. The pairs are compared with the adjacent pairs counted by brute force.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as w_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage

from reader.core.search import pairs
from reader.core.search.analysis import index_terms
from reader.core.search.building import _SegmentWriter
from reader.core.search.pairs import PAIR_FIELD, pair_adjacent_threshold, pair_threshold
from reader.core.search.schema import INDEX_NAME, _schema
from reader.core.search.segment_merging import MergingSegmentWriter
from reader.core.search.segment_writing import TermBufferWriter
from reader.core.search.whoosh_private import finish_unlocked_segment, open_unlocked_writer

WORDS = [
    "the",
    "cat",
    "sat",
    "on",
    "a",
    "mat",
    "standard",
    "library",
    "type",
    "hints",
    "abstract",
    "base",
    "class",
    "therapy",
    "therapies",
    "walrus",
    "module",
    "import",
    "function",
    "returns",
    "value",
    "python",
    "enhancement",
    "proposal",
]
KOREAN = "대통령은 오늘 서울에서 회의를 열었다 경제 정책 발표"


def _documents(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 400)))
        if i % 3 == 0:
            body += " " + " ".join(rng.sample(KOREAN.split(), 4))
        if i % 11 == 0:
            body += f" unique{i}word"
        title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}"
        note = "standard library note" if i % 5 == 0 else ""
        tag = "research\nlater" if i % 7 == 0 else ""
        doc: dict[str, Any] = {
            "relpath": f"folder/{i:04d}.md",
            "path": f"folder/{i:04d}.md",
            "title": title,
            "all": [title, body, note, tag],
            "author": "Jane Doe" if i % 2 else "",
            "source": "example.org",
            "quote": "the cat sat" if i % 4 == 0 else "",
            "note": note,
            "tag": tag,
            "color": "yellow blue" if i % 6 == 0 else "",
            "status": "unread",
            "starred": "yes" if i % 9 == 0 else "no",
            "state": (i, i * 1000, f"sha256:{i:064x}", -1, -1),
        }
        if i % 2:
            doc["date"] = "2024-05-01"
            doc["lang"] = "en"
        if i % 13 == 0:
            doc["_title_boost"] = 2.5
        docs.append(doc)
    return docs


def _segment_files(folder: Path, writer_class: type[Any], docs: list[dict[str, Any]]) -> dict[str, bytes]:
    folder.mkdir()
    storage = FileStorage(str(folder))
    storage.create_index(_schema(), indexname=INDEX_NAME)
    ix = w_index.FileIndex(storage, indexname=INDEX_NAME)
    writer = open_unlocked_writer(writer_class, ix, codec=W3Codec(compression=0), compound=False)
    for doc in docs:
        writer.add_document(**doc)
    segment = finish_unlocked_segment(writer)
    writer.temp_storage().destroy()
    prefix = segment.segment_id()
    files = {
        p.name.removeprefix(prefix): p.read_bytes() for p in folder.iterdir() if p.name.startswith(prefix)
    }
    files["doc count"] = str(segment.doc_count_all()).encode()
    files["field lengths"] = repr(sorted(segment._fieldlengths.items())).encode()
    return files


@pytest.mark.parametrize("count", [1, 40, 300])
def test_segment_files_are_the_same_bytes_as_whooshs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    monkeypatch.setattr(pairs, "PAIR_MIN_DOCS", 10**9)  # no pairs: Whoosh's writer samples them
    docs = _documents(count)
    ours = _segment_files(tmp_path / "buffers", TermBufferWriter, docs)
    whooshs = _segment_files(tmp_path / "whoosh", _SegmentWriter, docs)
    assert sorted(ours) == sorted(whooshs)
    assert len(ours) >= 5, sorted(ours)
    for name, data in whooshs.items():
        assert ours[name] == data, f"{name} differs"


def _indexed_pairs(folder: Path, docs: list[dict[str, Any]]) -> dict[str, list[int]]:
    folder.mkdir()
    storage = FileStorage(str(folder))
    storage.create_index(_schema(), indexname=INDEX_NAME)
    ix = w_index.FileIndex(storage, indexname=INDEX_NAME)
    writer = TermBufferWriter(ix)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    with w_index.FileIndex(storage, indexname=INDEX_NAME).searcher() as searcher:
        reader = searcher.reader()
        return {
            text.decode("utf-8"): list(reader.postings(PAIR_FIELD, text).all_ids())
            for text in reader.lexicon(PAIR_FIELD)
        }


def _adjacent_pairs(doc: dict[str, Any]) -> set[str]:
    found = set()
    for part in doc["all"]:
        terms = index_terms(part)
        found.update(f"{a} {b}" for a, b in itertools.pairwise(terms))
    return found


def _expected_pairs(
    docs: list[dict[str, Any]], numbers: list[int]
) -> tuple[dict[str, list[int]], Counter[str]]:
    """By brute force: each pair of two words that are each in pair_threshold documents and adjacent in
    pair_adjacent_threshold documents, with its documents (``numbers``: each document's number)."""
    per_doc = [_adjacent_pairs(doc) for doc in docs]
    words = Counter(t for doc in docs for t in {t for part in doc["all"] for t in index_terms(part)})
    counts = Counter(pair for found in per_doc for pair in found)
    frequent = {w for w, n in words.items() if n >= pair_threshold(len(docs))}
    adjacent = pair_adjacent_threshold(len(docs))
    expected = {
        pair: sorted(d for d, found in zip(numbers, per_doc, strict=True) if pair in found)
        for pair, n in counts.items()
        if n >= adjacent and set(pair.split()) <= frequent
    }
    return expected, counts


def _with_planted_pairs(docs: list[dict[str, Any]]) -> None:
    """``zebra crossing`` spans two parts of ``all`` (never a pair); ``zeta omega`` is adjacent in 20
    documents, each word alone in many more (a pair of frequent words: indexed); ``kappa lambda`` is adjacent
    in 20 documents, ``lambda`` in no other (not a frequent word: not indexed)."""
    for i, doc in enumerate(docs):
        if i < 200:
            doc["all"][0] = doc["all"][0] + " zebra"
            doc["all"][1] = "crossing " + doc["all"][1]
        doc["all"][1] += " zeta alpha omega" if i % 2 else ""
        if i % 20 == 0:
            doc["all"][1] += " zeta omega kappa lambda"


def test_the_pairs_indexed_are_exactly_the_adjacent_frequent_words(tmp_path: Path) -> None:
    docs = _documents(400, seed=3)
    _with_planted_pairs(docs)
    indexed = _indexed_pairs(tmp_path / "ix", docs)
    expected, counts = _expected_pairs(docs, list(range(len(docs))))
    assert expected, "the test documents have frequent pairs"
    assert any(" " in pair and any("\uac00" <= c <= "\ud7a3" for c in pair) for pair in counts)
    assert indexed == expected
    assert "zebra crossing" not in indexed and counts["zebra crossing"] == 0
    assert counts["zeta omega"] == 20 and indexed["zeta omega"] == list(range(0, 400, 20))
    assert counts["kappa lambda"] == 20 and "kappa lambda" not in indexed


def test_a_segment_smaller_than_the_pair_minimum_has_no_pairs(tmp_path: Path) -> None:
    docs = _documents(pairs.PAIR_MIN_DOCS - 1)
    assert _indexed_pairs(tmp_path / "ix", docs) == {}


def test_merging_is_left_to_whooshs_writer(tmp_path: Path) -> None:
    storage = FileStorage(str(tmp_path))
    storage.create_index(_schema(), indexname=INDEX_NAME)
    ix = w_index.FileIndex(storage, indexname=INDEX_NAME)
    writer = TermBufferWriter(ix)
    writer.add_document(**_documents(1)[0])
    with pytest.raises(RuntimeError, match="add_reader"):
        writer.add_reader(None)
    writer.cancel()


def _segments_of(folder: Path, docs: list[dict[str, Any]], per_segment: int, delete: list[str]) -> Any:
    """An index of ``docs`` in segments of ``per_segment`` documents, with ``delete`` deleted."""
    folder.mkdir()
    storage = FileStorage(str(folder))
    storage.create_index(_schema(), indexname=INDEX_NAME)
    ix = w_index.FileIndex(storage, indexname=INDEX_NAME)
    for start in range(0, len(docs), per_segment):
        writer = ix.writer()
        for doc in docs[start : start + per_segment]:
            writer.add_document(**doc)
        writer.commit(merge=False)
    if delete:
        writer = ix.writer()
        for relpath in delete:
            writer.delete_by_term("relpath", relpath)
        writer.commit(merge=False)
    return ix


def _merged_files(ix: Any, writer_class: type[Any]) -> dict[str, bytes]:
    from whoosh.reading import SegmentReader

    writer = open_unlocked_writer(writer_class, ix, codec=W3Codec(compression=0), compound=False)
    readers = [SegmentReader(ix.storage, ix.schema, segment) for segment in ix._segments()]
    if writer_class is MergingSegmentWriter:
        writer.merge_segments(readers)
    else:
        for reader in readers:
            writer.add_reader(reader)
    for reader in readers:
        reader.close()
    segment = finish_unlocked_segment(writer)
    writer.temp_storage().destroy()
    prefix = segment.segment_id()
    folder = Path(ix.storage.folder)
    files = {
        p.name.removeprefix(prefix): p.read_bytes() for p in folder.iterdir() if p.name.startswith(prefix)
    }
    files["doc count"] = str(segment.doc_count_all()).encode()
    files["field lengths"] = repr(sorted(segment._fieldlengths.items())).encode()
    for p in folder.iterdir():
        if p.name.startswith(prefix):
            p.unlink()
    return files


def test_a_merge_writes_the_same_bytes_as_whooshs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairs, "PAIR_MIN_DOCS", 10**9)  # no pairs: Whoosh's writer samples them
    docs = _documents(260, seed=11)
    ix = _segments_of(tmp_path / "ix", docs, 70, delete=[docs[3]["relpath"], docs[100]["relpath"]])
    assert len(ix._segments()) == 4 and ix.doc_count() == 258
    ours = _merged_files(ix, MergingSegmentWriter)
    whooshs = _merged_files(ix, _SegmentWriter)
    assert ours["doc count"] == b"258"
    assert sorted(ours) == sorted(whooshs) and len(ours) >= 5
    for name, data in whooshs.items():
        assert ours[name] == data, f"{name} differs"


def test_a_merged_segment_indexes_exactly_its_frequent_pairs(tmp_path: Path) -> None:
    docs = _documents(400, seed=5)
    _with_planted_pairs(docs)
    gone = {docs[i]["relpath"] for i in range(0, 400, 9)}
    ix = _segments_of(tmp_path / "ix", docs, 90, delete=sorted(gone))
    from whoosh.reading import SegmentReader

    writer = MergingSegmentWriter(ix)
    readers = [SegmentReader(ix.storage, ix.schema, segment) for segment in ix._segments()]
    writer.merge_segments(readers)
    for reader in readers:
        reader.close()
    writer.commit(mergetype=lambda _writer, _segments: [])  # only the merged segment
    live = [doc for doc in docs if doc["relpath"] not in gone]
    with w_index.FileIndex(ix.storage, indexname=INDEX_NAME).searcher() as searcher:
        reader = searcher.reader()
        assert reader.doc_count() == len(live)
        number = {searcher.stored_fields(d)["relpath"]: d for d in reader.all_doc_ids()}
        indexed = {
            text.decode("utf-8"): sorted(reader.postings(PAIR_FIELD, text).all_ids())
            for text in reader.lexicon(PAIR_FIELD)
        }
    expected, counts = _expected_pairs(live, [number[doc["relpath"]] for doc in live])
    assert expected and indexed == expected
    assert "zeta omega" in indexed and "kappa lambda" not in indexed and counts["kappa lambda"] > 0
