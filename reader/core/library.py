"""Scanning a library folder into a catalog (minimal version; see issue 3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from reader.core.articles import load_article
from reader.core.errors import ArticleReadError
from reader.core.models import CatalogEntry, ScanResult, Skipped
from reader.core.sidecar import count_annotations

ARTICLE_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".rst", ".org"})

ProgressCallback = Callable[[int, int], None]


def iter_article_files(root: Path) -> Iterator[Path]:
    """Article files below ``root`` in a stable order, hidden files and sidecars excluded."""
    for path in sorted(Path(root).rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES:
            yield path


def scan_library(
    root: Path,
    *,
    cache_path: Path | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ScanResult:
    """Read every article below ``root``; files that cannot be read are reported in ``skipped``."""
    root = Path(root)
    result = ScanResult()
    files = list(iter_article_files(root))
    for done, path in enumerate(files, 1):
        if cancelled is not None and cancelled():
            break
        try:
            article = load_article(path, root)
        except ArticleReadError as exc:
            result.skipped.append(Skipped(exc.path, exc.reason))
            continue
        stat = path.stat()
        result.entries.append(
            CatalogEntry(
                relpath=article.relpath,
                meta=article.meta,
                size=stat.st_size,
                mtime_ns=stat.st_mtime_ns,
                content_hash=article.content_hash,
                format=article.format,
                encoding=article.encoding,
                notes_count=count_annotations(path),
            )
        )
        if progress is not None:
            progress(done, len(files))
    return result
