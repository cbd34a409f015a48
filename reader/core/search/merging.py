"""Merging segments: a big build leaves many segments, and every segment costs each query a little.

A first build commits a segment per task (at most :data:`~reader.core.search.building.SEGMENT_ARTICLES`
articles, for bounded memory and an index that is searchable within seconds): about twenty for 10,000
articles, which made result lists twice as slow as with a few. When the index is idle,
:func:`merge_plan` groups neighbouring segments (in table-of-contents order) into merges of at most
:data:`MERGED_SEGMENT_ARTICLES` documents, and :func:`merge_in_process` writes each group's merged segment
in a spawned worker process (at a lower CPU priority, so a window keeps its cores and its GIL), one group
at a time, with :meth:`~reader.core.search.segment_merging.MergingSegmentWriter.merge_segments` (one
pass over the segments' sorted terms, each written as it is read; the word pairs counted again exactly).
The caller, which holds the index lock, commits the new segments in place of the merged ones
(:func:`~reader.core.search.whoosh_private.commit_with_segments`).

:func:`_worker_merge` runs in a spawned process: it stays a module-level function (pickled by reference).
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from whoosh import index as w_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.reading import SegmentReader

from reader.core.search.building import (
    _remove_worker_temp,
    _worker_init,
    _WorkerStorage,
    write_worker_segment,
)
from reader.core.search.schema import INDEX_NAME
from reader.core.search.segment_merging import MergingSegmentWriter
from reader.core.search.whoosh_private import (
    open_unlocked_writer,
    read_toc,
)

__all__ = ["MERGED_SEGMENT_ARTICLES", "MIN_SEGMENTS_TO_MERGE", "merge_in_process", "merge_plan"]

#: A merged segment holds at most this many documents (a merge's memory grows with it; queries gain little
#: from fewer, bigger segments beyond it).
MERGED_SEGMENT_ARTICLES = 3000
#: An index with fewer segments than this is left as it is.
MIN_SEGMENTS_TO_MERGE = 6


def merge_plan(counts: Sequence[int], target: int = MERGED_SEGMENT_ARTICLES) -> list[list[int]]:
    """Groups of positions (of segments with ``counts`` live documents, in table-of-contents order) to merge:
    runs of neighbours of at most ``target`` documents together, each of two or more segments. Segments
    already of ``target`` or more are left alone. Empty when there are fewer than
    :data:`MIN_SEGMENTS_TO_MERGE` segments."""
    if len(counts) < MIN_SEGMENTS_TO_MERGE:
        return []
    groups: list[list[int]] = []
    run: list[int] = []
    size = 0
    for position, count in enumerate(counts):
        if run and size + count > target:
            groups.append(run)
            run, size = [], 0
        if count >= target:
            continue
        run.append(position)
        size += count
    if run:
        groups.append(run)
    return [group for group in groups if len(group) > 1]


def _worker_merge(index_dir: str, segment_ids: list[str]) -> Any:
    """In a worker process: write one segment holding the live documents of ``segment_ids`` (not committed:
    the parent, which holds the index lock, puts it in the table of contents in their place)."""
    ix = w_index.FileIndex(_WorkerStorage(index_dir), indexname=INDEX_NAME)
    wanted = set(segment_ids)
    segments = [s for s in read_toc(ix).segments if s.segment_id() in wanted]
    if len(segments) != len(wanted):
        raise RuntimeError("the segments to merge are no longer in the index")
    writer = open_unlocked_writer(MergingSegmentWriter, ix, codec=W3Codec(compression=0))

    def fill(writer: Any) -> None:
        readers = [SegmentReader(ix.storage, ix.schema, segment) for segment in segments]
        try:
            writer.merge_segments(readers)
        finally:
            for reader in readers:
                reader.close()

    gc.disable()  # as a build's workers: a merge keeps many lists the collector would walk again and again
    try:
        return write_worker_segment(writer, fill)
    finally:
        gc.enable()
        gc.collect()


def merge_in_process(
    index_dir: Path, groups: list[list[str]], cancelled: Callable[[], bool] | None = None
) -> list[tuple[list[str], Any]]:
    """Merge each group of segment ids into one new segment in a spawned worker process, one group after
    the other; returns ``(merged ids, new segment or None)`` for the groups done (all, unless
    ``cancelled()`` said stop between two)."""
    ctx = multiprocessing.get_context("spawn")
    done: list[tuple[list[str], Any]] = []
    _remove_worker_temp(index_dir)
    try:
        with ProcessPoolExecutor(1, mp_context=ctx, initializer=_worker_init, initargs=(None, None)) as pool:
            for ids in groups:
                if cancelled is not None and cancelled():
                    break
                done.append((ids, pool.submit(_worker_merge, str(index_dir), ids).result()))
    finally:
        _remove_worker_temp(index_dir)
    return done
