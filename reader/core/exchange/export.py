"""Exporting highlights and notes: Markdown (note vaults), W3C Web Annotation JSON-LD, HTML and CSV.

Pure Python (no Qt). This module chooses the files and dispatches to the format modules
(:mod:`.markdown`, :mod:`.jsonld`, :mod:`.html`, :mod:`.csv`); the files are written by :mod:`.writing`
(atomically, nothing overwritten unless ``force=True``) and named from titles by :mod:`.filenames`.

API for the GUI (run both calls in a worker thread; ``progress(done, total)`` is called from that thread)::

    items = select_items(library, paths=None, note_filter=NoteFilter(tags={"method"}), progress=cb)
    report = export_notes(library, items, "markdown", dest, per_article=True, force=False, bom=False,
                          progress=cb)
    report.written      # list[Path], in write order

- ``library``: the library root (relative paths and links are computed from it).
- ``items``: the scope. ``None`` = the whole library; a sequence of article ``Path``s = those articles;
  or the ``ExportItem``s returned by :func:`.selection.select_items` (which applies a
  :class:`.selection.NoteFilter`: tags, colours, a ``created`` date range, and the relpaths a search
  returned).
- ``fmt``: ``"markdown"``, ``"jsonld"``, ``"html"`` or ``"csv"`` (see :data:`FORMATS`).
- ``dest``: with ``per_article=True`` a folder (created when missing), one file per article named after its
  title; otherwise the output file, or an existing folder in which ``<library name> notes.<ext>`` is written.
- ``force``: overwrite existing files; without it :class:`.writing.ExistingFilesError` (an
  :class:`ExportError`) is raised before anything is written, listing the existing files.
- ``bom``: CSV only, write ``utf-8-sig`` (a byte-order mark) so that spreadsheet programs detect UTF-8.

Only articles with at least one (matching) annotation are exported; annotations are in text order.

A per-article Markdown export is a notes vault: it also records what it wrote in the vault's manifest
(``.research-notes-reader/vault.json``, see :mod:`.vault`), the base that ``sync`` merges against.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, cast

from reader.core.errors import ExportError
from reader.core.exchange.csv import render_csv
from reader.core.exchange.filenames import ensure_inside, safe_filename
from reader.core.exchange.html import render_html
from reader.core.exchange.jsonld import render_jsonld
from reader.core.exchange.markdown import render_markdown_article, render_markdown_combined
from reader.core.exchange.selection import ExportItem, ExportReport, ProgressCallback, select_items
from reader.core.exchange.vault.manifest import record_export
from reader.core.exchange.writing import write_plan

ExportFormat = Literal["markdown", "jsonld", "html", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("markdown", "jsonld", "html", "csv")
EXTENSIONS: dict[str, str] = {"markdown": ".md", "jsonld": ".jsonld", "html": ".html", "csv": ".csv"}


def _render(fmt: str, items: Sequence[ExportItem], out_dir: Path, title: str, bom: bool) -> bytes:
    if fmt == "markdown":
        if len(items) == 1 and title == items[0].article.meta.title:
            return render_markdown_article(items[0], out_dir).encode("utf-8")
        return render_markdown_combined(items, out_dir, title).encode("utf-8")
    if fmt == "jsonld":
        return render_jsonld(items, title).encode("utf-8")
    if fmt == "html":
        return render_html(items, title).encode("utf-8")
    return render_csv(items, bom=bom)


def _resolve_items(
    library: Path, items: Sequence[ExportItem] | Sequence[Path] | None, report: ExportReport
) -> list[ExportItem]:
    if items is None:
        return select_items(library, skipped=report.skipped)
    values = list(items)
    if all(isinstance(value, ExportItem) for value in values):
        return cast(list[ExportItem], values)
    if all(isinstance(value, str | os.PathLike) for value in values):
        return select_items(library, [Path(cast(Path, v)) for v in values], skipped=report.skipped)
    raise TypeError("items must be None, a sequence of paths, or a sequence of ExportItem")


def export_notes(
    library: Path,
    items: Sequence[ExportItem] | Sequence[Path] | None,
    fmt: str,
    dest: Path,
    *,
    per_article: bool = False,
    force: bool = False,
    bom: bool = False,
    progress: ProgressCallback | None = None,
    title: str | None = None,
) -> ExportReport:
    """Export the notes of ``items`` from ``library`` as ``fmt`` to ``dest`` (see the module documentation).

    Raises :class:`ExportError` for an unknown format, a destination that cannot be written, or (without
    ``force``) existing files, in which case nothing is written. ``progress(done, total)`` counts articles.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    library = Path(library).resolve()
    report = ExportReport()
    selected = _resolve_items(library, items, report)
    report.articles = len(selected)
    report.annotations = sum(len(item.annotations) for item in selected)
    extension = EXTENSIONS[fmt]
    dest = Path(dest).expanduser()
    plan: list[tuple[Path, bytes]] = []
    total = len(selected)
    try:
        if per_article:
            if dest.exists() and not dest.is_dir():
                raise ExportError(f"not a folder: {dest}")
            dest.mkdir(parents=True, exist_ok=True)
            dest_root = dest.resolve()
            taken: set[str] = set()
            for done, item in enumerate(selected, 1):
                name = safe_filename(
                    item.article.meta.title or Path(item.article.relpath).stem, extension, taken=taken
                )
                path = ensure_inside(dest_root, dest_root / name)
                plan.append((path, _render(fmt, [item], dest_root, item.article.meta.title, bom)))
                if progress is not None:
                    progress(done, total)
        else:
            if dest.is_dir():
                name = safe_filename(f"{library.name or 'library'} notes", extension)
                dest = dest / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest_root = dest.parent.resolve()
            path = ensure_inside(dest_root, dest_root / dest.name)
            label = title or (
                selected[0].article.meta.title
                if len(selected) == 1
                else f"Notes from {library.name or 'library'}"
            )
            plan.append((path, _render(fmt, selected, dest_root, label, bom)))
            if progress is not None:
                progress(total, total)
    except OSError as exc:
        raise ExportError(f"cannot create {dest}: {exc.strerror or exc}") from exc
    report.written = write_plan(plan, dest_root, force)
    if fmt == "markdown" and per_article:
        try:
            record_export(dest_root, library, zip(report.written, selected, strict=True))
        except ExportError as exc:
            raise ExportError(
                f"exported, but {exc}; the vault cannot be synced until exported again"
            ) from exc
    return report
