"""The scan cache: what a rescan needs to skip unchanged files, stored as JSON.

Keyed on the article's relpath; an item is reused only when the file's size and ``mtime_ns`` are unchanged.
Skipped files are cached too, with their reason. The file carries :data:`CACHE_VERSION`; bump it whenever
the canonical text or metadata derivation changes, so that old caches are rebuilt. A cache that cannot be
read or parsed, or has another version, is ignored (and replaced on the next save). Saving is atomic.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from reader.core.atomic import atomic_write_text
from reader.core.models import ArticleMeta, CatalogEntry, Skipped

log = logging.getLogger(__name__)

#: 2: PDF and EPUB articles; ArticleMeta gained doi, arxiv, publisher and isbn. 3: article data (tags,
#: status, star, user edits of the metadata) in catalog entries.
CACHE_VERSION = 3
#: Entries per ``json.dumps`` call when saving: one call holds the GIL throughout (~80 ms for 10,000
#: articles), which would stall a window's GUI thread; a few milliseconds at a time it does not.
ENCODE_CHUNK = 250
_META_FIELDS = tuple(f.name for f in fields(ArticleMeta))


class CachedSkip:
    """A skipped file as remembered in the cache (with the stat values it was skipped for)."""

    __slots__ = ("mtime_ns", "reason", "relpath", "size")

    def __init__(self, relpath: str, size: int, mtime_ns: int, reason: str) -> None:
        self.relpath, self.size, self.mtime_ns, self.reason = relpath, size, mtime_ns, reason

    def skipped(self) -> Skipped:
        return Skipped(self.relpath, self.reason)


CacheItem = CatalogEntry | CachedSkip


def _entry_from_json(relpath: str, data: dict[str, Any]) -> CatalogEntry:
    meta = ArticleMeta(**data["meta"])
    return CatalogEntry(
        relpath=relpath,
        meta=meta,
        size=int(data["size"]),
        mtime_ns=int(data["mtime_ns"]),
        content_hash=str(data["content_hash"]),
        format=str(data.get("format", "text")),
        encoding=str(data.get("encoding", "utf-8")),
    )


def load_cache(path: Path | None) -> dict[str, CacheItem]:
    """The cached items by relpath; ``{}`` when there is no usable cache."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("scan cache %s is unreadable (%s); rebuilding it", path, exc)
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        log.info("scan cache %s has another format version; rebuilding it", path)
        return {}
    items: dict[str, CacheItem] = {}
    try:
        for relpath, entry in data.get("articles", {}).items():
            items[relpath] = _entry_from_json(relpath, entry)
        for relpath, skip in data.get("skipped", {}).items():
            items[relpath] = CachedSkip(
                relpath, int(skip["size"]), int(skip["mtime_ns"]), str(skip["reason"])
            )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        log.warning("scan cache %s is malformed (%s); rebuilding it", path, exc)
        return {}
    return items


def _encode_object(pairs: Sequence[tuple[str, CacheItem]]) -> str:
    """The JSON object of the cached items ``pairs`` (as one ``json.dumps`` would write it), converted and
    encoded :data:`ENCODE_CHUNK` items at a time: other threads get the GIL in between, and only one chunk's
    dicts are alive at a time."""
    parts: list[str] = []
    for start in range(0, len(pairs), ENCODE_CHUNK):
        chunk = {relpath: _item_json(item) for relpath, item in pairs[start : start + ENCODE_CHUNK]}
        parts.append(json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))[1:-1])
    return "{" + ",".join(parts) + "}"


def _item_json(item: CacheItem) -> dict[str, Any]:
    if isinstance(item, CachedSkip):
        return {"size": item.size, "mtime_ns": item.mtime_ns, "reason": item.reason}
    meta = item.extracted or item.meta  # the cache keeps what the file says; the sidecar is read each scan
    return {
        "size": item.size,
        "mtime_ns": item.mtime_ns,
        "content_hash": item.content_hash,
        "format": item.format,
        "encoding": item.encoding,
        "meta": {name: getattr(meta, name) for name in _META_FIELDS},
    }


def cacheable(item: CacheItem) -> bool:
    """Whether the cache may keep ``item``: not a skip for an installation problem (size -1: read again once
    the installation is repaired), nor an entry listed before its file was read (pending)."""
    return item.size >= 0 and not (isinstance(item, CatalogEntry) and item.pending)


def save_cache(path: Path | None, items: dict[str, CacheItem]) -> None:
    """Write the :func:`cacheable` ``items`` atomically to ``path`` (creating its folder). Failures are
    logged, not raised."""
    if path is None:
        return
    ordered = sorted((relpath, item) for relpath, item in items.items() if cacheable(item))
    articles = [(relpath, item) for relpath, item in ordered if not isinstance(item, CachedSkip)]
    skipped = [(relpath, item) for relpath, item in ordered if isinstance(item, CachedSkip)]
    text = (
        f'{{"version":{CACHE_VERSION},"articles":{_encode_object(articles)},'
        f'"skipped":{_encode_object(skipped)}}}'
    )
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(Path(path), text)
    except OSError as exc:
        log.warning("could not write the scan cache %s: %s", path, exc)


class CatalogCacheWriter:
    """Puts the catalog items the search index's build reads (the one pass of a first open) into the cache
    at ``path``, keeping what it holds of other files. Saves at most every :attr:`SAVE_INTERVAL` seconds
    (re-encoding a cache of 10,000 articles for every commit of a build would cost more than the build's
    reading saves) and on :meth:`flush`; what a killed build had not saved is read again next time. Only
    :func:`cacheable` items go in."""

    SAVE_INTERVAL = 2.0

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._items: dict[str, CacheItem] | None = None
        self._dirty = False
        self._saved_at: float | None = None  # the first add saves at once

    def add(self, items: Sequence[CacheItem]) -> None:
        if self.path is None or not items:
            return
        if self._items is None:
            self._items = load_cache(self.path)
        for item in items:
            if cacheable(item):
                self._items[item.relpath] = item
                self._dirty = True
        if self._saved_at is None or time.monotonic() - self._saved_at >= self.SAVE_INTERVAL:
            self.flush()

    def flush(self) -> None:
        """Save what was added since the last save."""
        if self._dirty and self._items is not None:
            save_cache(self.path, self._items)
            self._dirty = False
            self._saved_at = time.monotonic()
