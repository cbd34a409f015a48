"""Keeping the index in line with the library: updates, and merging small segments when idle.

:class:`IndexMaintenance` (between :class:`~reader.core.search.lifecycle.IndexLifecycle` and
:class:`~reader.core.search.index.SearchIndex`) finds new, changed and removed articles by their stored
update state (size, mtime, content hash, sidecar stamp), reads the changed ones
(:mod:`reader.core.search.building`, in worker processes for big updates) and commits them. Writes are
serialized by an internal lock and by Whoosh's file lock (waiting longer than ``lock_timeout`` gives
:class:`~reader.core.errors.IndexBusyError`). A file whose stat changed but whose content did not is
remembered in ``reader-verified.json`` so that a touch does not re-read it on every update. An update right
after a library scan takes the scan's file stamps (``update(stamps=…)``) instead of walking the library again.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from whoosh.writing import LockError

from reader.core.atomic import atomic_write_text
from reader.core.errors import IndexBusyError, SearchIndexError
from reader.core.library.catalog import CacheItem
from reader.core.library.scan import FileStamp, iter_article_files
from reader.core.models import Skipped
from reader.core.search.building import (
    SEGMENT_ARTICLES,
    ProgressCallback,
    _build_in_processes,
    _commit,
    _is_article_file,
    _Job,
    _merge_small,
    _prepare,
    _Prepared,
    _SegmentWriter,
    _sidecar_stamp,
    _small_segments,
    _worker_count,
)
from reader.core.search.damage import _DamagedError, _describe, _release
from reader.core.search.lifecycle import IndexLifecycle
from reader.core.search.merging import merge_in_process, merge_plan
from reader.core.search.results import UpdateReport
from reader.core.search.schema import State
from reader.core.search.storage import _prune_texts
from reader.core.search.whoosh_private import (
    clean_index_files,
    commit_with_segments,
    read_toc,
    writer_segments,
)

__all__ = ["IndexMaintenance"]

log = logging.getLogger(__name__)

#: ``on_commit(indexed, items)``: see :meth:`IndexMaintenance.update`.
CommitCallback = Callable[[int, list[CacheItem]], None]

_STATE_FILE = "reader-verified.json"


def _stamp(found: Path | FileStamp | str) -> FileStamp | str:
    """The stamp of an article file: a scan's, or its stat now (a path); why it cannot be had."""
    if not isinstance(found, Path):
        return found
    try:
        st = found.stat()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return (st.st_size, st.st_mtime_ns, *_sidecar_stamp(found))


class IndexMaintenance(IndexLifecycle):
    """Updates and idle merging of one index (the middle layer of SearchIndex)."""

    def update(
        self,
        *,
        progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] | None = None,
        on_commit: CommitCallback | None = None,
        also_read: Collection[str] = (),
        stamps: Mapping[str, FileStamp | str] | None = None,
    ) -> UpdateReport:
        """Bring the index in line with the library: index new and changed articles, drop removed ones.

        A big update commits as it goes (searches see it grow); after each commit, ``on_commit(indexed,
        items)`` gets the number of documents searches now see and the catalog items (entries with their
        notes counted, or skips) of the articles read since the last call: a window lists them, and keeps
        them in its scan cache, instead of reading each article a second time. ``also_read`` names articles
        to read for their catalog items even when the index has them unchanged (a library list without
        them).

        ``stamps`` (a scan's, ``scan_library(stamps=…)``, just made) stands for the library: the update then
        neither walks nor stats it again (in a window's process that walk holds the GIL the GUI thread
        needs). A file changed since is seen by the next update."""
        return self._run_update(None, progress, cancelled, on_commit, frozenset(also_read), stamps)

    def update_paths(self, relpaths: Iterable[str]) -> UpdateReport:
        """Re-index just these articles (POSIX paths relative to the library); missing ones are removed."""
        return self._run_update(sorted(set(relpaths)), None, None)

    def _run_update(
        self,
        relpaths: list[str] | None,
        progress: ProgressCallback | None,
        cancelled: Callable[[], bool] | None,
        on_commit: CommitCallback | None = None,
        also_read: frozenset[str] = frozenset(),
        stamps: Mapping[str, FileStamp | str] | None = None,
    ) -> UpdateReport:
        with self._write_lock:
            self._ensure_open(rebuild=False)
            damage: str | None = None
            try:
                report = self._update(relpaths, progress, cancelled, on_commit, also_read, stamps)
            except _DamagedError as exc:
                damage = str(exc)
                _release(exc)
            if damage is not None:
                self._set_aside(damage)
                self._create()
                report = self._update(None, progress, cancelled, on_commit, also_read, stamps)
            report.recovered, self._pending_recovered = self._pending_recovered, None
            report.rebuilt, self._pending_rebuilt = self._pending_rebuilt, None
            return report

    def _indexed_states(self, relpaths: list[str] | None) -> dict[str, State]:
        """relpath -> stored update state, for every indexed article or just ``relpaths``."""
        states: dict[str, State] = {}
        try:
            with self._using() as searcher:
                if relpaths is None:
                    fields_iter: Iterable[dict[str, Any]] = searcher.all_stored_fields()
                else:
                    fields_iter = [
                        f for f in (searcher.document(relpath=rp) for rp in relpaths) if f is not None
                    ]
                for fields in fields_iter:
                    state = fields.get("state")
                    value: State = tuple(state) if state else (-1, -1, "", -1, -1)
                    states[fields["relpath"]] = value
        except SearchIndexError:
            raise
        except Exception as exc:
            raise _DamagedError(_describe(exc)) from exc
        return states

    def _load_verified(self) -> dict[str, list[Any]]:
        try:
            data = json.loads((self.index_dir / _STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _update(
        self,
        relpaths: list[str] | None,
        progress: ProgressCallback | None,
        cancelled: Callable[[], bool] | None,
        on_commit: CommitCallback | None = None,
        also_read: frozenset[str] = frozenset(),
        stamps: Mapping[str, FileStamp | str] | None = None,
    ) -> UpdateReport:
        report = UpdateReport()
        root = self.library
        indexed = self._indexed_states(relpaths)
        files: Mapping[str, Path | FileStamp | str]
        if relpaths is None and stamps is not None:
            files = stamps
        elif relpaths is None:
            files = {p.relative_to(root).as_posix(): p for p in iter_article_files(root)}
        else:
            files = {}
            for rp in relpaths:
                path = root / rp
                if _is_article_file(root, path):
                    files[rp] = path
        # `verified`: files whose stat changed but whose content hash equals the indexed one, so that a
        # touch does not re-read them on every update. Valid only while it agrees with the indexed hash.
        verified = self._load_verified()
        verified_dirty = False
        writer: Any = None
        total = len(files)
        removed = sorted(set(indexed) - set(files))

        def get_writer() -> Any:
            nonlocal writer
            if writer is None:
                try:
                    writer = _SegmentWriter(self._ix, timeout=self.lock_timeout)
                    writer.reader_pool = self._pool
                except LockError as exc:
                    raise IndexBusyError(
                        f"the search index is busy (another update holds its lock for over "
                        f"{self.lock_timeout:g} s); try again later"
                    ) from exc
                except Exception as exc:
                    raise _DamagedError(_describe(exc)) from exc
            return writer

        def apply(result: _Prepared, *, add: bool) -> None:
            """Record one prepared article; with ``add``, write its document (else a worker did)."""
            nonlocal verified_dirty
            rp, kind, old_exists = result.relpath, result.kind, result.old_exists
            if result.skipped is not None:
                report.skipped.append(result.skipped)
            if kind == "unreadable":
                if old_exists:
                    get_writer().delete_by_term("relpath", rp)
                    report.removed.append(rp)
            elif kind == "same":
                if result.verified is not None:
                    verified[rp] = result.verified
                    verified_dirty = True
                report.unchanged += 1
            else:
                w = get_writer()
                if add:
                    assert result.doc is not None
                    (w.update_document if old_exists else w.add_document)(**result.doc)
                elif old_exists:
                    w.delete_by_term("relpath", rp)  # the new version is in a worker's segment
                (report.updated if old_exists else report.added).append(rp)
                verified.pop(rp, None)

        read: list[CacheItem] = []  # catalog items of the articles read since the last commit's report
        applied: set[str] = set()
        workers_writing = False

        def commit(segments: list[Any], *, final: bool = False) -> None:
            """Commit what the writer holds (and ``segments``), then tell ``on_commit`` what is new. The
            searcher of a commit before the ``final`` one opens when a search needs it."""
            nonlocal writer
            if writer is not None:
                try:
                    _commit(writer, segments, clean=not workers_writing)
                except Exception as exc:
                    raise SearchIndexError(f"the search index could not be saved: {_describe(exc)}") from exc
                writer = None
                if final:
                    self._reopen_searcher()
                else:
                    self._searcher_stale()
            if on_commit is not None and read:
                on_commit(sum(segment.doc_count() for segment in read_toc(self._ix).segments), read[:])
            read.clear()

        def take(result: _Prepared, *, add: bool) -> None:
            apply(result, add=add)
            applied.add(result.relpath)
            if result.catalog is not None:
                read.append(result.catalog)

        def commit_task(segment: Any, results: list[_Prepared]) -> None:
            """A worker's task ended: its articles, and its segment, become searchable."""
            for result in results:
                take(result, add=False)
            if segment is not None:
                get_writer()
            commit([segment] if segment is not None else [])

        try:
            for rp in removed:
                get_writer().delete_by_term("relpath", rp)
                report.removed.append(rp)
            todo: list[_Job] = []
            for done, (rp, found) in enumerate(files.items(), 1):
                if cancelled is not None and done % 256 == 0 and cancelled():
                    report.cancelled = True
                    break
                stamp = _stamp(found)
                if isinstance(stamp, str):
                    report.skipped.append(Skipped(rp, stamp))
                    continue
                size, mtime_ns, sc_size, sc_mtime = stamp
                old = indexed.get(rp)
                if old is not None and old[3:] == (sc_size, sc_mtime) and rp not in also_read:
                    if old[:2] == (size, mtime_ns):
                        report.unchanged += 1
                        continue
                    seen = verified.get(rp)
                    if seen == [size, mtime_ns, old[2]]:
                        report.unchanged += 1
                        continue
                todo.append(_Job(rp, (size, mtime_ns), (sc_size, sc_mtime), old))
            base = total - len(todo)
            procs = _worker_count(len(todo))
            if not report.cancelled and procs > 1:
                get_writer()  # take the lock before the workers write segments
                workers_writing = True
                try:
                    stopped = _build_in_processes(
                        self.index_dir, root, todo, procs, base, total, progress, cancelled, commit_task
                    )
                except (SearchIndexError, IndexBusyError):
                    raise
                except Exception as exc:  # noqa: BLE001 - no processes here: do the rest in this thread
                    log.warning("indexing in %d processes failed (%s); indexing here", procs, _describe(exc))
                    procs = 1
                    todo = [job for job in todo if job.relpath not in applied]
                    base = total - len(todo)
                else:
                    report.cancelled = report.cancelled or stopped
            if workers_writing:
                workers_writing = False
                with contextlib.suppress(Exception):  # files of old generations: the next commit cleans too
                    clean_index_files(self._ix)
            if not report.cancelled and procs <= 1:
                for i, job in enumerate(todo):
                    if cancelled is not None and cancelled():
                        report.cancelled = True
                        break
                    if progress is not None:
                        progress(base + i + 1, total)
                    take(_prepare(self.index_dir, root, job), add=True)
                    if (i + 1) % SEGMENT_ARTICLES == 0:
                        commit([])  # a long build in this thread: searchable as it goes too
            commit([], final=True)
            if relpaths is None and not report.cancelled and (report.updated or report.removed):
                _prune_texts(self.index_dir, {state[2] for state in self._indexed_states(None).values()})
        except BaseException:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.cancel()
            raise
        if verified_dirty or (verified and (report.added or report.updated or report.removed)):
            keep = {k: v for k, v in verified.items() if k in files or relpaths is not None}
            with contextlib.suppress(OSError):
                atomic_write_text(self.index_dir / _STATE_FILE, json.dumps(keep))
        return report

    def merge_when_idle(self, cancelled: Callable[[], bool] | None = None) -> bool:
        """Merge segments into fewer; returns whether there was anything to merge.

        Commits do not merge (that made ``update_paths`` slow now and then): every small update adds a
        segment, a big build one per task, and each segment makes searches a little slower. Run this when
        the user is idle (e.g. a few seconds after the last update), never on the GUI thread: it takes the
        index's write lock (other updates wait; :class:`IndexBusyError` if another process holds it over
        ``lock_timeout``). Many segments (a build's) are merged in a worker process
        (:mod:`reader.core.search.merging`; ``cancelled()`` stops between two merges); a few small ones
        (recent updates') here. Searches keep running meanwhile.
        """
        with self._write_lock:
            self._ensure_open(rebuild=False)
            damage: str | None = None
            try:
                return self._merge_in_worker(cancelled) or self._merge_small_segments()
            except _DamagedError as exc:
                damage = str(exc)
                _release(exc)
            self._set_aside(damage)
            self._create()
            self._update(None, None, None)
            return True

    def _lock_for_merge(self) -> Any:
        try:
            writer = _SegmentWriter(self._ix, timeout=self.lock_timeout)
        except LockError as exc:
            raise IndexBusyError(
                f"the search index is busy (another update holds its lock for over {self.lock_timeout:g} s); "
                "try again later"
            ) from exc
        except Exception as exc:
            raise _DamagedError(_describe(exc)) from exc
        writer.reader_pool = self._pool
        return writer

    def _merge_in_worker(self, cancelled: Callable[[], bool] | None) -> bool:
        try:
            segments = read_toc(self._ix).segments
        except Exception as exc:
            raise _DamagedError(_describe(exc)) from exc
        if not merge_plan([s.doc_count() for s in segments]):
            return False
        writer = self._lock_for_merge()
        try:
            # Planned again under the lock: the table of contents cannot change until the commit.
            held = writer_segments(writer)
            plan = merge_plan([s.doc_count() for s in held])
            groups = [[held[i].segment_id() for i in group] for group in plan]
            merged = merge_in_process(self.index_dir, groups, cancelled)
            new = [segment for _ids, segment in merged if segment is not None]
            commit_with_segments(writer, new, drop={sid for ids, _segment in merged for sid in ids})
        except BaseException as exc:
            with contextlib.suppress(Exception):
                writer.cancel()
            if isinstance(exc, Exception):
                raise SearchIndexError(f"the search index could not be merged: {_describe(exc)}") from exc
            raise
        log.info("merged %d groups of segments into %d", len(merged), len(new))
        self._reopen_searcher()
        return bool(merged)

    def _merge_small_segments(self) -> bool:
        try:
            segments = read_toc(self._ix).segments
        except Exception as exc:
            raise _DamagedError(_describe(exc)) from exc
        if len(_small_segments(segments)) < 2:
            return False
        writer = self._lock_for_merge()
        try:
            writer.commit(mergetype=_merge_small)
        except Exception as exc:
            with contextlib.suppress(Exception):
                writer.cancel()
            raise SearchIndexError(f"the search index could not be saved: {_describe(exc)}") from exc
        self._reopen_searcher()
        return True
