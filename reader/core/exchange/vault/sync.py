"""Syncing a notes vault both ways: :func:`sync_vault`.

For each file the vault's manifest lists (:mod:`.manifest`):

1. The file is read and split into the user's text and the reader's marked regions (:mod:`.regions`). A
   file with a structural problem (a marker removed or duplicated by hand, a region whose id was edited, the
   markers of a region removed but its block left) is *not synced*: each problem is reported in one line and
   neither the file nor the notes of its article are changed.
2. Each highlight is merged three ways, vault against base against sidecar (:mod:`.merge`); the edits that
   come from the vault are saved to the sidecar (:class:`NotesStore`, which itself merges with concurrent
   edits of the sidecar).
3. The file is rewritten with the library's state: every region regenerated, regions added for new
   highlights (in text order, after the region of the highlight before them) and removed for deleted ones,
   the reader's front matter keys brought up to date (:func:`.regions.update_front_matter`). Every byte the
   user wrote outside the regions is kept, except that a removed region takes one blank line with it.
   Conflict blocks (the vault's side of a conflict) are written outside the regions: they are the user's.
4. The base is updated.

Articles annotated in the library that have no file in the vault are only given one on request
(``add_new``): an export may have left them out on purpose (a filter, a chosen article).

A file the user deleted from the vault means "do not sync this article": it is reported, its notes are left
alone, and it stays in the manifest (export it again to bring it back). Writes are atomic; a dry run
reads everything and writes nothing. If a sidecar cannot be saved, its vault file is not rewritten either
(its edits would be lost) and its base stays, so the next sync tries again.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from reader.core.articles.loader import load_article
from reader.core.atomic import atomic_write_bytes
from reader.core.errors import ArticleReadError, ExportError, SidecarError
from reader.core.exchange.citations import article_citekey
from reader.core.exchange.filenames import ensure_inside, safe_filename
from reader.core.exchange.markdown import block_id, highlight_extras, highlight_head, render_markdown_article
from reader.core.exchange.selection import ExportItem, select_items, text_order
from reader.core.exchange.vault.manifest import (
    BaseEntry,
    FileEntry,
    Manifest,
    exported_entry,
    head_hash,
    read_manifest,
    write_manifest,
)
from reader.core.exchange.vault.merge import MergeOutcome, conflict_block, merge_highlight
from reader.core.exchange.vault.regions import ParsedFile, parse_vault_file
from reader.core.exchange.vault.rewrite import rewrite_file
from reader.core.models import Annotation, Skipped
from reader.core.notes.store import NotesStore, open_notes


@dataclass(slots=True)
class SyncReport:
    """What a sync did (or, in a dry run, would do). Every message is one line starting with the file."""

    dry_run: bool = False
    changes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    #: Files not synced because of what is in them (each problem, then a closing line per file).
    problems: list[str] = field(default_factory=list)
    #: Files not synced by choice (deleted from the vault) or because their article is gone.
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files_written: list[Path] = field(default_factory=list)
    sidecars_written: list[Path] = field(default_factory=list)
    manifest_written: bool = False

    @property
    def clean(self) -> bool:
        return not (self.conflicts or self.problems)


@dataclass(slots=True)
class _Plan:
    """One file's sync, worked out before anything is written."""

    name: str
    path: Path
    text: str
    parsed: ParsedFile
    store: NotesStore
    article_item: ExportItem
    outcomes: dict[str, MergeOutcome] = field(default_factory=dict)


def _label(base: BaseEntry | None, annotation_id: str) -> str:
    return "^" + (base.block if base is not None and base.block else block_id(annotation_id))


_BEGIN_ID = re.compile(r"^\s*<!--\s*reader:begin\s+(\S+)\s*-->\s*$", re.M)


def _find_moved_files(vault: Path, manifest: Manifest, report: SyncReport) -> None:
    """Follow files renamed or moved in the vault (Obsidian does both): a listed file that is gone, whose
    regions are all in one unlisted Markdown file, is that file now."""
    missing = {name for name in manifest.files if not (vault / name).exists()}
    if not missing:
        return
    holders: dict[str, set[str]] = {}
    for path in vault.rglob("*.md"):
        relative = path.relative_to(vault).as_posix()
        if relative in manifest.files or any(part.startswith(".") for part in Path(relative).parts):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for annotation_id in _BEGIN_ID.findall(text):
            holders.setdefault(annotation_id, set()).add(relative)
    taken: set[str] = set()
    for name in sorted(missing):
        candidates = {f for i in manifest.files[name].annotations for f in holders.get(i, set())}
        if len(candidates) == 1 and not candidates & taken:
            (new_name,) = candidates
            taken.add(new_name)
            manifest.files[new_name] = manifest.files.pop(name)
            report.changes.append(f"{new_name}: was {name} (renamed or moved in the vault): followed")


def _structural_problems(parsed: ParsedFile, entry: FileEntry) -> list[str]:
    problems = list(parsed.problems)
    in_regions = {region.id for region in parsed.regions()}
    for region in parsed.regions():
        if region.id not in entry.annotations:
            problems.append(
                f"line {region.line}: the region names highlight {region.id}, which the reader did not write "
                "to this file (was its id edited?)"
            )
    user_text = "".join(s for s in parsed.segments if isinstance(s, str))
    for annotation_id, base in entry.annotations.items():
        if annotation_id in in_regions or not base.block:
            continue
        if re.search(rf"(?m)^\s*\^{re.escape(base.block)}\s*$", user_text):
            problems.append(
                f"the markers of ^{base.block} were removed but its block is still there: put them back, or "
                "delete the whole block to delete the highlight"
            )
    return problems


def _plan_file(vault: Path, library: Path, name: str, entry: FileEntry, report: SyncReport) -> _Plan | None:
    path = ensure_inside(vault, vault / name)
    if not path.exists():
        report.skipped.append(
            f"{name}: deleted from the vault, so {entry.article} is not synced (its notes are kept; "
            "export it again to bring the file back)"
        )
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"{name}: cannot be read ({exc}); not synced")
        return None
    try:
        article = load_article(library / entry.article, library)
    except ArticleReadError as exc:
        report.skipped.append(
            f"{name}: its article {entry.article} cannot be read ({exc.reason}); not synced"
        )
        return None
    parsed = parse_vault_file(text)
    problems = _structural_problems(parsed, entry)
    if problems:
        report.problems += [f"{name}: {problem}" for problem in problems]
        report.problems.append(
            f"{name}: not synced (nothing in it was read or changed): fix it and sync again"
        )
        return None
    store = open_notes(article, persist_reanchoring=False)
    if store.read_only_reason is not None:
        report.problems.append(
            f"{name}: the notes of {entry.article} are read-only ({store.read_only_reason})"
        )
        return None
    plan = _Plan(name, path, text, parsed, store, ExportItem(article, ()))
    current = {a.id: a for a in store.annotations()}
    regions = {region.id: region for region in parsed.regions()}
    key = article_citekey(article)
    for annotation_id, base in entry.annotations.items():
        outcome = merge_highlight(
            _label(base, annotation_id), regions.get(annotation_id), base, current.get(annotation_id)
        )
        region = regions.get(annotation_id)
        annotation = current.get(annotation_id)
        fresh = highlight_head(annotation, *highlight_extras(article, annotation, key)) if annotation else []
        if (
            region is not None
            and annotation is not None
            and base.head
            and head_hash(region.head) not in (base.head, head_hash(fresh))
        ):
            outcome.kept += ([""] if outcome.kept else []) + conflict_block(
                annotation_id,
                [
                    f"The quote or colour of {_label(base, annotation_id)} was edited here; they come "
                    "from the article and are written again by each sync.",
                    "Your version is kept below; delete this block when done with it.",
                ],
                region.head,
            )
            report.warnings.append(
                f"{name}: the quote or colour of {_label(base, annotation_id)} was edited in the vault "
                "(not synced: kept in a block below it)"
            )
        plan.outcomes[annotation_id] = outcome
        report.changes += [f"{name}: {message}" for message in outcome.changes]
        report.conflicts += [f"{name}: {message}" for message in outcome.conflicts]
    return plan


def _apply(plan: _Plan, dry_run: bool) -> list[Annotation]:
    """Apply the vault's edits to the store (saved unless ``dry_run``); the library's annotations after."""
    store = plan.store
    if dry_run:
        result = {a.id: a for a in store.annotations()}
        for annotation_id, outcome in plan.outcomes.items():
            if outcome.delete:
                result.pop(annotation_id, None)
            elif outcome.updates and annotation_id in result:
                result[annotation_id] = dataclasses.replace(result[annotation_id], **outcome.updates)  # type: ignore[arg-type]
        return text_order(result.values())
    changed = False
    for annotation_id, outcome in plan.outcomes.items():
        if outcome.delete:
            store.delete(annotation_id)
            changed = True
        elif outcome.updates:
            note = outcome.updates.get("note")
            tags = outcome.updates.get("tags")
            store.update(
                annotation_id,
                note=note if isinstance(note, str) else None,
                tags=tags if isinstance(tags, list) else None,
            )
            changed = True
    if changed:
        store.save()
    return store.annotations()


def _add_new_articles(vault: Path, library: Path, manifest: Manifest, report: SyncReport) -> None:
    """Write a file for each annotated article of the library that has none in the vault (``--add-new``)."""
    known = {entry.article for entry in manifest.files.values()}
    skipped: list[Skipped] = []
    items = [item for item in select_items(library, skipped=skipped) if item.article.relpath not in known]
    report.warnings += [f"{skip.relpath}: cannot be read ({skip.reason}); not added" for skip in skipped]
    taken = {path.name.casefold() for path in vault.iterdir()}
    for item in items:
        name = safe_filename(item.article.meta.title or Path(item.article.relpath).stem, ".md", taken=taken)
        path = ensure_inside(vault, vault / name)
        count = len(item.annotations)
        if not report.dry_run:
            try:
                atomic_write_bytes(path, render_markdown_article(item, vault).encode("utf-8"))
            except OSError as exc:
                report.problems.append(f"{name}: cannot be written ({exc.strerror or exc}); not added")
                continue
            manifest.files[name] = exported_entry(item)
        report.changes.append(
            f"{name}: new file for {item.article.relpath} ({count} highlight{'s' if count != 1 else ''})"
        )
        report.files_written.append(path)


def _unchanged_on_disk(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def sync_vault(vault: Path, library: Path, *, dry_run: bool = False, add_new: bool = False) -> SyncReport:
    """Sync ``vault`` (a folder exported from ``library`` as per-article Markdown) both ways.

    With ``add_new``, annotated articles that have no file in the vault get one (as the export writes it);
    otherwise the sync keeps to the files the vault has. See the module documentation. Raises
    :class:`.manifest.VaultError` when the vault has no readable manifest; everything else is reported in the
    returned :class:`SyncReport`.
    """
    vault = Path(vault).expanduser().resolve()
    library = Path(library).expanduser().resolve()
    manifest = read_manifest(vault)
    report = SyncReport(dry_run=dry_run)
    if manifest.library != str(library):
        report.warnings.append(
            f"the vault was exported from {manifest.library}; syncing it with {library} (articles matched by "
            "their path in the library)"
        )
        manifest.library = str(library)
    _find_moved_files(vault, manifest, report)
    for name in sorted(manifest.files):
        entry = manifest.files[name]
        try:
            plan = _plan_file(vault, library, name, entry, report)
        except ExportError as exc:  # a manifest name leading outside the vault
            report.problems.append(f"{name}: {exc}; not synced")
            continue
        if plan is None:
            continue
        try:
            final = _apply(plan, dry_run)
        except SidecarError as exc:
            report.problems.append(
                f"{name}: the notes of {entry.article} could not be saved ({exc}); the file is left as it is"
            )
            continue
        if not dry_run and plan.store.conflicts:
            report.conflicts += [
                f"{name}: {_label(entry.annotations.get(c.id), c.id)}: {c.reason}"
                for c in plan.store.conflicts
            ]
        if not dry_run and any(o.delete or o.updates for o in plan.outcomes.values()):
            report.sidecars_written.append(plan.store.path)
        rewritten = rewrite_file(plan.parsed, plan.text, entry, plan.article_item, final, plan.outcomes)
        by_id = {a.id: a for a in final}
        for annotation_id in rewritten.added:
            restored = plan.outcomes.get(annotation_id)
            if restored is None or not restored.restore_region:
                label = "^" + rewritten.base[annotation_id].block
                report.changes.append(f"{name}: {label} is new in the library: added to the vault")
        for annotation_id in rewritten.updated:
            outcome = plan.outcomes.get(annotation_id)
            vault_side = outcome is not None and (outcome.updates or outcome.kept)
            annotation = by_id[annotation_id]
            base = entry.annotations.get(annotation_id)
            if (
                not vault_side
                and base is not None
                and (annotation.note, annotation.tags) != (base.note, base.tags)
            ):
                report.changes.append(f"{name}: ^{rewritten.base[annotation_id].block}: library → vault")
        if rewritten.text != plan.text:
            if not dry_run:
                if not _unchanged_on_disk(plan.path, plan.text):
                    report.problems.append(
                        f"{name}: changed while it was being synced; left as it is: sync again"
                    )
                    continue
                try:
                    atomic_write_bytes(plan.path, rewritten.text.encode("utf-8"))
                except OSError as exc:
                    report.problems.append(f"{name}: cannot be written ({exc.strerror or exc}); sync again")
                    continue
            report.files_written.append(plan.path)
        if not dry_run:
            entry.annotations = rewritten.base
            entry.front = rewritten.front
            entry.excluded = [i for i in entry.excluded if i in by_id]
    if add_new:
        _add_new_articles(vault, library, manifest, report)
    if not dry_run:
        report.manifest_written = write_manifest(vault, manifest)
    return report
