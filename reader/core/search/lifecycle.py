"""The index's life: opening or creating it, setting a damaged one aside, and searcher generations.

:class:`IndexLifecycle` is the base of :class:`~reader.core.search.index.SearchIndex`: it holds the open
Whoosh index and the current generation (a searcher of one commit). Each commit installs a *new* searcher; a
search keeps the generation it started with until it ends, and a retired generation is closed by its last
user (``Searcher.refresh()`` is never used: it returns stale documents in whoosh-reloaded 2.7.5). New
searchers reuse the open files of unchanged segments (:class:`~reader.core.search.storage._ReaderPool`).

Damage: an index that cannot be opened or read (process killed mid-commit, missing or truncated segment
file, garbage in the TOC) is renamed to ``<name>.damaged-<timestamp>`` (never deleted) and rebuilt from the
sources by :meth:`IndexLifecycle._update` (provided by
:class:`~reader.core.search.maintenance.IndexMaintenance`). An index of an older schema is renamed to
``<name>.old-<timestamp>`` (only the newest such copy is kept) and rebuilt.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as w_index
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from reader.core.errors import SearchIndexError
from reader.core.search.building import ProgressCallback
from reader.core.search.damage import _DamagedError, _describe, _release
from reader.core.search.results import UpdateReport
from reader.core.search.schema import INDEX_NAME, _schema
from reader.core.search.storage import _closing_on_failure, _ReaderPool, _TrackingStorage
from reader.core.search.whoosh_private import read_toc

__all__ = ["IndexLifecycle"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Generation:
    """A searcher of one commit, the searches using it, and whether a newer one replaced it."""

    searcher: Any
    users: int = 0
    retired: bool = False


class IndexLifecycle:
    """Opening, damage handling and searcher generations of one index folder (the base of SearchIndex)."""

    def __init__(self, index_dir: Path, library: Path, *, lock_timeout: float = 5.0) -> None:
        self.index_dir = Path(index_dir)
        self.library = Path(library)
        self.lock_timeout = lock_timeout
        self._ix: Any = None
        self._gen: _Generation | None = None
        self._write_lock = threading.RLock()
        self._gen_lock = threading.Lock()
        self._pending_recovered: str | None = None
        self._pending_rebuilt: str | None = None
        self._closed = False
        self._pool = _ReaderPool()
        #: A commit happened since the current searcher was opened, and nobody has searched since: the next
        #: search opens the newest searcher (a big build commits often; opening a searcher after each of
        #: its commits when no one searches would only cost memory).
        self._stale = False
        self._reopen_lock = threading.Lock()

    def _update(
        self,
        relpaths: list[str] | None,
        progress: ProgressCallback | None,
        cancelled: Callable[[], bool] | None,
    ) -> UpdateReport:
        """Index the library (or ``relpaths``): implemented by the update layer; used here to rebuild."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------------- open / close

    def close(self) -> None:
        with self._write_lock:
            self._closed = True
            with self._gen_lock:
                gen, self._gen = self._gen, None
            if gen is not None:
                self._retire(gen)
            self._ix = None
            self._pool.close()

    def _ensure_open(self, *, rebuild: bool = True) -> None:
        """Open the index (or create it). A damaged index is set aside and, with ``rebuild``, rebuilt now."""
        if self._ix is not None:
            return
        with self._write_lock:
            if self._ix is not None:
                return
            if self._closed:
                raise SearchIndexError("the search index has been closed")
            damage: str | None = None
            try:
                self._open_or_create()
            except _DamagedError as exc:
                damage = str(exc)
                _release(exc)
            if damage is not None:
                # Derived data: set the damaged index aside and rebuild it from the sources right away,
                # so that no search ever presents an empty index as "no matches".
                self._set_aside(damage)
                self._create()
                if rebuild:
                    self._update(None, None, None)

    def _open_or_create(self) -> None:
        folder = self.index_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SearchIndexError(f"cannot create the index folder {folder}: {exc.strerror or exc}") from exc
        storage = _TrackingStorage(str(folder))
        with _closing_on_failure():
            try:
                ix = w_index.FileIndex(storage, indexname=INDEX_NAME)
            except w_index.EmptyIndexError:
                ix = None
            except Exception as exc:
                raise _DamagedError(_describe(exc)) from exc
            if ix is not None:
                try:
                    searcher = self._new_searcher(ix)
                    searcher.reader().doc_count_all()
                except Exception as exc:
                    raise _DamagedError(_describe(exc)) from exc
        if ix is None:
            others = [p for p in folder.iterdir() if p.suffix in (".toc", ".seg")]
            if others:
                if any(
                    p.name.startswith(f"_{INDEX_NAME}_") or p.name.startswith(f"{INDEX_NAME}_")
                    for p in others
                ):
                    raise _DamagedError("its table of contents is missing")
                log.info("search index schema changed; rebuilding %s", folder)
                self._set_aside(None)
                self._pending_rebuilt = "The search index format changed; the index was rebuilt."
            self._create()
            return
        self._ix = ix
        self._install(searcher)

    def _create(self) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        try:
            storage = _TrackingStorage(str(self.index_dir))
            ix = w_index.FileIndex.create(storage, _schema(), INDEX_NAME)
            searcher = self._new_searcher(ix)
        except Exception as exc:
            raise SearchIndexError(
                f"cannot create the search index in {self.index_dir}: {_describe(exc)}"
            ) from exc
        self._ix = ix
        self._install(searcher)

    def _set_aside(self, reason: str | None) -> Path:
        """Rename the index folder out of the way (never delete it); ``reason`` None means a schema change."""
        with self._gen_lock:
            gen, self._gen = self._gen, None
        if gen is not None:
            self._retire(gen)
        self._ix = None
        self._pool.close()
        self._pool = _ReaderPool()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kind = "damaged" if reason is not None else "old"
        aside = self.index_dir.with_name(f"{self.index_dir.name}.{kind}-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.index_dir.with_name(f"{self.index_dir.name}.{kind}-{stamp}-{n}")
        try:
            os.replace(self.index_dir, aside)
        except OSError as exc:
            raise SearchIndexError(f"the search index is damaged and cannot be moved aside: {exc}") from exc
        if reason is not None:
            log.warning("search index damaged (%s); moved to %s", reason, aside)
            self._pending_recovered = (
                f"The search index was damaged ({reason}); it was set aside as {aside.name} and rebuilt."
            )
        if kind == "old":
            # An index of an older format is of no use to anyone; keep only the newest such copy.
            for old in self.index_dir.parent.glob(f"{self.index_dir.name}.old-*"):
                if old != aside:
                    shutil.rmtree(old, ignore_errors=True)
        return aside

    # ----------------------------------------------------------------------------------- generations

    def _install(self, searcher: Any) -> None:
        new = _Generation(searcher)
        with self._gen_lock:
            old, self._gen = self._gen, new
        if old is not None:
            self._retire(old)

    def _retire(self, gen: _Generation) -> None:
        with self._gen_lock:
            gen.retired = True
            close = gen.users == 0
        if close:
            with contextlib.suppress(Exception):
                gen.searcher.close()

    @contextlib.contextmanager
    def _using(self) -> Iterator[Any]:
        self._ensure_open()
        if self._stale:
            self._reopen_searcher()
        with self._gen_lock:
            gen = self._gen
            if gen is None:
                raise SearchIndexError("the search index has been closed")
            gen.users += 1
        try:
            yield gen.searcher
        finally:
            with self._gen_lock:
                gen.users -= 1
                close = gen.retired and gen.users == 0
            if close:
                with contextlib.suppress(Exception):
                    gen.searcher.close()

    def _reopen_searcher(self) -> None:
        with self._reopen_lock:  # a writer's thread and searches' threads: one at a time, newest last
            self._stale = False  # before reading the table of contents: a commit after it marks it again
            try:
                with _closing_on_failure():
                    searcher = self._new_searcher(self._ix)
            except Exception as exc:
                self._stale = True
                raise _DamagedError(_describe(exc)) from exc
            self._install(searcher)

    def _searcher_stale(self) -> None:
        """A commit happened: searches from now on use its searcher, opened when the first one needs it."""
        self._stale = True

    def _new_searcher(self, ix: Any) -> Any:
        """A searcher of the newest commit, reusing the open files of segments older searchers have."""
        for attempt in range(3):
            try:
                info = read_toc(ix)
                reader = self._pool.reader(
                    ix.storage, info.schema, info.segments, info.generation, current=True
                )
                break
            except OSError:
                # A writer in another process may have just deleted a merged segment: read the TOC again.
                if attempt == 2:
                    raise
                time.sleep(0.05)
        return Searcher(reader, weighting=BM25F(), fromindex=ix)
