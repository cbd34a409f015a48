"""Scanning a library folder into a catalog.

- :func:`iter_article_files` walks the folder recursively in a stable (sorted) order. Hidden files and
  folders, notes sidecars (``*.notes.json``, ``*.notes.json.bak``), temporary files and sync-conflict copies
  (Syncthing ``*.sync-conflict-*``, Dropbox ``(conflicted copy)``, Office ``~$`` owner files) are not
  articles. Symbolic links are resolved and followed only when their target stays inside the library root;
  each real folder is visited once, so link loops end.
- :func:`scan_library` reads every article (through the scan cache of :mod:`reader.core.catalog`, so an
  unchanged file is not read again), reports progress, can be cancelled, and never stops on a bad file:
  those are listed in ``ScanResult.skipped`` with a reason. It keeps no global state and may run in a
  worker thread.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from reader.core.articles import FORMATS, load_article
from reader.core.catalog import CachedSkip, CacheItem, load_cache, save_cache
from reader.core.errors import ArticleReadError
from reader.core.models import CatalogEntry, ScanResult, Skipped
from reader.core.sidecar import count_annotations

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = frozenset(FORMATS)
ProgressCallback = Callable[[int, int], None]

_TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".swo", "~")
_SIDECAR_SUFFIXES = (".notes.json", ".notes.json.bak")


def is_ignored_name(name: str) -> bool:
    """Whether a file or folder called ``name`` is never an article (or never holds one)."""
    lowered = name.lower()
    return (
        name.startswith((".", "~$", "~lock"))
        or lowered.endswith(_SIDECAR_SUFFIXES)
        or lowered.endswith(_TEMP_SUFFIXES)
        or ".sync-conflict-" in lowered
        or "conflicted copy" in lowered
    )


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def iter_article_files(root: Path) -> Iterator[Path]:
    """Article files below ``root`` (paths under ``root`` as given, not resolved), in sorted order."""
    root = Path(root)
    real_root = root.resolve()
    seen: set[Path] = {real_root}
    stack: list[Path] = [root]
    found: list[Path] = []
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            log.warning("cannot list %s: %s", folder, exc)
            continue
        for entry in entries:
            if is_ignored_name(entry.name):
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    target = path.resolve(strict=True)
                    if not _inside(target, real_root):
                        log.info("not following %s: it leads outside the library", path)
                        continue
                is_dir = entry.is_dir()
                is_file = entry.is_file()
            except (OSError, RuntimeError) as exc:  # broken link, loop, permission
                log.info("skipping %s: %s", path, exc)
                continue
            if is_dir:
                real = path.resolve()
                if real not in seen:
                    seen.add(real)
                    stack.append(path)
            elif is_file and path.suffix.lower() in ARTICLE_SUFFIXES:
                found.append(path)
    yield from sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _read_entry(path: Path, root: Path, rel: str, size: int, mtime_ns: int) -> CacheItem:
    try:
        article = load_article(path, root)
    except ArticleReadError as exc:
        return CachedSkip(rel, size, mtime_ns, exc.reason)
    return CatalogEntry(
        relpath=rel,
        meta=article.meta,
        size=size,
        mtime_ns=mtime_ns,
        content_hash=article.content_hash,
        format=article.format,
        encoding=article.encoding,
    )


def scan_library(
    root: Path,
    *,
    cache_path: Path | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ScanResult:
    """Read every article below ``root``; files that cannot be read are reported in ``skipped``.

    With ``cache_path``, unchanged files (same relpath, size and mtime_ns) are taken from the cache and the
    cache is rewritten afterwards. ``progress(done, total)`` is called after each file. When
    ``cancelled()`` returns true the scan stops and returns what it has so far (the cache keeps both the
    new and the not-yet-rescanned old items).
    """
    root = Path(root)
    result = ScanResult()
    files = list(iter_article_files(root))
    cached = load_cache(cache_path)
    fresh: dict[str, CacheItem] = {}
    reused = 0
    was_cancelled = False
    for done, path in enumerate(files, 1):
        if cancelled is not None and cancelled():
            was_cancelled = True
            break
        rel = path.relative_to(root).as_posix()
        try:
            stat = path.stat()
        except OSError as exc:
            item: CacheItem = CachedSkip(rel, -1, -1, f"cannot be read ({exc.strerror or exc})")
        else:
            old = cached.get(rel)
            if old is not None and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
                item, reused = old, reused + 1
            else:
                item = _read_entry(path, root, rel, stat.st_size, stat.st_mtime_ns)
        fresh[rel] = item
        if isinstance(item, CachedSkip):
            result.skipped.append(Skipped(rel, item.reason))
        else:
            result.entries.append(_with_notes(item, path))
        if progress is not None:
            progress(done, len(files))
    log.info("scanned %s: %d articles, %d skipped, %d from cache", root, len(result.entries),
             len(result.skipped), reused)  # fmt: skip
    if cache_path is not None:
        if was_cancelled:
            fresh = {**{k: v for k, v in cached.items() if k not in fresh}, **fresh}
        save_cache(cache_path, {k: v for k, v in fresh.items() if v.size >= 0})
    return result


def _with_notes(entry: CatalogEntry, path: Path) -> CatalogEntry:
    count = count_annotations(path)
    if count == entry.notes_count:
        return entry
    return CatalogEntry(
        relpath=entry.relpath,
        meta=entry.meta,
        size=entry.size,
        mtime_ns=entry.mtime_ns,
        content_hash=entry.content_hash,
        format=entry.format,
        encoding=entry.encoding,
        notes_count=count,
    )
