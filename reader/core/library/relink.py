"""Reuniting sidecars with their articles after the source files were renamed or moved.

A sidecar whose source is missing is an *orphan sidecar*; :func:`relink_sidecars` moves it next to the one
article whose canonical text has the hash the sidecar was saved against. This lives in ``library`` (not in
``notes``) because it needs the library's notion of which files are articles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reader.core.articles.loader import load_article
from reader.core.atomic import move_no_overwrite
from reader.core.errors import ArticleReadError, SidecarError
from reader.core.library.scan import iter_article_files
from reader.core.notes.sidecar import SIDECAR_SUFFIX, is_sidecar, parse_sidecar, sidecar_path, source_path


def _visible_files(root: Path) -> Iterator[Path]:
    for path in sorted(Path(root).rglob("*" + SIDECAR_SUFFIX)):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file():
            yield path


def find_orphan_sidecars(root: Path) -> list[Path]:
    """Sidecars below ``root`` whose source file is missing (renamed, moved or deleted), sorted."""
    return [
        path for path in _visible_files(Path(root)) if is_sidecar(path) and not source_path(path).exists()
    ]


@dataclass(slots=True)
class RelinkReport:
    """What :func:`relink_sidecars` did: ``moved`` (old sidecar, new sidecar) pairs, and sidecars left alone
    with the reason."""

    moved: list[tuple[Path, Path]] = field(default_factory=list)
    left: list[tuple[Path, str]] = field(default_factory=list)


def relink_sidecars(root: Path, articles: Iterable[tuple[Path, str]] | None = None) -> RelinkReport:
    """Reunite orphaned sidecars with their moved or renamed sources, by content hash.

    ``articles`` gives ``(source path, content hash)`` pairs (e.g. from the catalog); by default every
    article below ``root`` is read. A sidecar is moved next to the one article whose hash equals its
    ``text_hash`` and that has no sidecar yet; it is never moved over an existing sidecar, nor when the
    match is ambiguous. A sidecar whose text was edited after its last save keeps an old hash and is left
    for the user.
    """
    root = Path(root)
    report = RelinkReport()
    orphans = find_orphan_sidecars(root)
    if not orphans:
        return report
    if articles is None:
        pairs: list[tuple[Path, str]] = []
        for path in iter_article_files(root):
            if sidecar_path(path).exists():
                continue
            try:
                pairs.append((path, load_article(path, root).content_hash))
            except ArticleReadError:
                continue
        articles = pairs
    by_hash: dict[str, list[Path]] = {}
    for path, digest in articles:
        by_hash.setdefault(digest, []).append(Path(path))
    for orphan in orphans:
        try:
            raw = orphan.read_bytes()
            document = parse_sidecar(raw, orphan.name, strict=False)
        except (OSError, SidecarError) as exc:
            report.left.append((orphan, f"cannot be read: {exc}"))
            continue
        candidates = [p for p in by_hash.get(document.text_hash, []) if not sidecar_path(p).exists()]
        if not candidates:
            report.left.append((orphan, "no article with the same text"))
            continue
        if len(candidates) > 1:
            report.left.append((orphan, f"{len(candidates)} articles have the same text"))
            continue
        target = sidecar_path(candidates[0])
        try:
            move_no_overwrite(orphan, target)
        except FileExistsError:
            report.left.append((orphan, f"{target.name} already exists"))
            continue
        except OSError as exc:
            report.left.append((orphan, f"cannot be moved: {exc.strerror or exc}"))
            continue
        by_hash[document.text_hash].remove(candidates[0])
        report.moved.append((orphan, target))
    return report
