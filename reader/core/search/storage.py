"""Storage: the index folder's files, segment files shared between searchers, and canonical text copies.

:class:`_TrackingStorage` and :func:`_closing_on_failure` close what a failed open left open (Whoosh leaks
files when it fails on a damaged index). :class:`_ReaderPool` keeps the open files of each segment
(:class:`_SegmentFiles`) across commits: a searcher after a commit opens only the new segments, and each
generation's :class:`_SharedSegmentReader` sees its own deletions. Compound segments are read without
copying them (:class:`~reader.core.search.whoosh_private.LazyCompoundStorage`).

Canonical text copies: ``texts/<2 hex>/<sha256>.z`` holds the zlib-compressed canonical text of each indexed
article, named by its content hash (never stale), so that snippets do not re-run the article pipeline.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage, OverlayStorage
from whoosh.reading import EmptyReader, MultiReader

from reader.core.articles.loader import text_hash
from reader.core.search.whoosh_private import LazyCompoundStorage, PresetSegmentReader

__all__ = [
    "TEXTS_DIR",
    "_ReaderPool",
    "_TrackingStorage",
    "_closing_on_failure",
    "_prune_texts",
    "_read_text",
    "_store_text",
]

log = logging.getLogger(__name__)

TEXTS_DIR = "texts"

# ----------------------------------------------------------------------------------------- tracked files

_opened = threading.local()


class _TrackingStorage(FileStorage):  # type: ignore[misc]
    """A FileStorage that can close what one attempt opened: Whoosh leaks open files when it fails on a
    damaged index (a TOC full of garbage, a truncated segment)."""

    def open_file(self, name: str, **kwargs: Any) -> Any:
        handle = super().open_file(name, **kwargs)
        bucket = getattr(_opened, "bucket", None)
        if bucket is not None:
            bucket.append(handle)
        return handle


@contextlib.contextmanager
def _closing_on_failure() -> Iterator[None]:
    """Close every file :class:`_TrackingStorage` opened in this block (this thread) if the block fails."""
    previous = getattr(_opened, "bucket", None)
    bucket: list[Any] = []
    _opened.bucket = bucket
    try:
        yield
    except BaseException:
        for handle in bucket:
            with contextlib.suppress(Exception):
                handle.close()
        raise
    finally:
        _opened.bucket = previous


# ------------------------------------------------------------------------------------------ shared segments


class _SegmentFiles:
    """The open files of one segment (storage, terms and per-document readers), shared by the readers of
    every generation that contains the segment; closed when the last such reader is closed and the segment
    is no longer in the newest table of contents."""

    __slots__ = ("codec", "perdoc", "refs", "segid", "storage", "terms")

    def __init__(self, storage: Any, segment: Any) -> None:
        self.segid: str = segment.segment_id()
        codec = segment.codec()
        own_storage = None
        try:
            if segment.is_compound():
                dbfile = storage.open_file(segment.make_filename(segment.COMPOUND_EXT))
                own_storage = LazyCompoundStorage(dbfile, use_mmap=storage.supports_mmap)
                self.storage = OverlayStorage(own_storage, storage)
            else:
                self.storage = storage
            self.codec = codec
            self.terms = codec.terms_reader(self.storage, segment)
            self.perdoc = codec.per_document_reader(self.storage, segment)
        except BaseException:
            if own_storage is not None:
                with contextlib.suppress(Exception):
                    own_storage.close()
            raise
        self.refs = 0

    def close(self) -> None:
        for part in (self.terms, self.perdoc, self.storage):
            with contextlib.suppress(Exception):
                part.close()


class _SharedSegmentReader(PresetSegmentReader):
    """A SegmentReader over shared :class:`_SegmentFiles`, with this generation's deletions: the per-document
    reader is a shallow copy (its column caches shared) pointing at this table of contents' segment."""

    def __init__(self, schema: Any, segment: Any, generation: int, files: _SegmentFiles, pool: _ReaderPool):
        super().__init__(schema, segment, generation, files.storage, files.codec, files.terms, files.perdoc)
        self._files = files
        self._pool = pool

    def close(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        self._pool.release(self._files)


class _ReaderPool:
    """Segment files kept open across commits: a new searcher after a commit opens only the new segments
    (opening all of them took most of an ``update_paths``). Readers of old generations keep working."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, _SegmentFiles] = {}
        self._current: set[str] = set()
        self._closed = False

    def reader(
        self, storage: Any, schema: Any, segments: list[Any], generation: int, *, current: bool
    ) -> Any:
        if not segments:
            return EmptyReader(schema)
        readers: list[Any] = []
        try:
            for segment in segments:
                readers.append(self._open(storage, schema, segment, generation))
        except BaseException:
            for r in readers:
                r.close()
            raise
        if current:
            with self._lock:
                self._current = {s.segment_id() for s in segments}
                self._collect()
        return readers[0] if len(readers) == 1 else MultiReader(readers, generation=generation)

    def _open(self, storage: Any, schema: Any, segment: Any, generation: int) -> Any:
        segid = segment.segment_id()
        with self._lock:
            files = self._files.get(segid)
            if files is not None:
                files.refs += 1
        if files is None:
            files = _SegmentFiles(storage, segment)
            with self._lock:
                existing = self._files.get(segid)
                if existing is not None:  # opened by another thread meanwhile
                    files.close()
                    files = existing
                elif not self._closed:
                    self._files[segid] = files
                files.refs += 1
        return _SharedSegmentReader(schema, segment, generation, files, self)

    def release(self, files: _SegmentFiles) -> None:
        with self._lock:
            files.refs -= 1
            if files.refs > 0 or (files.segid in self._current and self._files.get(files.segid) is files):
                return
            if self._files.get(files.segid) is files:
                del self._files[files.segid]
        files.close()

    def _collect(self) -> None:
        """Close (under the lock) unreferenced files of segments that left the table of contents."""
        for segid in [s for s, f in self._files.items() if f.refs <= 0 and s not in self._current]:
            self._files.pop(segid).close()

    def close(self) -> None:
        """No new sharing; files still in use are closed by their last reader."""
        with self._lock:
            self._closed = True
            self._current = set()
            self._collect()
            self._files = {f.segid: f for f in self._files.values() if f.refs > 0}


# ------------------------------------------------------------------------------------ canonical text copies


def _text_path(index_dir: Path, content_hash: str) -> Path | None:
    digest = content_hash.removeprefix("sha256:")
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        return None
    return index_dir / TEXTS_DIR / digest[:2] / f"{digest}.z"


def _store_text(index_dir: Path, content_hash: str, text: str) -> None:
    """Keep a zlib copy of an article's canonical text, named by its hash, for snippets.

    Content-addressed, so a copy is never stale. Re-running the article pipeline (``load_article``)
    for each hit of a page costs up to ~60 ms an article; decompressing a copy ~0.1 ms.
    """
    path = _text_path(index_dir, content_hash)
    if path is None or path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(zlib.compress(text.encode("utf-8"), 3))  # half the time of 6, 7% larger
        os.replace(tmp, path)
    except OSError as exc:  # only snippets get slower
        log.debug("could not keep a text copy %s: %s", path, exc)


def _read_text(index_dir: Path, content_hash: str) -> str | None:
    """The kept canonical text of ``content_hash``, or None (no copy, or one that does not match)."""
    path = _text_path(index_dir, content_hash)
    if path is None:
        return None
    try:
        text = zlib.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, zlib.error, UnicodeDecodeError):
        return None
    return text if text_hash(text) == content_hash else None


def _prune_texts(index_dir: Path, keep: set[str]) -> None:
    """Delete the text copies whose hashes are not in ``keep``."""
    folder = index_dir / TEXTS_DIR
    keep_digests = {h.removeprefix("sha256:") for h in keep}
    with contextlib.suppress(OSError):
        for path in folder.glob("*/*.z"):
            if path.stem not in keep_digests:
                with contextlib.suppress(OSError):
                    path.unlink()
